package populate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// slabSize is how much of the source one buffer holds: one piece of a
// large file, or small files back to back. A piece this large goes from
// the buffer to the key in one write (fat32 writes a piece of its
// copyChunk straight through), and the read-back compare of it stays in
// the cache.
const slabSize = 1 << 20

// slabCount is how many buffers a copy holds: one being filled from the
// source while the others are written and hashed. Fresh memory costs a
// fault a page, so the copy holds few and reuses them.
const slabCount = 4

// slab is a buffer pieces of the source are read into. It goes back to
// the free list once the reader has left it and every piece in it has
// been both written and hashed.
type slab struct {
	b    [slabSize]byte
	used int          // bytes the reader has filled
	refs atomic.Int32 // the reader's, while filling, and two a piece
}

// piece is a run of one file's bytes, in order.
type piece struct {
	data []byte
	s    *slab
	last bool  // the file's last piece
	err  error // the source could not be opened or read
	// cached: the source's hash cache knows the file, and the hasher
	// leaves it be. The last piece of such a file carries the sum, ""
	// when the file changed while it was read.
	cached bool
	sum    string
	// learn: the last piece of a file the cache did not know and that
	// did not change while it was read; the hasher stores its sum.
	learn *learnt
}

// learnt is what the cache keys a file's sum on, and when it was stat-ed.
type learnt struct {
	path    string
	in      keytree.Info
	statted time.Time
}

