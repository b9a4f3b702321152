package manifest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"cntools/usbkey/keytree"
)

// benchTree is the shape of a key: many small files (scripts, config.inc,
// loader files) and one large one (a boot archive).
func benchTree(b *testing.B) (string, int64) {
	b.Helper()
	root := b.TempDir()
	var total int64
	for i := range 2000 {
		d := filepath.Join(root, fmt.Sprintf("d%02d", i%40))
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(d, fmt.Sprintf("f%04d", i))
		data := []byte(fmt.Sprintf("small file %d\n", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		os.Chtimes(p, old, old)
		total += int64(len(data))
	}
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	p := filepath.Join(root, "boot_archive")
	if err := os.WriteFile(p, big, 0o644); err != nil {
		b.Fatal(err)
	}
	os.Chtimes(p, old, old)
	return root, total + int64(len(big))
}

func BenchmarkBuild(b *testing.B) {
	root, size := benchTree(b)
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, err := Build(context.Background(), keytree.Dir(root), Options{Cache: &Cache{}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		var c Cache
		if _, err := Build(context.Background(), keytree.Dir(root), Options{Cache: &c}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		for b.Loop() {
			if _, err := Build(context.Background(), keytree.Dir(root), Options{Cache: &c}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
