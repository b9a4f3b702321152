package manifest

import (
	"os"
	"path/filepath"
	"testing"
)

// A hash cache holds the SHA-256 of every file, private/root.password.*'s
// too: only its owner reads it, also when an older run left it 0644.
func TestCacheSaveMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cache.json")
	os.WriteFile(p, []byte(`{"version":1,"entries":[]}`), 0o644)
	c, err := LoadCache(p)
	if err != nil {
		t.Fatal(err)
	}
	c.put(cacheKey{Path: "private/root.password.20260301T000000Z", Size: 3}, "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7")
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("cache mode %v, %v, want 0600", fi.Mode().Perm(), err)
	}
}
