package populate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"cntools/internal/node"
)

// NewPlan walks the source while it opens the target. A target it cannot
// open fails the plan, and the walk is over by then: the source is closed
// as NewPlan returns, and must not be closed under its walk.
func TestNewPlanWaitsForTheSourceWalk(t *testing.T) {
	root := t.TempDir()
	// One large directory: a cancel is seen between directories, so the
	// walk is still listing this one when the target is refused.
	dir := filepath.Join(root, "standby", "zones")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f := range 20000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d", f)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewPlan(context.Background(), node.New(root), Request{From: "/standby", Target: "/fifo", Yes: true}, Options{})
	if err == nil || !strings.Contains(err.Error(), "/fifo") {
		t.Fatalf("NewPlan to a FIFO = %v, want an error naming it", err)
	}
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "populate.SelectFrom") {
		t.Errorf("the source's walk goes on after NewPlan returned:\n%s", stacks)
	}
}
