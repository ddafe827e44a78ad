#!/usr/bin/env bash
# Restarts the kube-apiserver of start.sh with the same arguments (same port, certs and etcd),
# as a control-plane upgrade would: every connection is cut, and the new server's watch cache
# starts at etcd's current revision, so a watch resumed from an older version is answered
# 410 Gone ("too old resource version") and the client must list again.
#   test-infra/kube/restart-apiserver.sh [--compact]
# --compact: while the API server is down, etcd's history is compacted up to its current
# revision (through etcd's JSON gateway), as etcd's periodic compaction would.
# Waits for /readyz; stderr: progress.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compact=0
for a in "$@"; do
  case "$a" in
    --compact) compact=1 ;;
    *) die "usage: $0 [--compact] (unknown argument: $a)" ;;
  esac
done
[ -f "$KUBE_ENV_FILE" ] && [ -f "$KUBE_APISERVER_ARGS_FILE" ] || die "no control plane of start.sh to restart ($KUBE_ENV_FILE, $KUBE_APISERVER_ARGS_FILE)"
# shellcheck disable=SC1090
. "$KUBE_ENV_FILE"

t0=$(date +%s.%N)
stop_one kube-apiserver kube-apiserver
if [ "$compact" = 1 ]; then
  rev="$(curl -fsS --max-time 5 -X POST "$KUBE_ETCD_URL/v3/kv/range" -d '{"key":"AA=="}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')"
  curl -fsS --max-time 20 -X POST "$KUBE_ETCD_URL/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null \
    || die "etcd compaction at revision $rev failed"
  log "etcd compacted at revision $rev"
fi
log "starting kube-apiserver again on $KUBE_APISERVER_URL"
launch_apiserver
for _ in $(seq 1 600); do
  if curl -fsS --max-time 5 --cacert "$KUBE_CA_FILE" -H "Authorization: Bearer $KUBE_ADMIN_TOKEN" "$KUBE_APISERVER_URL/readyz" >/dev/null 2>&1; then
    log "kube-apiserver ready again after $(python3 -c "print(round($(date +%s.%N)-$t0,1))") s"
    exit 0
  fi
  pid_alive "$(cat "$KUBE_RUN_DIR/kube-apiserver.pid")" || die "kube-apiserver exited (see $KUBE_LOG_DIR/kube-apiserver.log)"
  sleep 0.1
done
die "kube-apiserver not ready 60 s after the restart"
