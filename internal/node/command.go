package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CommandsFile records, under a simulated root, every command the tools
// would have run on a live node, one shell-quoted command line each.
const CommandsFile = "var/run/nodefacts/commands"

// Commander runs the illumos commands that change a node (zfs, zpool,
// installboot). On the live node they run; under any other root they are
// recorded in CommandsFile, so a test asserts exactly what would run.
type Commander interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// NewCommander returns the commander for root.
func NewCommander(root string) Commander {
	if isLive(root) {
		return liveCommander{}
	}
	return recorder{file: filepath.Join(root, filepath.FromSlash(CommandsFile))}
}

type recorder struct{ file string }

func (r recorder) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(r.file), 0o755); err != nil {
		return nil, fmt.Errorf("record %s: %w", name, err)
	}
	f, err := os.OpenFile(r.file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", name, err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, CommandLine(name, args...)); err != nil {
		return nil, fmt.Errorf("record %s: %w", name, err)
	}
	return nil, f.Close()
}

// CommandLine is name and args as one line a POSIX shell reads back as
// the same words: words made only of safe characters stay bare.
func CommandLine(name string, args ...string) string {
	words := make([]string, 0, 1+len(args))
	for _, w := range append([]string{name}, args...) {
		words = append(words, QuoteIfNeeded(w))
	}
	return strings.Join(words, " ")
}

// Quote quotes s for a POSIX shell, always.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// QuoteIfNeeded quotes s only when a shell would split or expand it.
func QuoteIfNeeded(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r)) {
			return Quote(s)
		}
	}
	return s
}

// ToolLine is the command line that runs a cn-tools tool with args on this
// node: --root first when the node is simulated, so the line does on that
// root exactly what it says.
func (n *Node) ToolLine(tool string, args ...string) string {
	if !n.Live() {
		args = append([]string{"--root", n.Root}, args...)
	}
	return CommandLine(tool, args...)
}
