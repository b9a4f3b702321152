package keysync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A source file swapped for a symlink or a FIFO after it was manifested
// is refused when it is opened to be sent, and a FIFO does not block.
func TestOpenSourceRefusesWhatIsNoLongerAFile(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"config": "hostname=hn\n", "secret": "s"})
	os.Symlink("secret", filepath.Join(src, "link"))
	if err := unix.Mkfifo(filepath.Join(src, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := openSource(src, "config")
	if err != nil {
		t.Fatalf("openSource(config) = %v", err)
	}
	f.Close()
	for _, p := range []string{"link", "fifo", "gone"} {
		if f, err := openSource(src, p); err == nil || !strings.Contains(err.Error(), "source "+p+": ") || !strings.Contains(err.Error(), "sync again") {
			t.Errorf("openSource(%s) = %v, %v; want refused, naming it", p, f, err)
		}
	}
}
