//go:build tools

// Package tools pins the main package install.sh builds, so that go mod tidy keeps go.sum complete.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
