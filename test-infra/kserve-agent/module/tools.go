//go:build tools

// The package this module builds; the import keeps `go mod tidy` from dropping it.
package tools

import _ "github.com/kserve/kserve/cmd/agent"
