#!/usr/bin/env bash
# Installs what test-infra/kube/start.sh needs, idempotently, from pinned versions:
#   - etcd: by default Debian's package etcd-server (apt-get; `apt-get update` runs once
#     first, only when something is missing). With KUBE_ETCD=go, etcd is built instead from
#     go.etcd.io/etcd/server/v3 at the version pinned in apiserver/go.mod (v3.7.0, the one
#     Kubernetes itself depends on) into $KUBE_BIN_DIR/etcd (~20 s with a warm Go cache).
#   - openssl, curl and python3 from Debian if missing;
#   - kube-apiserver built from the Go module k8s.io/kubernetes at the version pinned in
#     apiserver/go.mod + go.sum, into $KUBE_BIN_DIR (default .tmp/kube/bin). The build is
#     skipped when that binary exists and reports the pinned version.
# kube-apiserver build on 2 cores: cold (empty Go module + build cache) ~6 min, warm ~10 s.
# Env: KUBE_TMP, KUBE_BIN_DIR (see lib.sh), KUBE_ETCD=debian|go, KUBE_FORCE_BUILD=1.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ETCD_DEB_VERSION="${ETCD_DEB_VERSION:-3.4.23-4+b4}"   # Debian bookworm's; unpinned fallback below
MOD_DIR="$KUBE_INFRA_DIR/apiserver"

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_debian_deps() {
  local missing=()
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v python3 >/dev/null || missing+=(python3)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  [ "$KUBE_ETCD" = debian ] || return 0
  if command -v etcd >/dev/null; then
    log "etcd present: $(etcd --version 2>/dev/null | head -1)"
  else
    # Installing the package does not start an etcd service here (no systemd, and
    # policy-rc.d denies it); start.sh runs its own etcd on a loopback port.
    apt_install "$ETCD_DEB_PACKAGE=$ETCD_DEB_VERSION" \
      || { log "pinned $ETCD_DEB_PACKAGE=$ETCD_DEB_VERSION unavailable; installing the candidate"; apt_install "$ETCD_DEB_PACKAGE"; }
    log "installed: $(etcd --version | head -1)"
  fi
}

check_go() {
  command -v go >/dev/null || die "go not found (Go >= 1.26 is needed to build kube-apiserver $KUBE_VERSION)"
  local gover; gover="$(GOTOOLCHAIN=local go env GOVERSION)"
  case "$gover" in go1.2[6-9]*|go1.[3-9][0-9]*) ;; *) die "need Go >= 1.26, have $gover" ;; esac
  grep -Eq "^(require)?[[:space:]]*k8s.io/kubernetes $KUBE_VERSION\$" "$MOD_DIR/go.mod" \
    || die "apiserver/go.mod does not require k8s.io/kubernetes $KUBE_VERSION (lib.sh KUBE_VERSION)"
  echo "$gover"
}

go_build() {  # out-path package ldflags
  local out=$1 pkg=$2 ldflags=$3 t0=$SECONDS tmp="$1.tmp.$$"
  mkdir -p "$(dirname "$out")"
  # a cold build prints nothing for minutes: a line every 30 s says it is alive
  ( while sleep 30; do log "still building $pkg ($((SECONDS - t0)) s so far)"; done ) &
  local heartbeat=$!
  ( cd "$MOD_DIR" &&
    GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
      go build -trimpath -ldflags="$ldflags" -o "$tmp" "$pkg" ) \
    || { kill "$heartbeat" 2>/dev/null; rm -f "$tmp"; die "build of $pkg failed"; }
  kill "$heartbeat" 2>/dev/null || true
  mv -f "$tmp" "$out"
  log "built $out in $((SECONDS - t0)) s"
}

build_kube_apiserver() {
  if [ "${KUBE_FORCE_BUILD:-0}" != 1 ] && [ -x "$KUBE_APISERVER_BIN" ] \
     && [ "$("$KUBE_APISERVER_BIN" --version 2>/dev/null)" = "Kubernetes $KUBE_VERSION" ]; then
    log "kube-apiserver $KUBE_VERSION present at $KUBE_APISERVER_BIN: build skipped"
    return 0
  fi
  local gover; gover="$(check_go)"
  local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local v=k8s.io/component-base/version
  log "building kube-apiserver $KUBE_VERSION with $gover (cold: ~6 min on 2 cores, warm Go cache: ~10 s)"
  go_build "$KUBE_APISERVER_BIN" k8s.io/kubernetes/cmd/kube-apiserver \
    "-s -w -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
  "$KUBE_APISERVER_BIN" --version >&2
}

build_etcd() {
  [ "$KUBE_ETCD" = go ] || return 0
  local want; want="$(sed -n 's/^[[:space:]]*go.etcd.io\/etcd\/server\/v3 v\([0-9.]*\)$/\1/p' "$MOD_DIR/go.mod")"
  if [ "${KUBE_FORCE_BUILD:-0}" != 1 ] && [ -x "$KUBE_GO_ETCD_BIN" ] \
     && "$KUBE_GO_ETCD_BIN" --version 2>/dev/null | grep -qx "etcd Version: $want"; then
    log "etcd $want present at $KUBE_GO_ETCD_BIN: build skipped"
    return 0
  fi
  local gover; gover="$(check_go)"
  log "building etcd $want with $gover"
  go_build "$KUBE_GO_ETCD_BIN" go.etcd.io/etcd/server/v3 "-s -w"
}

case "$KUBE_ETCD" in debian|go) ;; *) die "KUBE_ETCD must be debian or go, not $KUBE_ETCD" ;; esac
install_debian_deps
build_kube_apiserver
build_etcd
