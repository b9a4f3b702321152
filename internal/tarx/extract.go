package tarx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"cntools/internal/node"
)

// Options tune Extract.
type Options struct {
	// Free returns the bytes available on the filesystem holding dir; nil
	// means the real free space. Tests give a small number.
	Free func(dir string) (int64, error)
	// AfterEntry, when not nil, is called after each entry is written
	// (a small file's once it is queued for a writer goroutine).
	// Tests stall there to kill an extraction midway.
	AfterEntry func(e *Entry)
	// Progress, when not nil, is written every byte of the archive file
	// as ExtractFile reads it: a progress meter counts them.
	Progress io.Writer
	// Content, when not nil, is called before a regular file's content
	// is written. The writer it returns, unless nil, is given that
	// content as it is extracted (a small file's whole, just before a
	// writer goroutine writes it; a larger one's chunk by chunk, once
	// each is written), so a caller can compare or hash what is
	// extracted without reading it again. Content, the writer and
	// AfterEntry are called from one goroutine, in archive order.
	Content func(e *Entry) io.Writer
}

// Result says what Extract wrote.
type Result struct {
	Entries int   // entries written, implicit parent directories not counted
	Bytes   int64 // bytes of regular file content
}

// copyBuffer is the write size for file content.
const copyBuffer = 1 << 20

// blockSize rounds file sizes for the free space estimate; most
// filesystems allocate at least this much per non-empty file.
const blockSize = 4096

// ExtractFile extracts the gzip-compressed tarball at path into dir, as
// Extract does.
func ExtractFile(ctx context.Context, path, dir string, o Options) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if o.Progress != nil {
		r = io.TeeReader(f, o.Progress)
	}
	res, err := Extract(ctx, r, dir, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// Extract extracts the gzip-compressed tar r into dir, which it creates
// and which must not exist. Modes and modification times are the
// archive's; ownership is the caller's. On any error, dir and everything
// in it are removed: an archive is extracted whole or not at all.
func Extract(ctx context.Context, r io.Reader, dir string, o Options) (*Result, error) {
	return extract(ctx, dir, o, func() (*reader, error) { return newReader(ctx, r) })
}

// extractTar extracts the uncompressed tar r as Extract does: the tar
// layer alone, which a fuzzer reaches directly instead of through gzip's
// checksum.
func extractTar(ctx context.Context, r io.Reader, dir string, o Options) (*Result, error) {
	return extract(ctx, dir, o, func() (*reader, error) {
		return newTarReader(ctx, r, func() error { return nil }, func() {}), nil
	})
}

func extract(ctx context.Context, dir string, o Options, open func() (*reader, error)) (res *Result, err error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create extraction directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	free := o.Free
	if free == nil {
		free = func(dir string) (int64, error) { f, _, err := node.FreeSpace(dir); return f, err }
	}
	avail, err := free(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: free space: %w", dir, err)
	}
	rd, err := open()
	if err != nil {
		return nil, err
	}
	defer rd.close()
	x := &extractor{dir: dir, avail: avail, buf: make([]byte, copyBuffer), dirs: map[string]dirMeta{}, res: &Result{}, content: o.Content}
	x.startWriters()
	defer x.stopWriters() // before the deferred RemoveAll: no writer is left to create a file after it
	for {
		e, parents, replaces, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := x.write(rd, e, parents, replaces); err != nil {
			return nil, err
		}
		if err := x.failed(); err != nil {
			return nil, err
		}
		if o.AfterEntry != nil {
			o.AfterEntry(e)
		}
	}
	x.wait()
	if err := x.failed(); err != nil {
		return nil, err
	}
	if err := x.finishDirs(); err != nil {
		return nil, err
	}
	return x.res, nil
}

type dirMeta struct {
	mode  fs.FileMode
	mtime time.Time // zero for directories the archive did not list
}

type extractor struct {
	dir   string
	avail int64
	used  int64
	buf   []byte
	dirs  map[string]dirMeta
	res   *Result

	content func(e *Entry) io.Writer

	// Small files are read into memory and written by other goroutines
	// (see writers.go).
	jobs    chan fileJob
	pending sync.WaitGroup
	stopped sync.WaitGroup
	mu      sync.Mutex
	err     error // the first a writer met
}

func (x *extractor) path(name string) string {
	return filepath.Join(x.dir, filepath.FromSlash(name))
}

func (x *extractor) write(rd *reader, e *Entry, parents []string, replaces bool) error {
	for _, p := range parents {
		// Directories are made writable by us until the end, whatever
		// the archive says, so a 0555 directory can still be filled.
		if err := os.Mkdir(x.path(p), 0o700); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		x.dirs[p] = dirMeta{mode: 0o755}
	}
	p := x.path(e.Name)
	if replaces || e.Type == TypeHardlink {
		x.wait() // the file removed or linked to may still be being written
	}
	if replaces {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("%s: replace: %w", e.Name, err)
		}
	}
	x.used += 512
	switch e.Type {
	case TypeDir:
		if _, seen := x.dirs[e.Name]; !seen {
			if err := os.Mkdir(p, 0o700); err != nil {
				return fmt.Errorf("%s: %w", e.Name, err)
			}
		}
		x.dirs[e.Name] = dirMeta{mode: e.Mode, mtime: e.ModTime}
	case TypeSymlink:
		if err := os.Symlink(e.Link, p); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	case TypeHardlink:
		if err := os.Link(x.path(e.Link), p); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	case TypeFile:
		if err := x.file(rd, e, p); err != nil {
			return err
		}
	}
	x.res.Entries++
	return nil
}

