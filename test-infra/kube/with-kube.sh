#!/usr/bin/env bash
# Runs a command against a fresh throwaway control plane, then stops it whatever happens:
#   test-infra/kube/with-kube.sh node test-infra/kube/smoke.mjs
# = install.sh (idempotent) + KUBE_FRESH=1 start.sh + the command with the variables of
#   .tmp/kube/env exported (KUBECONFIG, KUBE_LIMITED_KUBECONFIG, KUBE_APISERVER_URL, ...)
#   + stop.sh. Exits with the command's exit code. KUBE_SKIP_INSTALL=1 skips install.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
[ "${KUBE_SKIP_INSTALL:-0}" = 1 ] || "$here/install.sh"
trap '"$here/stop.sh"' EXIT
eval "$(KUBE_FRESH=1 "$here/start.sh")"
set +e
"$@"
rc=$?
set -e
exit "$rc"
