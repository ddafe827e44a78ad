#!/usr/bin/env bash
# Stops the kube-apiserver and etcd that start.sh started (by the pids it recorded, and
# only if those pids still run the expected program), then deletes .tmp/kube/run (etcd
# data, certs) and .tmp/kube/env. Logs in .tmp/kube/logs are kept. Safe to run twice.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_one() {  # name expected-exe-substring
  local name=$1 exe=$2 pidfile="$KUBE_RUN_DIR/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if pid_alive "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$exe"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then log "$name did not exit in 15 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

stop_one kube-apiserver kube-apiserver
stop_one etcd etcd
rm -rf "$KUBE_RUN_DIR" "$KUBE_ENV_FILE" "$KUBECONFIG_ADMIN" "$KUBECONFIG_LIMITED"
