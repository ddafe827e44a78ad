#!/usr/bin/env bash
# Runs the installer's tests. Node 20's --test does not expand globs, so the files are listed here.
# UPDATE_GOLDEN=1 installer/test/run.sh rewrites testdata/golden/ from the current output.
set -euo pipefail
cd "$(dirname "$0")/../.."
files=(
  installer/test/logger-target.test.ts
  installer/test/endpoints.test.ts
  installer/test/plugin-config.test.ts
  installer/test/contract.test.ts
  installer/test/render.test.ts
  installer/test/validate.test.ts
  installer/test/golden.test.ts
  installer/test/cli.test.ts
  installer/test/apply.test.ts
  installer/test/watch-to-filter.test.ts
  installer/test/oci-module.test.ts
  installer/test/watch.test.ts
  installer/test/manifests.test.ts
  installer/test/kube.test.ts
)
exec node --import tsx --test "${files[@]}" "$@"
