// ESLint (flat config): the recommended rules of ESLint and typescript-eslint over the project's
// TypeScript. The AssemblyScript filter is not TypeScript to these parsers (top-level
// decorators, its own types); the compiler and as-pect check it.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "build/",
      "dist/",
      "installer/dist/",
      ".tmp/",
      "filter/assembly/",
      "proxy-wasm-host/test/fixtures/",
      "installer/src/validate/wasmplugin-crd.gen.ts",
      "filter/as-pect.config.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `_`-prefixed parameters are the proxy-wasm callbacks' unused arguments, kept for their position
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // tests walk into rendered manifests and events, untyped JSON by nature
    files: ["**/test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
