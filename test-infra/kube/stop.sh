#!/usr/bin/env bash
# Stops the kube-apiserver and etcd that start.sh started (by the pids it recorded, and
# only if those pids still run the expected program), then deletes .tmp/kube/run (etcd
# data, certs) and .tmp/kube/env. Logs in .tmp/kube/logs are kept. Safe to run twice.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_one kube-apiserver kube-apiserver
stop_one etcd etcd
rm -rf "$KUBE_RUN_DIR" "$KUBE_ENV_FILE" "$KUBECONFIG_ADMIN" "$KUBECONFIG_LIMITED"
