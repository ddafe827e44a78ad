# The installer image: the one-file esbuild bundle on Node 20, nothing else (no node_modules:
# everything it needs is in the bundle). Build the bundle, then the image:
#   node installer/build.mjs
#   docker build -t ghcr.io/kserve-wasm-logger/installer:0.1.0 .
# (installer/test/manifests.test.ts checks that the file copied here is what build.mjs writes.)
FROM node:20-slim
WORKDIR /app
COPY installer/dist/kserve-wasm-logger.mjs /app/kserve-wasm-logger.mjs
USER 65532:65532
ENTRYPOINT ["node", "/app/kserve-wasm-logger.mjs"]
CMD ["--help"]
