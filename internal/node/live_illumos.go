//go:build illumos

package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// readLive runs the command that prints a fact, or reads its file when the
// fact is a file on the node (mnttab).
func readLive(ctx context.Context, f fact) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	if f.cmd == nil {
		b, err := os.ReadFile("/" + f.file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		return b, nil
	}
	cmd := exec.CommandContext(ctx, f.cmd[0], f.cmd[1:]...)
	// The parsers expect the C locale's output, as sdc-usbkey does.
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return nil, fmt.Errorf("%s: %s: %w: %s", f.name, strings.Join(f.cmd, " "), err, msg)
		}
		return nil, fmt.Errorf("%s: %s: %w", f.name, strings.Join(f.cmd, " "), err)
	}
	return out, nil
}
