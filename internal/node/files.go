package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileSource reads facts from the files under root that stand in for the
// live node.
func fileSource(root string) source {
	return func(ctx context.Context, f fact) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		path := filepath.Join(root, filepath.FromSlash(f.file))
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			// A missing fact must not read as "no disks" or "nothing
			// mounted": say what the file holds so the test or the
			// operator can supply it.
			return nil, fmt.Errorf("%s: %w: it holds %s; write it there or run without --root on the live node", f.name, err, f.origin())
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		return b, nil
	}
}

// origin says what writes a fact's file on a real node.
func (f fact) origin() string {
	switch {
	case f.file == SysinfoFile:
		return "the cache sysinfo writes (sysinfo -u)"
	case f.file == BootParamsFile:
		return "name=value lines, as bootparams prints them"
	case f.cmd == nil:
		return "the mount table, as /etc/mnttab on the node"
	default:
		return "the output of " + strings.Join(append([]string{filepath.Base(f.cmd[0])}, f.cmd[1:]...), " ")
	}
}
