#!/usr/bin/env bash
# Starts a throwaway Kubernetes control plane on loopback: etcd (Debian's etcd-server) and
# kube-apiserver (built by install.sh), on free 127.0.0.1 ports picked at start, with
#   - a self-made CA, serving cert (SAN 127.0.0.1, localhost) and service-account key;
#   - --authorization-mode=RBAC;
#   - admin identity  "kube-admin" in group system:masters (client cert + static token)
#     -> kubeconfig  .tmp/kube/kubeconfig
#   - limited identity "test-limited" in group "test-limited-group" (static token), with
#     NO RBAC bindings: tests bind what they want to check -> .tmp/kube/kubeconfig-limited
# then waits for /readyz and applies the CRDs in crds/ (server-side apply) and waits until
# they are Established.
#
# stdout: `export NAME=value` lines (also written to .tmp/kube/env), so either
#   eval "$(test-infra/kube/start.sh)"    or    test-infra/kube/start.sh && . .tmp/kube/env
# stderr: progress. Logs: .tmp/kube/logs/{etcd,kube-apiserver}.log.
# If the control plane from a previous start.sh is still up and ready, it is reused (the
# data are kept); KUBE_FRESH=1 stops it and starts from an empty etcd.
# Env knobs: KUBE_ETCD=debian|go (which etcd, see lib.sh), KUBE_APISERVER_PORT / KUBE_ETCD_PORT (default: free ports),
#   KUBE_ETCD_COMPACTION_INTERVAL (apiserver --etcd-compaction-interval, default 5m),
#   KUBE_APISERVER_VERBOSITY (default 1).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

t_start=$(date +%s.%N)

print_env() { cat "$KUBE_ENV_FILE"; }

ready() {  # $1 = url base; uses the admin token from the env file
  # shellcheck disable=SC1090
  ( . "$KUBE_ENV_FILE" &&
    curl -fsS --max-time 5 --cacert "$KUBE_CA_FILE" -H "Authorization: Bearer $KUBE_ADMIN_TOKEN" \
      "$KUBE_APISERVER_URL/readyz" >/dev/null 2>&1 )
}

if [ "${KUBE_FRESH:-0}" != 1 ] && [ -f "$KUBE_ENV_FILE" ] \
   && pid_alive "$(cat "$KUBE_RUN_DIR/kube-apiserver.pid" 2>/dev/null)" \
   && pid_alive "$(cat "$KUBE_RUN_DIR/etcd.pid" 2>/dev/null)" && ready; then
  log "control plane already running; reusing it (KUBE_FRESH=1 to restart)"
  print_env
  exit 0
fi

"$KUBE_INFRA_DIR/stop.sh" >&2 || true
t_start=$(date +%s.%N)  # timings below exclude stopping a previous instance
[ -x "$KUBE_APISERVER_BIN" ] || die "$KUBE_APISERVER_BIN missing: run test-infra/kube/install.sh"
ETCD_BIN="$(etcd_bin)"
[ -x "$ETCD_BIN" ] || die "etcd missing ($ETCD_BIN): run test-infra/kube/install.sh (KUBE_ETCD=$KUBE_ETCD)"

rm -rf "$KUBE_RUN_DIR"
mkdir -p "$KUBE_RUN_DIR/pki" "$KUBE_LOG_DIR"
pki="$KUBE_RUN_DIR/pki"

started_ok=0
cleanup_on_failure() {
  if [ "$started_ok" != 1 ]; then
    log "start failed; last log lines:"
    tail -n 25 "$KUBE_LOG_DIR/etcd.log" "$KUBE_LOG_DIR/kube-apiserver.log" >&2 2>/dev/null || true
    "$KUBE_INFRA_DIR/stop.sh" >&2 || true
  fi
}
trap cleanup_on_failure EXIT

# ---- PKI: CA, serving cert, client certs, service-account key, static tokens ----------
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=kserve-wasm-logger-test-ca" -keyout "$pki/ca.key" -out "$pki/ca.crt"
issue() {  # name subject extfile-lines...
  local name=$1 subj=$2; shift 2
  printf '%s\n' "$@" > "$pki/$name.ext"
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subj" \
    -keyout "$pki/$name.key" -out "$pki/$name.csr"
  ossl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$pki/$name.ext" -out "$pki/$name.crt"
}
issue apiserver "/CN=kube-apiserver" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost" "extendedKeyUsage=serverAuth" "keyUsage=digitalSignature"
issue admin "/O=system:masters/CN=kube-admin" \
  "extendedKeyUsage=clientAuth" "keyUsage=digitalSignature"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
