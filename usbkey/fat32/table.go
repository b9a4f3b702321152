package fat32

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	eoc       = 0x0FFFFFFF // end of chain
	badClus   = 0x0FFFFFF7
	entryMask = 0x0FFFFFFF
)

// ErrNoSpace means the volume has too few free clusters.
var ErrNoSpace = errors.New("not enough free space")

// pageEntries is how many FAT entries one page of the table holds.
const pageEntries = 1 << 16

// table is one FAT held in memory. Both on-disk copies are written from it.
//
// It is held in pages of 256 KiB, and a page whose entries are all free
// is not held at all: a 4 GiB key's FAT has 3.9 million entries (15 MiB),
// mostly free, and every page of memory touched for the first time costs
// a fault, which on a virtual machine cost a populate more than mcopy's
// whole run.
type table struct {
	pages  [][]uint32 // pages[c/pageEntries][c%pageEntries] is cluster c's entry; nil: all 0
	n      uint32     // entries: the clusters, and the reserved 0 and 1
	free   uint32     // free clusters
	hint   uint32     // where the next allocation starts looking
	lo, hi uint32     // dirty range of entries [lo, hi)
}

func newTable(clusters uint32) *table {
	n := clusters + 2
	return &table{pages: make([][]uint32, (n+pageEntries-1)/pageEntries), n: n, free: clusters, hint: 2, lo: ^uint32(0)}
}

// len is the number of entries, clusters 0 and 1 included.
func (t *table) len() uint32 { return t.n }

// get is cluster c's entry.
func (t *table) get(c uint32) uint32 {
	if p := t.pages[c/pageEntries]; p != nil {
		return p[c%pageEntries]
	}
	return 0
}

func (t *table) set(c, v uint32) {
	p := t.pages[c/pageEntries]
	if p == nil && v != 0 {
		p = make([]uint32, pageEntries)
		t.pages[c/pageEntries] = p
	}
	if p != nil {
		p[c%pageEntries] = v
	}
	if c < t.lo {
		t.lo = c
	}
	if c+1 > t.hi {
		t.hi = c + 1
	}
}

// empty reports whether page i is not held: all its entries are free, so
// a scan can step over it.
func (t *table) empty(i uint32) bool { return t.pages[i] == nil }

func (t *table) dirtyAll() { t.lo, t.hi = 0, t.n }

func (t *table) dirty() bool { return t.lo < t.hi }

func (t *table) countFree() {
	t.free = 0
	for c := uint32(2); c < t.n; c++ {
		if t.empty(c / pageEntries) {
			next := min(t.n, (c/pageEntries+1)*pageEntries)
			t.free += next - c
			c = next - 1
			continue
		}
		if t.get(c)&entryMask == 0 {
			t.free++
		}
	}
}

// read loads the entries from the FAT at off, of size bytes, and counts
// the free clusters. Only the entries of clusters the volume has are read:
// the FAT's slack past them means nothing. It reads through one of the
// copy chunks rather than a buffer the size of the FAT, and keeps no page
// that is all zeros.
func (t *table) read(v io.ReaderAt, off, size int64) error {
	b := chunks.Get().(*[copyChunk]byte)
	defer chunks.Put(b)
	n := min(size, int64(t.n)*4)
	const pageBytes = 4 * pageEntries
	for done := int64(0); done < n; {
		k := min(int64(len(b)), n-done)
		if _, err := v.ReadAt(b[:k], off+done); err != nil {
			return err
		}
		for at := int64(0); at < k; at += pageBytes {
			raw := b[at:min(k, at+pageBytes)]
			if allZero(raw) {
				continue
			}
			first := uint32((done + at) / 4)
			p := t.pages[first/pageEntries]
			if p == nil {
				p = make([]uint32, pageEntries)
				t.pages[first/pageEntries] = p
			}
			e := p[first%pageEntries:]
			for i := range len(raw) / 4 {
				e[i] = binary.LittleEndian.Uint32(raw[4*i:])
			}
		}
		done += k
	}
	t.countFree()
	return nil
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for len(b) > 0 {
		k := min(len(b), len(zeroBlock))
		if !bytes.Equal(b[:k], zeroBlock[:k]) {
			return false
		}
		b = b[k:]
	}
	return true
}

