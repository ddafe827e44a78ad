#!/usr/bin/env bash
# Builds KServe's payload-logging agent (github.com/kserve/kserve/cmd/agent, pinned in
# module/go.mod + go.sum) into .tmp/kserve-agent/bin/agent, for the side-by-side benchmark
# (bench/agent.ts, `npm run bench`). Idempotent: a binary built from the pinned go.sum is kept.
# No binary is downloaded: the Go module proxy serves KServe's source, as for kube-apiserver.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${KSERVE_AGENT_BIN:-$root/.tmp/kserve-agent/bin/agent}"
version="$(sed -n 's/^require github.com\/kserve\/kserve \(v[0-9.]*\)$/\1/p' "$here/module/go.mod")"
log() { printf '[kserve-agent %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ -n "$version" ] || { log "ERROR: no github.com/kserve/kserve version in $here/module/go.mod"; exit 1; }
stamp="$bin.sum"
want="$(sha256sum "$here/module/go.sum" | cut -d' ' -f1)"
if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log "agent $version present at $bin: build skipped"
  exit 0
fi
command -v go >/dev/null || { log "ERROR: go not found (needed to build KServe's agent $version)"; exit 1; }
mkdir -p "$(dirname "$bin")"
log "building KServe's agent $version (cold: module downloads + build, several minutes on 2 cores; warm Go cache: ~2.5 min)"
t0=$SECONDS
( while sleep 30; do log "still building the agent ($((SECONDS - t0)) s so far)"; done ) &
heartbeat=$!
trap 'kill $heartbeat 2>/dev/null || true' EXIT
( cd "$here/module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go build -trimpath -ldflags "-s -w" -o "$bin.tmp.$$" github.com/kserve/kserve/cmd/agent )
mv -f "$bin.tmp.$$" "$bin"
echo "$want" > "$stamp"
log "built $bin in $((SECONDS - t0)) s"
