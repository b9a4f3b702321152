package manifest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cntools/usbkey/keytree"
)

// A file rewritten in place with content of the same size and its old
// mtime put back keeps size, mtime and inode: only its ctime tells the
// cache that the hash it holds is stale.
func TestCacheSeesRewriteWithOldMtime(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "loader.conf")
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.WriteFile(p, []byte("ipxe=\"true\"\n"), 0o644)
	os.Chtimes(p, old, old)
	cache := &Cache{}
	m1, err := Build(context.Background(), keytree.Dir(dir), Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // a ctime the filesystem can tell apart
	f, _ := os.OpenFile(p, os.O_WRONLY, 0)
	f.WriteAt([]byte("ipxe=\"fals\"\n"), 0)
	f.Close()
	os.Chtimes(p, old, old)
	m2, err := Build(context.Background(), keytree.Dir(dir), Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if m1.Entries[0].SHA256 == m2.Entries[0].SHA256 {
		t.Errorf("Build after an in-place rewrite with the old mtime gave the cached hash %s", m2.Entries[0].SHA256)
	}
}
