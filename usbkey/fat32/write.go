package fat32

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync"
	"time"
)

// ErrVerify means data read back differs from what was written.
var ErrVerify = errors.New("verify failed")

// MaxFileSize is the largest file FAT32 can hold: 4 GiB - 1.
const MaxFileSize = 1<<32 - 1

// copyChunk is how much file data one WriteAt carries, and one read-back:
// large writes keep a USB stick and the page cache streaming, and a
// megabyte compared just after it is read back is still in the cache. A
// larger chunk bought no speed and cost a fault on every fresh page of
// each buffer.
const copyChunk = 1 << 20

// parentOf finds the directory that holds p and p's last name.
func (f *FS) parentOf(p string) (*node, string, error) {
	parts := clean(p)
	if len(parts) == 0 {
		return nil, "", fmt.Errorf("fat32: %q: the root has no parent", p)
	}
	dir := path.Join(parts[:len(parts)-1]...)
	d, err := f.lookup(dir)
	if err != nil {
		return nil, "", err
	}
	if !d.isDir() {
		return nil, "", &fs.PathError{Op: "create", Path: p, Err: errors.New("parent is not a directory")}
	}
	if err := f.load(d); err != nil {
		return nil, "", err
	}
	name := parts[len(parts)-1]
	if err := validName(name); err != nil {
		return nil, "", fmt.Errorf("fat32: %s: %w", p, err)
	}
	return d, name, nil
}