// chain returns the clusters of the chain that starts at c. It refuses
// chains that loop, leave the volume or reach a free or bad cluster, since
// following them would read or free another file's data.
func (t *table) chain(c uint32) ([]uint32, error) {
	var out []uint32
	max := int(t.n)
	for {
		if c < 2 || int(c) >= max {
			return nil, fmt.Errorf("cluster chain leaves the volume at cluster %d", c)
		}
		out = append(out, c)
		if len(out) > max {
			return nil, fmt.Errorf("cluster chain loops")
		}
		n := t.get(c) & entryMask
		switch {
		case n >= 0x0FFFFFF8:
			return out, nil
		case n == 0:
			return nil, fmt.Errorf("cluster chain reaches free cluster %d", c)
		case n == badClus:
			return nil, fmt.Errorf("cluster chain reaches bad cluster %d", c)
		}
		c = n
	}
}

// alloc takes n free clusters, contiguous where the volume allows, and links
// them into a chain. It returns the clusters in chain order.
func (t *table) alloc(n uint32) ([]uint32, error) {
	if n == 0 {
		return nil, nil
	}
	if n > t.free {
		return nil, ErrNoSpace
	}
	out := make([]uint32, 0, n)
	if start, ok := t.findRun(n); ok {
		for c := start; c < start+n; c++ {
			out = append(out, c)
		}
	} else {
		// No run is long enough: take the free clusters in order.
		for c := uint32(2); c < t.n && uint32(len(out)) < n; c++ {
			if t.get(c)&entryMask == 0 {
				out = append(out, c)
			}
		}
	}
	for i, c := range out {
		if i+1 < len(out) {
			t.set(c, out[i+1])
		} else {
			t.set(c, eoc)
		}
	}
	t.free -= n
	t.hint = out[len(out)-1] + 1
	return out, nil
}

// findRun looks for n contiguous free clusters, first from the hint to the
// end (next fit, so a run of new files is laid out in order) and then from
// the start.
func (t *table) findRun(n uint32) (uint32, bool) {
	end := t.n
	search := func(from, to uint32) (uint32, bool) {
		run, start := uint32(0), from
		for c := from; c < to; c++ {
			if t.get(c)&entryMask != 0 {
				run = 0
				continue
			}
			if run == 0 {
				start = c
			}
			run++
			if run == n {
				return start, true
			}
		}
		return 0, false
	}
	if t.hint < 2 || t.hint >= end {
		t.hint = 2
	}
	if s, ok := search(t.hint, end); ok {
		return s, true
	}
	return search(2, end)
}

// release marks the clusters free.
func (t *table) release(cs []uint32) {
	for _, c := range cs {
		t.set(c, 0)
	}
	t.free += uint32(len(cs))
	if len(cs) > 0 && cs[0] < t.hint {
		t.hint = cs[0]
	}
}

// extend appends n clusters to a chain whose last cluster is last.
func (t *table) extend(last, n uint32) ([]uint32, error) {
	more, err := t.alloc(n)
	if err != nil {
		return nil, err
	}
	t.set(last, more[0])
	return more, nil
}

// usedEnd is hi lowered past the free (zero) entries that end [lo, hi).
func (t *table) usedEnd(lo, hi uint32) uint32 {
	for hi > lo {
		if i := (hi - 1) / pageEntries; t.empty(i) {
			hi = max(lo, i*pageEntries) // a page not held is all free
			continue
		}
		if t.get(hi-1) != 0 {
			break
		}
		hi--
	}
	return hi
}

// encodeRange returns the on-disk bytes of entries [lo, hi).
func (t *table) encodeRange(lo, hi uint32) []byte {
	b := make([]byte, 4*(hi-lo))
	for i := lo; i < hi; i++ {
		binary.LittleEndian.PutUint32(b[4*(i-lo):], t.get(i))
	}
	return b
}
