package tarx_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/gztools/gztoolstest"
	"cntools/internal/tarx"
)

// FuzzExtract checks the promise of the package: whatever the bytes,
// Extract writes nothing outside its directory, and either extracts a tree
// of plain files, directories and symlinks that stay inside, or leaves
// nothing at all.
func FuzzExtract(f *testing.F) {
	f.Add(gztoolstest.TarGz(good))
	for _, name := range gztoolstest.HostileNames() {
		f.Add(gztoolstest.Hostile()[name])
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkExtract(t, data, tarx.Extract) })
}

// FuzzExtractTar is FuzzExtract on the uncompressed tar stream: mutated
// gzip bytes almost all die on the checksum, so the tar layer (names,
// links, types, sizes, the end blocks) is fuzzed here directly. Each run
// extracts into a directory, so minimizing a new input at the default
// 60 s a run stalls the fuzzer for minutes: run it with
//
//	go test -run '^$' -fuzz FuzzExtractTar -fuzztime 45s -fuzzminimizetime 2x ./internal/tarx/
func FuzzExtractTar(f *testing.F) {
	f.Add(gztoolstest.Tar(good))
	for _, name := range gztoolstest.HostileNames() {
		if b, err := gunzip(gztoolstest.Hostile()[name]); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkExtract(t, data, tarx.ExtractTar) })
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

type extractFunc func(ctx context.Context, r io.Reader, dir string, o tarx.Options) (*tarx.Result, error)

// checkExtract is the promise of the package: whatever the bytes, extract
// writes nothing outside its directory, and either extracts a tree of
// plain files, directories and symlinks that stay inside, or leaves
// nothing at all.
func checkExtract(t *testing.T, data []byte, extract extractFunc) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "x")
	outside := filepath.Join(parent, "outside")
	if err := os.WriteFile(outside, []byte("sentinel"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := extract(context.Background(), bytes.NewReader(data), dir, tarx.Options{
		Free: func(string) (int64, error) { return 64 << 20, nil },
	})
	names, _ := os.ReadDir(parent)
	for _, n := range names {
		if n.Name() != "x" && n.Name() != "outside" {
			t.Errorf("Extract wrote %s beside its directory", n.Name())
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "sentinel" {
		t.Errorf("Extract changed a file outside its directory")
	}
	if err != nil {
		if _, serr := os.Lstat(dir); !errors.Is(serr, fs.ErrNotExist) {
			t.Errorf("Extract = %v and left %s behind", err, dir)
		}
		return
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Errorf("walk %s: %v", p, err)
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			if filepath.IsAbs(target) {
				t.Errorf("%s: absolute symlink %q", p, target)
			}
			if real, err := filepath.EvalSymlinks(p); err == nil {
				if real != dir && !strings.HasPrefix(real, dir+string(filepath.Separator)) {
					t.Errorf("%s resolves to %s, outside %s", p, real, dir)
				}
			}
		case d.Type()&^fs.ModeDir != 0:
			t.Errorf("%s: unexpected type %v", p, d.Type())
		}
		return nil
	})
}
