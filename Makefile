# Entry points: `make demo` (sets up and runs the local demo), `make test`
# (sets up and runs every test), `make build`, `make bench`.
SHELL := /bin/bash
WASM := build/kserve-logger.wasm
FILTER_SRC := $(wildcard filter/assembly/*.ts) asconfig.json
NODE_TESTS = $(call find_tests,proxy-wasm-host/test testbed/test filter/test installer/test)

.PHONY: all setup build oci typecheck lint test test-fast helm unit-test host-test filter-test installer-test node-test workers-test demo bench reliability clean

all: build

# npm ci once per lock file change; postinstall applies patches/ to the SDK.
node_modules/.package-lock.json: package-lock.json package.json patches/*.patch
	npm ci --no-audit --no-fund
	@touch $@

setup: node_modules/.package-lock.json

$(WASM): $(FILTER_SRC) node_modules/.package-lock.json
	@mkdir -p build
	npx asc filter/assembly/index.ts --config asconfig.json --target release
	@printf 'built %s: %s bytes, sha256 %s\n' "$(WASM)" "$$(stat -c %s $(WASM))" "$$(sha256sum $(WASM) | cut -d' ' -f1)"

build: $(WASM)

# OCI image layout + tarball in Istio's Wasm image format; prints the manifest digest.
oci: build
	node --import tsx scripts/oci-image.ts --wasm $(WASM) --out build/kserve-logger-oci

unit-test: setup
	npx asp -c filter/as-pect.config.js -a filter/as-pect.asconfig.json --summary --no-logo

typecheck: setup
	npx tsc -p tsconfig.json

# ESLint (typescript-eslint's recommended rules) and Prettier's check over the TypeScript;
# `npm run format` rewrites what Prettier would change.
lint: setup
	npx eslint --max-warnings 0 .
	npx prettier --check .

# Node's runner over test files that are found, not listed (Node 20 does not expand globs).
NODE_TEST = node --import tsx --test --test-concurrency=1 --test-timeout=300000 --test-force-exit
find_tests = $(shell find $(1) -name '*.test.ts' 2>/dev/null | sort)

# The proxy-wasm host's own tests (fixture modules, no filter needed).
host-test: setup
	$(NODE_TEST) $(call find_tests,proxy-wasm-host/test)

# The compiled filter through the host over loopback sockets, and the testbed.
filter-test: build
	$(NODE_TEST) $(call find_tests,testbed/test filter/test)

# helm, built from its Go module for the chart's tests (test-infra/helm; kept once built).
helm:
	bash test-infra/helm/install.sh

# The installer's tests alone (installer/test/run.sh finds them), with the real API server.
installer-test: build helm
	bash test-infra/kube/with-kube.sh bash installer/test/run.sh

# Every Node test in one run, against one real kube-apiserver + etcd on loopback
# (test-infra/kube: installed and built on first use, started fresh, stopped afterwards).
node-test: build helm
	bash test-infra/kube/with-kube.sh $(NODE_TEST) $(NODE_TESTS)

# Every layer, each one's output kept in .tmp/test-logs/, then one line over all of them.
TEST_LOGS := .tmp/test-logs
test: typecheck lint build
	@mkdir -p $(TEST_LOGS)
	@set -o pipefail; $(MAKE) --no-print-directory unit-test 2>&1 | tee $(TEST_LOGS)/unit.log
	@set -o pipefail; $(MAKE) --no-print-directory node-test 2>&1 | tee $(TEST_LOGS)/node.log
	@set -o pipefail; $(MAKE) --no-print-directory workers-test 2>&1 | tee $(TEST_LOGS)/workers.log
	@node --import tsx scripts/test-summary.ts $(TEST_LOGS)

# The host's tests and the filter's in-process and socket tests again with 2 workers per host
# (Envoy's --concurrency 2; tests of one VM's budget, batch or lifecycle pin workers: 1).
WORKER_TESTS = $(call find_tests,proxy-wasm-host/test filter/test/e2e filter/test/inprocess testbed/test)
workers-test: build
	PROXY_WASM_HOST_WORKERS=2 $(NODE_TEST) $(WORKER_TESTS)

# What needs no API server (no root, apt or Go): typecheck, lint, units and every Node test, with the
# tests that need a real kube-apiserver skipped, and saying so.
test-fast: typecheck lint build
	@mkdir -p $(TEST_LOGS)
	@set -o pipefail; $(MAKE) --no-print-directory unit-test 2>&1 | tee $(TEST_LOGS)/unit.log
	@set -o pipefail; KWL_NO_API_SERVER=1 $(NODE_TEST) $(NODE_TESTS) 2>&1 | tee $(TEST_LOGS)/node.log
	@set -o pipefail; $(MAKE) --no-print-directory workers-test 2>&1 | tee $(TEST_LOGS)/workers.log
	@node --import tsx scripts/test-summary.ts $(TEST_LOGS)

demo: build
	node --import tsx testbed/demo.ts

reliability: build
	node --import tsx --expose-gc filter/test/reliability/report.ts --write docs/reliability.md

# BENCH_ARGS: e.g. "--write docs/benchmarks.md", "--quick", "--only 2".
bench: build
	node --import tsx --expose-gc bench/run.ts $(BENCH_ARGS)

clean:
	rm -rf build dist .tmp