admin_token="$(ossl rand -hex 24)"
limited_token="$(ossl rand -hex 24)"
{
  echo "$admin_token,kube-admin,uid-kube-admin,\"system:masters\""
  echo "$limited_token,test-limited,uid-test-limited,\"test-limited-group\""
} > "$pki/tokens.csv"
chmod 600 "$pki"/*.key "$pki/tokens.csv"

# ---- ports -------------------------------------------------------------------------------
etcd_port="${KUBE_ETCD_PORT:-$(free_port)}"
etcd_peer_port="$(free_port)"
api_port="${KUBE_APISERVER_PORT:-$(free_port)}"
while [ "$etcd_peer_port" = "$etcd_port" ] || [ "$etcd_peer_port" = "$api_port" ]; do etcd_peer_port="$(free_port)"; done
while [ "$api_port" = "$etcd_port" ]; do api_port="$(free_port)"; done
api_url="https://127.0.0.1:$api_port"

# ---- etcd ----------------------------------------------------------------------------------
log "starting etcd ($("$ETCD_BIN" --version | head -1)) on 127.0.0.1:$etcd_port"
setsid "$ETCD_BIN" \
  --name kube-test \
  --data-dir "$KUBE_RUN_DIR/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "kube-test=http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster-state new \
  --logger zap --log-outputs stderr --log-level warn \
  </dev/null >"$KUBE_LOG_DIR/etcd.log" 2>&1 &
echo $! > "$KUBE_RUN_DIR/etcd.pid"
for _ in $(seq 1 100); do
  curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" 2>/dev/null | grep -q '"health":"true"' && break
  pid_alive "$(cat "$KUBE_RUN_DIR/etcd.pid")" || die "etcd exited (see $KUBE_LOG_DIR/etcd.log)"
  sleep 0.1
done
curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"' || die "etcd not healthy"
t_etcd=$(date +%s.%N)

# ---- kube-apiserver -----------------------------------------------------------------------
log "starting kube-apiserver on $api_url"
# the command line is kept in run/: restart-apiserver.sh starts the same server again
printf '%s\n' \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --etcd-compaction-interval "${KUBE_ETCD_COMPACTION_INTERVAL:-5m}" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --token-auth-file "$pki/tokens.csv" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" \
  --api-audiences https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range 10.0.0.0/24 \
  --endpoint-reconciler-type none \
  --cert-dir "$KUBE_RUN_DIR/apiserver-certs" \
  --profiling=false \
  --v "${KUBE_APISERVER_VERBOSITY:-1}" > "$KUBE_APISERVER_ARGS_FILE"
: > "$KUBE_LOG_DIR/kube-apiserver.log"
launch_apiserver

# env file first: ready() and callers read it
cat > "$KUBE_ENV_FILE" <<ENV
export KUBECONFIG='$KUBECONFIG_ADMIN'
export KUBE_LIMITED_KUBECONFIG='$KUBECONFIG_LIMITED'
export KUBE_APISERVER_URL='$api_url'
export KUBE_CA_FILE='$pki/ca.crt'
export KUBE_ADMIN_TOKEN='$admin_token'
export KUBE_LIMITED_TOKEN='$limited_token'
export KUBE_LIMITED_USER='test-limited'
export KUBE_LIMITED_GROUP='test-limited-group'
export KUBE_ETCD_URL='http://127.0.0.1:$etcd_port'
ENV

ok=0
for _ in $(seq 1 600); do
  if ready; then ok=1; break; fi
  pid_alive "$(cat "$KUBE_RUN_DIR/kube-apiserver.pid")" || die "kube-apiserver exited (see $KUBE_LOG_DIR/kube-apiserver.log)"
  sleep 0.1
done
[ "$ok" = 1 ] || die "kube-apiserver not ready after 60 s"
t_ready=$(date +%s.%N)

# ---- kubeconfigs ----------------------------------------------------------------------------
b64() { base64 -w0 < "$1"; }
write_kubeconfig() {  # path user user-fields...
  local path=$1 user=$2; shift 2
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: kube-test"
    echo "  cluster:"
    echo "    server: $api_url"
    echo "    certificate-authority-data: $(b64 "$pki/ca.crt")"
    echo "users:"
    echo "- name: $user"
    echo "  user:"
    for f in "$@"; do echo "    $f"; done
    echo "contexts:"
    echo "- name: $user@kube-test"
    echo "  context: {cluster: kube-test, user: $user, namespace: default}"
    echo "current-context: $user@kube-test"
  } > "$path"
  chmod 600 "$path"
}
write_kubeconfig "$KUBECONFIG_ADMIN" kube-admin \
  "client-certificate-data: $(b64 "$pki/admin.crt")" "client-key-data: $(b64 "$pki/admin.key")"
write_kubeconfig "$KUBECONFIG_LIMITED" test-limited "token: $limited_token"

# ---- CRDs (server-side apply, then wait for Established) -------------------------------------
api() {  # method path [curl args...]
  local m=$1 p=$2; shift 2
  curl -fsS --max-time 20 --cacert "$pki/ca.crt" -H "Authorization: Bearer $admin_token" -X "$m" "$api_url$p" "$@"
}
crd_names=()
for f in "$KUBE_INFRA_DIR"/crds/*.yaml; do
  name="$(sed -n 's/^  name: \(.*\)$/\1/p' "$f" | head -1)"
  [ -n "$name" ] || die "no metadata.name in $f"
  api PATCH "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$name?fieldManager=kube-test-infra&force=true" \
    -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$f" >/dev/null \
    || die "applying $f failed"
  crd_names+=("$name")
done
for name in "${crd_names[@]}"; do
  est=0
  for _ in $(seq 1 200); do
    if api GET "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$name" | python3 -c '
import json,sys
c=json.load(sys.stdin).get("status",{}).get("conditions",[])
sys.exit(0 if any(x["type"]=="Established" and x["status"]=="True" for x in c) else 1)'; then est=1; break; fi
    sleep 0.1
  done
  [ "$est" = 1 ] || die "CRD $name not Established"
done
t_crds=$(date +%s.%N)

started_ok=1
log "ready: etcd $(python3 -c "print(round($t_etcd-$t_start,1))") s," \
    "apiserver /readyz $(python3 -c "print(round($t_ready-$t_etcd,1))") s," \
    "CRDs $(python3 -c "print(round($t_crds-$t_ready,1))") s, total $(python3 -c "print(round($t_crds-$t_start,1))") s"
log "KUBECONFIG=$KUBECONFIG_ADMIN (admin, system:masters); limited: $KUBECONFIG_LIMITED; env: $KUBE_ENV_FILE"
print_env
