package tarx_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"cntools/internal/tarx"
)

// writeToolsTarball writes a tools tarball of about size compressed bytes
// shaped like a real tools.tar.gz: thousands of small, compressible
// node_modules and script files, and a few large binaries that do not
// compress. It is built with the default gzip level, as pigz builds it.
func writeToolsTarball(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := gzip.NewWriter(bw)
	cw := &countingWriter{w: bw}
	zw.Reset(cw)
	tw := tar.NewWriter(zw)
	rnd := rand.New(rand.NewPCG(1, 2))
	words := []string{"function", "var", "return", "require", "module.exports", "callback", "err", "assert", "this", "sdc", "vmapi", "cnapi", "usbkey", "{", "}", "(", ")", ";", "\n"}
	text := func(n int) []byte {
		b := make([]byte, 0, n+16)
		for len(b) < n {
			b = append(b, words[rnd.IntN(len(words))]...)
			b = append(b, ' ')
		}
		return b[:n]
	}
	add := func(name string, mode int64, body []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), ModTime: time.Unix(1772323200, 0), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	for i := 0; cw.n < size; i++ {
		dir := fmt.Sprintf("node_modules/mod%03d/lib", i%300)
		if i%300 == 0 {
			if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("node_modules/mod%03d/", i/300%300), Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
				return err
			}
		}
		if err := add(fmt.Sprintf("%s/f%05d.js", dir, i), 0o644, text(512+rnd.IntN(12<<10))); err != nil {
			return err
		}
		if i%40 == 0 {
			bin := make([]byte, 256<<10+rnd.IntN(2<<20))
			for j := range bin {
				bin[j] = byte(rnd.Uint32())
			}
			if err := add(fmt.Sprintf("bin/tool%05d", i), 0o755, bin); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

type countingWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// BenchmarkExtract200MiB extracts a 200 MiB tools tarball with Extract and
// with GNU `tar xzf`, on the same machine into the same filesystem, and
// reports ours / tar as "ratio" (below 1 is faster). Each is run three
// times and the fastest run counts, so a stray page-cache flush does not
// decide the ratio.
func BenchmarkExtract200MiB(b *testing.B) {
	dir := b.TempDir()
	tgz := filepath.Join(dir, "tools.tar.gz")
	if err := writeToolsTarball(tgz, 200<<20); err != nil {
		b.Fatal(err)
	}
	tarBin, err := exec.LookPath("tar")
	if err != nil {
		b.Fatalf("GNU tar is needed to compare against: %v", err)
	}
	run := 0
	ours := func() time.Duration {
		run++
		out := filepath.Join(dir, fmt.Sprint("ours", run))
		start := time.Now()
		if _, err := tarx.ExtractFile(context.Background(), tgz, out, tarx.Options{}); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		os.RemoveAll(out)
		return d
	}
	gnu := func() time.Duration {
		run++
		out := filepath.Join(dir, fmt.Sprint("tar", run))
		os.Mkdir(out, 0o755)
		start := time.Now()
		if out, err := exec.Command(tarBin, "xzf", tgz, "-C", out).CombinedOutput(); err != nil {
			b.Fatalf("tar xzf: %v: %s", err, out)
		}
		d := time.Since(start)
		os.RemoveAll(out)
		return d
	}
	b.ResetTimer()
	for range b.N {
		bestOurs, bestTar := time.Duration(1<<62), time.Duration(1<<62)
		for range 3 {
			bestTar = min(bestTar, gnu())
			bestOurs = min(bestOurs, ours())
		}
		ratio := bestOurs.Seconds() / bestTar.Seconds()
		b.ReportMetric(ratio, "ratio")
		b.Logf("extract 200 MiB: ours %v, tar %v, ratio %.2f", bestOurs.Round(time.Millisecond), bestTar.Round(time.Millisecond), ratio)
	}
}
