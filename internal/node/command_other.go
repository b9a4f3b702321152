//go:build !illumos

package node

import (
	"context"
	"fmt"
	"runtime"
)

type liveCommander struct{}

// Run refuses: zfs, zpool and installboot exist only on illumos.
func (liveCommander) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return nil, fmt.Errorf("%s: needs illumos (this is %s): pass --root to record the commands instead", CommandLine(name, args...), runtime.GOOS)
}
