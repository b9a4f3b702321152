//go:build !illumos

package node

import (
	"context"
	"fmt"
	"runtime"
)

// readLive refuses: the facts of a live node come from illumos commands that
// do not exist here, and an empty answer would make every safety check pass.
func readLive(ctx context.Context, f fact) ([]byte, error) {
	return nil, fmt.Errorf("%s: live node facts need illumos (this is %s): pass --root to read them from files", f.name, runtime.GOOS)
}
