package manifest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/keytree"
)

func TestCacheSaveLoad(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, keyTree)
	var c Cache
	build(t, keytree.Dir(root), Options{Cache: &c})
	p := filepath.Join(t.TempDir(), "hashes.json")
	if err := c.Save(p); err != nil {
		t.Fatalf("Save() = %v", err)
	}
	first, _ := os.ReadFile(p)
	// What Save writes is read by the fast reader, as encoding/json reads it.
	if es, ok := cacheEntries(first); !ok || len(es) != 5 {
		t.Errorf("the fast reader read %d entries, ok %v, from\n%s", len(es), ok, first)
	}
	loaded, err := LoadCache(p)
	if err != nil {
		t.Fatalf("LoadCache() = %v", err)
	}
	build(t, keytree.Dir(root), Options{Cache: loaded})
	if err := loaded.Save(p); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(p)
	if !bytes.Equal(first, second) || bytes.Count(first, []byte("sha256")) != 5 {
		t.Errorf("Save after an unchanged Build =\n%s\nwant\n%s (five files)", second, first)
	}

	// A file that is gone drops out of the next save.
	os.Remove(filepath.Join(root, "config"))
	pruned, _ := LoadCache(p)
	build(t, keytree.Dir(root), Options{Cache: pruned})
	pruned.Save(p)
	third, _ := os.ReadFile(p)
	if bytes.Contains(third, []byte(`"config"`)) || bytes.Count(third, []byte("sha256")) != 4 {
		t.Errorf("Save after removing config =\n%s\nwant four files, no config", third)
	}
}

func TestLoadCacheMissing(t *testing.T) {
	c, err := LoadCache(filepath.Join(t.TempDir(), "none.json"))
	if err != nil || c == nil {
		t.Errorf("LoadCache(missing) = %v, %v, want an empty cache", c, err)
	}
}

func TestLoadCacheErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"version":2,"entries":[]}`, "version 2, this build reads 1: remove it"},
		{`{"version":1,"entries":[{"path":"a","sha256":"x"}]}`, `bad sha256 "x": remove it`},
		{`{"version":1,`, "unexpected end of JSON input: remove it"},
	} {
		p := filepath.Join(t.TempDir(), "hashes.json")
		os.WriteFile(p, []byte(tc.in), 0o644)
		_, err := LoadCache(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadCache(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// An unchanged tree leaves the cache unchanged, so a caller can skip
// rewriting it; a new file, or one gone, changes it.
func TestCacheChanged(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	for _, n := range []string{"a", "b"} {
		writeOld(t, filepath.Join(tree, n), n)
	}
	path := filepath.Join(dir, "cache.json")
	build := func() *Cache {
		t.Helper()
		c, err := LoadCache(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Build(context.Background(), keytree.Dir(tree), Options{Cache: c}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := build(); !c.Changed() {
		t.Error("first build: Changed() = false, want true")
	} else if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	if c := build(); c.Changed() {
		t.Error("unchanged tree: Changed() = true, want false")
	}
	writeOld(t, filepath.Join(tree, "c"), "c")
	if c := build(); !c.Changed() {
		t.Error("a new file: Changed() = false, want true")
	} else if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(tree, "a"))
	if c := build(); !c.Changed() {
		t.Error("a file gone: Changed() = false, want true")
	}
}

// writeOld writes a file with an mtime outside the cache's racy window.
func writeOld(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}
