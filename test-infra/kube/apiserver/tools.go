//go:build tools

// Package tools pins k8s.io/kubernetes/cmd/kube-apiserver (and etcd's server main
// package, for KUBE_ETCD=go) so that `go mod tidy` keeps every module they need in
// go.mod/go.sum. Built by ../install.sh.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
