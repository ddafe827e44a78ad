# Shared settings for test-infra/kube/*.sh. Source it; do not run it.
# shellcheck shell=bash

KUBE_INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KUBE_INFRA_DIR/../.." && pwd)"

# Pinned versions. KUBE_VERSION must match the require line in apiserver/go.mod
# (and its replace directives use v0.<minor>.<patch>).
KUBE_VERSION="v1.37.2"
ETCD_DEB_PACKAGE="etcd-server"

# Everything generated lives under .tmp/kube (gitignored). Override with KUBE_TMP.
KUBE_TMP="${KUBE_TMP:-$REPO_ROOT/.tmp/kube}"
KUBE_BIN_DIR="${KUBE_BIN_DIR:-$KUBE_TMP/bin}"
KUBE_APISERVER_BIN="$KUBE_BIN_DIR/kube-apiserver"
# etcd: "debian" = Debian's etcd-server package (/usr/bin/etcd, 3.4.23 on bookworm);
# "go" = etcd built by install.sh from go.etcd.io/etcd/server/v3 (pinned in apiserver/go.mod).
KUBE_ETCD="${KUBE_ETCD:-debian}"
KUBE_GO_ETCD_BIN="$KUBE_BIN_DIR/etcd"
etcd_bin() { if [ "$KUBE_ETCD" = go ]; then echo "$KUBE_GO_ETCD_BIN"; else command -v etcd || echo /usr/bin/etcd; fi; }
KUBE_RUN_DIR="$KUBE_TMP/run"        # pid files, etcd data, certs: recreated by start.sh
KUBE_LOG_DIR="$KUBE_TMP/logs"
KUBE_APISERVER_ARGS_FILE="$KUBE_RUN_DIR/kube-apiserver.args"  # one argument per line (start.sh)
KUBE_ENV_FILE="$KUBE_TMP/env"       # `source` it to get KUBECONFIG etc.
KUBECONFIG_ADMIN="$KUBE_TMP/kubeconfig"
KUBECONFIG_LIMITED="$KUBE_TMP/kubeconfig-limited"

log() { printf '[kube %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Prints a free TCP port on 127.0.0.1 (the kernel picks it; tiny race until we bind it).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Starts kube-apiserver in the background with the arguments start.sh wrote, logging (appended)
# to logs/kube-apiserver.log; its pid goes to run/kube-apiserver.pid.
launch_apiserver() {
  local args=()
  mapfile -t args < "$KUBE_APISERVER_ARGS_FILE"
  setsid "$KUBE_APISERVER_BIN" "${args[@]}" </dev/null >>"$KUBE_LOG_DIR/kube-apiserver.log" 2>&1 &
  echo $! > "$KUBE_RUN_DIR/kube-apiserver.pid"
}

# Stops the process of run/NAME.pid if it still runs the expected program: TERM, then KILL after 15 s.
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
