#!/usr/bin/env bash
# Builds helm from its Go module (helm.sh/helm/v3, pinned in module/go.mod + go.sum) into
# .tmp/helm/bin/helm, for the chart's tests (installer/test/chart.test.ts). Idempotent: a helm
# of the pinned version already there is kept. No binary is downloaded: the Go module proxy
# serves the source, as for kube-apiserver (test-infra/kube/).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${HELM_BIN:-$root/.tmp/helm/bin/helm}"
version="$(sed -n 's/^require helm.sh\/helm\/v3 \(v[0-9.]*\)$/\1/p' "$here/module/go.mod")"
log() { printf '[helm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ -n "$version" ] || { log "ERROR: no helm.sh/helm/v3 version in $here/module/go.mod"; exit 1; }
if [ -x "$bin" ] && "$bin" version --template '{{.Version}}' 2>/dev/null | grep -qx "$version"; then
  log "helm $version present at $bin: build skipped"
  exit 0
fi
command -v go >/dev/null || { log "ERROR: go not found (needed to build helm $version)"; exit 1; }
mkdir -p "$(dirname "$bin")"
log "building helm $version (cold: a few minutes on 2 cores, warm Go cache: ~1 min)"
t0=$SECONDS
( while sleep 30; do log "still building helm ($((SECONDS - t0)) s so far)"; done ) &
heartbeat=$!
trap 'kill $heartbeat 2>/dev/null || true' EXIT
( cd "$here/module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$bin.tmp.$$" helm.sh/helm/v3/cmd/helm )
mv -f "$bin.tmp.$$" "$bin"
log "built $bin in $((SECONDS - t0)) s: $("$bin" version --short)"