func (x *extractor) file(rd *reader, e *Entry, p string) error {
	x.used += (e.Size + blockSize - 1) / blockSize * blockSize
	if x.used > x.avail {
		return fmt.Errorf("%w: %s: the tree needs more than the %d bytes free in %s; free some space", ErrNoSpace, e.Name, x.avail, filepath.Dir(x.dir))
	}
	var to io.Writer
	if x.content != nil {
		to = x.content(e)
	}
	if e.Size <= smallFile {
		return x.queue(rd, e, p, to)
	}
	n, err := x.create(e, p, func(f *os.File) (int64, error) {
		// Hiding ReadFrom makes CopyBuffer use our large buffer instead
		// of the 32 KiB one io.Copy would allocate per file.
		var w io.Writer = struct{ io.Writer }{f}
		if to != nil {
			w = writeThen{f, to}
		}
		return io.CopyBuffer(w, rd.tr, x.buf)
	})
	if err != nil {
		return err
	}
	x.res.Bytes += n
	return nil
}

// create writes the file e at p with write, then gives it its mode and
// modification time.
func (x *extractor) create(e *Entry, p string, write func(f *os.File) (int64, error)) (int64, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", e.Name, err)
	}
	n, err := write(f)
	if err == nil && n != e.Size {
		err = io.ErrUnexpectedEOF
	}
	if err == nil {
		err = f.Chmod(e.Mode) // fchmod: exact mode, whatever the umask
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrCorrupt):
		return 0, err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return 0, corrupt(fmt.Sprintf("entry %q", e.Name), err)
	case errors.Is(err, syscall.ENOSPC):
		return 0, fmt.Errorf("%w: %s: %v; free some space in %s", ErrNoSpace, e.Name, err, filepath.Dir(x.dir))
	default:
		return 0, fmt.Errorf("%s: %w", e.Name, err)
	}
	if err := os.Chtimes(p, e.ModTime, e.ModTime); err != nil {
		return 0, fmt.Errorf("%s: %w", e.Name, err)
	}
	return n, nil
}

// writeThen writes to w, then gives what was written to then.
type writeThen struct{ w, then io.Writer }

func (t writeThen) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if n > 0 {
		t.then.Write(p[:n])
	}
	return n, err
}

// finishDirs gives directories their modes and times, deepest first, once
// nothing more will be written into them.
func (x *extractor) finishDirs() error {
	names := make([]string, 0, len(x.dirs))
	for n := range x.dirs {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, n := range names {
		m := x.dirs[n]
		p := x.path(n)
		if err := os.Chmod(p, m.mode); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if !m.mtime.IsZero() {
			if err := os.Chtimes(p, m.mtime, m.mtime); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
	}
	return nil
}
