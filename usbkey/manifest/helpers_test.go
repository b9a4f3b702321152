package manifest

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"cntools/usbkey/keytree"
)

// old is an mtime well outside the cache's racy window.
var old = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// node is one entry of a test tree: a file (content), a directory (trailing
// slash in the name) or a symlink ("-> target" as content).
type node struct {
	path, content string
	mode          fs.FileMode
}

var keyTree = []node{
	{".joyliveusb", "", 0o644},
	{"boot/", "", 0o755},
	{"boot/loader.conf", "headnode=\"true\"\nipxe=\"false\"\n", 0o644},
	{"config", "hostname=headnode\n", 0o600},
	{"os/", "", 0o755},
	{"os/20260301T000000Z/", "", 0o755},
	{"os/20260301T000000Z/platform/", "", 0o755},
	{"os/20260301T000000Z/platform/i86pc/", "", 0o755},
	{"os/20260301T000000Z/platform/i86pc/amd64/", "", 0o755},
	{"os/20260301T000000Z/platform/i86pc/amd64/boot_archive", strings.Repeat("archive", 300000), 0o644},
	{"os/latest", "-> 20260301T000000Z", 0},
	{"scripts/", "", 0o755},
	{"scripts/joysetup.sh", "#!/bin/bash\n", 0o755},
}

// writeTree makes the nodes under root with exact modes and the mtime old,
// whatever the umask.
func writeTree(t testing.TB, root string, nodes []node) {
	t.Helper()
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, n := range nodes {
		p := filepath.Join(root, n.path)
		var err error
		switch {
		case strings.HasSuffix(n.path, "/"):
			err = os.MkdirAll(p, 0o755)
			dirs = append(dirs, p)
		case strings.HasPrefix(n.content, "-> "):
			err = os.Symlink(strings.TrimPrefix(n.content, "-> "), p)
		default:
			err = os.WriteFile(p, []byte(n.content), 0o600)
		}
		if err == nil && n.mode != 0 {
			err = os.Chmod(p, n.mode)
		}
		if err == nil && !strings.HasPrefix(n.content, "-> ") {
			err = os.Chtimes(p, old, old)
		}
		if err == nil && strings.HasPrefix(n.content, "-> ") {
			// A symlink's own mtime is in its manifest entry: two trees
			// written a second apart must not differ by it.
			ts := unix.NsecToTimespec(old.UnixNano())
			err = unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Creating entries changes their directory's mtime: set directories
	// last, deepest first.
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
}

func build(t testing.TB, tr keytree.Tree, o Options) *Manifest {
	t.Helper()
	m, err := Build(context.Background(), tr, o)
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	return m
}

func encode(t testing.TB, m *Manifest) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		t.Fatalf("Encode() = %v", err)
	}
	return buf.Bytes()
}

// countingTree counts the files a Build reads.
type countingTree struct {
	keytree.Tree
	opens atomic.Int64
}

func (c *countingTree) Open(p string) (io.ReadCloser, error) {
	c.opens.Add(1)
	return c.Tree.Open(p)
}

func find(m *Manifest, p string) *Entry {
	for i := range m.Entries {
		if m.Entries[i].Path == p {
			return &m.Entries[i]
		}
	}
	return nil
}