// copier reads the files of a plan on its own goroutine and hashes them on
// another, while the caller writes them, so that on two cores reading,
// hashing and writing (with its read-back) overlap. Each byte is read
// from the source once into a slab; the writer and the hasher both read
// that slab, and neither copies it.
type copier struct {
	cache  *manifest.Cache // the source's hashes; nil for none
	free   chan *slab
	toW    chan piece // every piece, in file order, for the writer
	toH    chan piece // the same pieces, for the hasher
	hashed chan string
	sums   []string // by index in the plan's Copy, as the hasher finishes them
	next   int      // the first file whose sum has not been taken from hashed
	tick   io.Writer
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// startCopy starts reading and hashing the files of as from src. The
// caller takes each file, in order, from file, and calls stop when done.
// A file that cache knows, as it is while it is read, is not hashed; one
// it does not know is learnt.
func startCopy(ctx context.Context, src keytree.Tree, as []Action, tick io.Writer, cache *manifest.Cache) *copier {
	ctx, cancel := context.WithCancel(ctx)
	c := &copier{
		cache: cache,
		free:  make(chan *slab, slabCount),
		// The writer's queue is as deep as the slabs allow; the hasher's
		// too, so neither waits for the other but through the slabs.
		toW: make(chan piece, 4*slabCount), toH: make(chan piece, 4*slabCount),
		hashed: make(chan string, len(as)),
		sums:   make([]string, len(as)),
		tick:   tick, cancel: cancel,
	}
	for range slabCount {
		c.free <- new(slab)
	}
	c.done.Add(2)
	go func() {
		defer c.done.Done()
		defer close(c.toH)
		defer close(c.toW)
		c.read(ctx, src, as)
	}()
	go func() {
		defer c.done.Done()
		c.hash()
	}()
	return c
}

// stop ends the reader, for a copy that failed or was cancelled, and
// waits for both goroutines.
func (c *copier) stop() {
	c.cancel()
	c.done.Wait()
}

func (c *copier) release(s *slab) {
	if s.refs.Add(-1) == 0 {
		s.used = 0
		c.free <- s
	}
}

// read fills slabs with the files in order. A file that fits in what is
// left of the slab goes there whole; a larger one starts a fresh slab, so
// that each of its pieces but the last fills one.
func (c *copier) read(ctx context.Context, src keytree.Tree, as []Action) {
	var s *slab
	take := func() bool {
		if s != nil {
			c.release(s)
		}
		select {
		case s = <-c.free:
			s.refs.Store(1)
			return true
		case <-ctx.Done():
			s = nil
			return false
		}
	}
	defer func() {
		if s != nil {
			c.release(s)
		}
	}()
	send := func(p piece) bool {
		if p.s != nil {
			p.s.refs.Add(2)
		}
		// The hasher's first: a piece the writer has is one the hasher
		// has or will have, so waiting for a written file's sum cannot
		// wait for ever.
		for _, ch := range []chan piece{c.toH, c.toW} {
			select {
			case ch <- p:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	files := keytree.FilesOf(src)
	defer files.Close()
	for _, a := range as {
		r, err := files.Open(a.Path)
		if err != nil {
			if !send(piece{last: true, err: &sourceError{fmt.Errorf("read %s from the source: %w", a.Path, err)}}) {
				return
			}
			continue
		}
		// The file's descriptor, before and after it is read: a sum the
		// cache holds is the sum of what was read only if the file was
		// the one the cache knows all the while.
		var before keytree.Info
		var known bool
		var sum string
		var statted time.Time
		if c.cache != nil {
			statted = time.Now()
			if before, known = keytree.StatOpen(r); known {
				sum, known = c.cache.Lookup(a.Path, &before)
			}
		}
		// One byte more than the file has, so that a file that grew is
		// seen (and refused by the writer) rather than cut.
		for left := a.Size + 1; ; {
			if s == nil || (left > int64(slabSize-s.used) && s.used > 0) {
				if !take() {
					r.Close()
					return
				}
			}
			want := min(left, int64(slabSize-s.used))
			buf := s.b[s.used : s.used+int(want)]
			n, err := io.ReadFull(r, buf)
			s.used += n
			left -= int64(n)
			end := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || left == 0
			p := piece{data: buf[:n], s: s, last: end || err != nil, cached: known}
			if err != nil && !end {
				p.err = err
			}
			if p.last && c.cache != nil && p.err == nil {
				after, ok := keytree.StatOpen(r)
				same := ok && before.Inode != 0 && sameFile(before, after)
				switch {
				case known && same:
					p.sum = sum
				case !known && same:
					p.learn = &learnt{a.Path, before, statted}
				}
			}
			if !send(p) {
				r.Close()
				return
			}
			if p.last {
				break
			}
		}
		r.Close()
	}
}

// sourceError is a source file that could not be opened: the copy fails
// with it as it is, not as the target's write of the file.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// sameFile reports whether a and b describe the same file with the same
// content: nothing written to it (ctime), nor put in its place (inode).
// Every write moves ctime: on ZFS, zfs_write stamps ctime and mtime on each
// chunk it writes (illumos-joyent usr/src/uts/common/fs/zfs/zfs_vnops.c,
// zfs_write: "Timestamps: vp - ctime|mtime updated if byte count > 0",
// and its zfs_tstamp_update_setup(zp, CONTENT_MODIFIED, ...); read at
// commit 02c8713e of a fork, no line numbers to hand); on Linux, in
// file_modified (fs/inode.c).
func sameFile(a, b keytree.Info) bool {
	return a.Inode == b.Inode && a.CTime == b.CTime && a.Size == b.Size && a.MTime.Equal(b.MTime)
}

// hash hashes each file's pieces as they come and hands on its sum: the
// cache's for a file it knew, "" for one of those that changed while it
// was read.
func (c *copier) hash() {
	var h hash.Hash = sha256.New()
	for p := range c.toH {
		if !p.cached {
			h.Write(p.data)
		}
		if p.s != nil {
			c.release(p.s)
		}
		if !p.last {
			continue
		}
		sum := p.sum
		if !p.cached {
			sum = hex.EncodeToString(h.Sum(nil))
			if p.learn != nil {
				c.cache.Store(p.learn.path, &p.learn.in, p.learn.statted, sum)
			}
		}
		c.hashed <- sum
		h.Reset()
	}
}

// sum waits for the hash of file i, which must have been written.
func (c *copier) sum(i int) string {
	for ; c.next <= i; c.next++ {
		c.sums[c.next] = <-c.hashed
	}
	return c.sums[i]
}

// trySum is the hash of file i if the hasher has finished it.
func (c *copier) trySum(i int) (string, bool) {
	for c.next <= i {
		select {
		case s := <-c.hashed:
			c.sums[c.next] = s
			c.next++
		default:
			return "", false
		}
	}
	return c.sums[i], true
}

// file is the next file's content, to be read once.
func (c *copier) file() *pieceReader { return &pieceReader{c: c} }

// pieceReader is one file of the copy. Its WriteTo hands each piece to the
// writer straight from its slab.
type pieceReader struct {
	c       *copier
	cur     piece
	off     int  // bytes of cur already read
	eof     bool // the last piece has been taken
	started bool
}

// Started reports whether any of the file was taken: a write that failed
// before it read anything may be tried again with the same reader.
func (r *pieceReader) Started() bool { return r.started }

// next takes the next piece, releasing the one before.
func (r *pieceReader) next() error {
	if r.cur.s != nil {
		r.c.release(r.cur.s)
		r.cur.s = nil
	}
	if r.eof {
		return io.EOF
	}
	p, ok := <-r.c.toW
	if !ok {
		return errors.New("BUG: populate: the source reader stopped before the file's end")
	}
	r.started = true
	r.cur, r.off, r.eof = p, 0, p.last
	return p.err
}

func (r *pieceReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if err := r.next(); err != nil {
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, err
		}
		if len(r.cur.data) == 0 {
			continue
		}
		n, err := w.Write(r.cur.data)
		total += int64(n)
		if err != nil {
			return total, err
		}
		if r.c.tick != nil {
			r.c.tick.Write(r.cur.data)
		}
		r.off = len(r.cur.data)
	}
}

// Read serves a writer that pulls rather than lets the file write itself.
func (r *pieceReader) Read(b []byte) (int, error) {
	for r.off == len(r.cur.data) {
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(b, r.cur.data[r.off:])
	if r.c.tick != nil {
		r.c.tick.Write(r.cur.data[r.off : r.off+n])
	}
	r.off += n
	return n, nil
}

// hashBufs keeps the buffers targets are read back through, for the
// targets whose writes are not read back as they are made.
var hashBufs = sync.Pool{New: func() any { return new([slabSize]byte) }}
