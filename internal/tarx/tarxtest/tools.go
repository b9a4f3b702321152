// Package tarxtest writes the tarballs the extraction benchmarks read.
package tarxtest

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

// WriteToolsTarball writes a tools tarball of about size compressed bytes
// shaped like a real tools.tar.gz: thousands of small, compressible
// node_modules and script files, and a few large binaries that do not
// compress. It is built with the default gzip level, as pigz builds it.
func WriteToolsTarball(path string, size int64) error {
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
