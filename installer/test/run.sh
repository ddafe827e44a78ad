#!/usr/bin/env bash
# Runs the installer's tests: every installer/test/*.test.ts (found, not listed: Node 20's --test
# does not expand globs), against the real kube-apiserver of test-infra/kube when it is built.
# UPDATE_GOLDEN=1 installer/test/run.sh rewrites testdata/golden/ from the current output.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(find installer/test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=1 --test-force-exit "${files[@]}" "$@"
