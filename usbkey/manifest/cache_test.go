package manifest

import (
	"bytes"
	"cntools/usbkey/keytree"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