// newEntry names a new child of d, with a short name no sibling has.
func (f *FS) newEntry(d *node, name string, attr uint8, mtime time.Time) (*node, error) {
	short, err := makeShort(name, func(s [11]byte) bool {
		for _, c := range d.children {
			if c.short == s {
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("fat32: %w", err)
	}
	_, exact := exactShort(name)
	n := &node{name: name, parent: d, entry: entry{short: short, attr: attr, mtime: mtime}}
	n.hasLong = needsLong(name, short, exact)
	return n, nil
}

// Mkdir creates the directory p. Its parent must exist.
func (f *FS) Mkdir(p string, mtime time.Time) error {
	d, name, err := f.parentOf(p)
	if err != nil {
		return err
	}
	if c, err := f.child(d, name); err != nil {
		return err
	} else if c != nil {
		if c.isDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: p, Err: fs.ErrExist}
	}
	n, err := f.newEntry(d, name, attrDir, mtime)
	if err != nil {
		return err
	}
	n.children = []*node{}
	n.dirty = true
	d.children = append(d.children, n)
	d.dirty = true
	return nil
}

// MkdirAll creates p and every missing parent.
func (f *FS) MkdirAll(p string, mtime time.Time) error {
	parts := clean(p)
	for i := range parts {
		if err := f.Mkdir(path.Join(parts[:i+1]...), mtime); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile creates or replaces the file p with size bytes from r. The
// data goes straight to newly allocated clusters; an existing file keeps its
// clusters until Commit, so a failed or interrupted write loses nothing.
func (f *FS) WriteFile(p string, r io.Reader, size int64, mtime time.Time) error {
	if size < 0 || size > MaxFileSize {
		return fmt.Errorf("fat32: %s: %d bytes: FAT32 holds files up to 4 GiB - 1", p, size)
	}
	d, name, err := f.parentOf(p)
	if err != nil {
		return err
	}
	old, err := f.child(d, name)
	if err != nil {
		return err
	}
	if old != nil && old.isDir() {
		return &fs.PathError{Op: "write", Path: p, Err: errors.New("is a directory")}
	}
	cs, err := f.fat.alloc(f.ClustersFor(size))
	if err != nil {
		return fmt.Errorf("fat32: %s: need %d clusters, %d free: %w", p, f.ClustersFor(size), f.fat.free, err)
	}
	if err := f.stream(cs, r, size); err != nil {
		f.fat.release(cs)
		return fmt.Errorf("fat32: write %s: %w", p, err)
	}
	var first uint32
	if len(cs) > 0 {
		first = cs[0]
	}
	if old != nil {
		f.drop(old)
		old.name, old.cluster, old.size, old.mtime = name, first, uint32(size), mtime
		old.attr = attrArchive
		_, exact := exactShort(name)
		old.hasLong = needsLong(name, old.short, exact) || old.hasLong
	} else {
		n, err := f.newEntry(d, name, attrArchive, mtime)
		if err != nil {
			f.fat.release(cs)
			return err
		}
		n.cluster, n.size = first, uint32(size)
		d.children = append(d.children, n)
	}
	d.dirty = true
	return nil
}

// chunks keeps the copyChunk buffers files are written and read back
// through: a run writes thousands of files, and clearing a fresh buffer
// for each cost more than writing the small ones.
var chunks = sync.Pool{New: func() any { return new([copyChunk]byte) }}

// stream copies size bytes from r into the clusters.
func (f *FS) stream(cs []uint32, r io.Reader, size int64) error {
	w := &chainWriter{f: f, cs: cs, left: size, size: size}
	defer w.release()
	if _, err := io.Copy(w, r); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("source is shorter than %d bytes", size)
		}
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if w.left > 0 {
		return fmt.Errorf("source is shorter than %d bytes", size)
	}
	return nil
}

// chainWriter writes a file's bytes into its clusters in order, one
// WriteAt per contiguous run, each read back when the FS verifies
// writes. A chunk of copyChunk bytes or more goes straight from the
// caller's buffer to the key: a source that writes its own buffers (its
// io.WriterTo) can hash each after it is written without keeping a copy,
// as populate does. Anything smaller is gathered into a chunk first, and
// ReadFrom reads straight into one, so a plain reader is written in
// chunks too.
type chainWriter struct {
	f      *FS
	cs     []uint32 // the clusters not yet written into
	off    int64    // where the current run's next byte goes
	room   int64    // bytes left in the current run
	left   int64    // bytes the file still takes
	size   int64
	buf    []byte // the chunk being gathered
	bufArr *[copyChunk]byte
}

func (w *chainWriter) chunk() []byte {
	if w.bufArr == nil {
		w.bufArr = chunks.Get().(*[copyChunk]byte)
		w.buf = w.bufArr[:0:min(copyChunk, max(w.size, 1))]
	}
	return w.buf
}

func (w *chainWriter) release() {
	if w.bufArr != nil {
		chunks.Put(w.bufArr)
	}
	w.bufArr, w.buf = nil, nil
}

func (w *chainWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(w.buf) == 0 && (len(p) >= copyChunk || int64(len(p)) == w.left) {
		return n, w.put(p)
	}
	for len(p) > 0 {
		b := w.chunk()
		k := copy(b[len(b):cap(b)], p)
		w.buf, p = b[:len(b)+k], p[k:]
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// ReadFrom reads r straight into the chunk being gathered.
func (w *chainWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		b := w.chunk()
		if len(b) == cap(b) {
			if err := w.flush(); err != nil {
				return total, err
			}
			b = w.buf
		}
		m, err := r.Read(b[len(b):cap(b)])
		w.buf = b[:len(b)+m]
		total += int64(m)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (w *chainWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.put(w.buf)
	w.buf = w.buf[:0]
	return err
}

// put writes p at the file's next bytes, across runs of clusters.
func (w *chainWriter) put(p []byte) error {
	if int64(len(p)) > w.left {
		return fmt.Errorf("source is longer than %d bytes", w.size)
	}
	for len(p) > 0 {
		if w.room == 0 {
			j := 1
			for j < len(w.cs) && w.cs[j] == w.cs[j-1]+1 {
				j++
			}
			w.off, w.room = w.f.g.clusterOffset(w.cs[0]), min(int64(j)*w.f.g.ClusterSize, w.left)
			w.cs = w.cs[j:]
		}
		n := min(int64(len(p)), w.room)
		if _, err := w.f.v.WriteAt(p[:n], w.off); err != nil {
			return err
		}
		if w.f.VerifyWrites {
			if err := w.verify(p[:n]); err != nil {
				return err
			}
		}
		w.off += n
		w.room -= n
		w.left -= n
		p = p[n:]
	}
	return nil
}

// verify reads back what was just written at w.off, through the FS's one
// read-back buffer: an FS is used by one goroutine at a time, and a
// buffer kept for the whole run is faulted in once.
func (w *chainWriter) verify(p []byte) error {
	if w.f.back == nil {
		w.f.back = new([copyChunk]byte)
	}
	for i := 0; i < len(p); i += copyChunk {
		q := p[i:min(len(p), i+copyChunk)]
		back := w.f.back[:len(q)]
		if _, err := w.f.v.ReadAt(back, w.off+int64(i)); err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		if !bytes.Equal(back, q) {
			return fmt.Errorf("%w: %d bytes at byte %d of the file read back differently", ErrVerify, len(q), w.size-w.left+int64(i))
		}
	}
	return nil
}

// drop schedules a file's clusters to be freed at Commit.
func (f *FS) drop(n *node) {
	if n.cluster == 0 {
		return
	}
	if cs, err := f.fat.chain(n.cluster); err == nil {
		f.pending = append(f.pending, cs...)
	}
	// A broken chain is left alone: freeing it could free another file's
	// clusters. fsck.fat reports it.
}

// Remove deletes the file or empty directory p.
func (f *FS) Remove(p string) error {
	d, name, err := f.parentOf(p)
	if err != nil {
		return err
	}
	n, err := f.child(d, name)
	if err != nil {
		return err
	}
	if n == nil {
		return &fs.PathError{Op: "remove", Path: p, Err: fs.ErrNotExist}
	}
	if n.isDir() {
		if err := f.load(n); err != nil {
			return err
		}
		if len(n.children) > 0 {
			return &fs.PathError{Op: "remove", Path: p, Err: errors.New("directory not empty")}
		}
		f.pending = append(f.pending, n.clusters...)
	} else {
		f.drop(n)
	}
	for i, c := range d.children {
		if c == n {
			d.children = append(d.children[:i], d.children[i+1:]...)
			break
		}
	}
	d.dirty = true
	return nil
}
