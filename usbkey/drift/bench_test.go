package drift

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// benchTree writes the tree the manifest benchmark names: 1 GiB in one
// 400 MiB platform file and 3,000 smaller files (4 KiB to 412 KiB, 208 KiB
// on average, in 30 directories), with mtimes an hour old so that the hash
// cache takes them (it leaves out racily recent files).
func benchTree(b *testing.B, dir string) int64 {
	b.Helper()
	r := rand.New(rand.NewSource(1))
	old := time.Now().Add(-time.Hour)
	var total int64
	w := func(p string, n int) {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		data := make([]byte, n)
		r.Read(data)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		os.Chtimes(p, old, old)
		total += int64(n)
	}
	w("os/20260301T000000Z/platform/i86pc/amd64/boot_archive", 400<<20)
	rest := (1<<30 - 400<<20) / 3000
	for i := range 3000 {
		w(fmt.Sprintf("scripts/dir%02d/file-%04d.js", i%30, i), 4<<10+r.Intn(2*rest-8<<10))
	}
	return total
}

// BenchmarkManifest manifests the 1 GiB tree cold (no hash cache), then
// hashes the same files with one `find | xargs sha256sum` process, then
// manifests it warm (the hash cache loaded from its file, used, saved
// again, as `usbkey-drift manifest` does). The files are in the page cache
// for all three, so the comparison is of hashing, not of the disk. It
// reports cold/sha256sum (goal: at most 1) and the warm seconds (goal:
// under 0.2).
func BenchmarkManifest(b *testing.B) {
	root := filepath.Join(b.TempDir(), "usbkey")
	size := benchTree(b, root)
	cacheDir := b.TempDir()
	ctx := context.Background()
	var cold, peer, warm time.Duration
	for i := 0; i < b.N; i++ {
		os.RemoveAll(cacheDir)
		start := time.Now()
		m, err := BuildManifest(ctx, root, LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		m.Encode(io.Discard)
		cold += time.Since(start)

		start = time.Now()
		cmd := exec.Command("sh", "-c", `find "$1" -type f -print0 | xargs -0 sha256sum >/dev/null`, "sh", root)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sha256sum: %v: %s", err, out)
		}
		peer += time.Since(start)

		// Fill the cache, then time the run that finds it.
		if _, err := BuildManifest(ctx, root, LoadOptions{CacheDir: cacheDir}); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		m, err = BuildManifest(ctx, root, LoadOptions{CacheDir: cacheDir})
		if err != nil {
			b.Fatal(err)
		}
		m.Encode(io.Discard)
		warm += time.Since(start)
	}
	n := float64(b.N)
	b.SetBytes(size)
	b.ReportMetric(cold.Seconds()/n, "cold-s")
	b.ReportMetric(peer.Seconds()/n, "sha256sum-s")
	b.ReportMetric(cold.Seconds()/peer.Seconds(), "cold/sha256sum")
	b.ReportMetric(warm.Seconds()/n, "warm-s")
	b.Logf("manifest of %d MiB, 3001 files: cold %.2fs, sha256sum %.2fs, ratio %.2f (goal <= 1); warm %.3fs (goal < 0.2s)",
		size>>20, cold.Seconds()/n, peer.Seconds()/n, cold.Seconds()/peer.Seconds(), warm.Seconds()/n)
}
