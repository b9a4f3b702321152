package parttable

import (
	"encoding/binary"
	"fmt"
	"io"
	"testing"
)

// memImage is a disk image in memory.
type memImage []byte

func (m memImage) ReadAt(b []byte, off int64) (int, error) {
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(b, m[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (m memImage) WriteAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > int64(len(m)) {
		return 0, fmt.Errorf("write at %d past the end of a %d-byte image", off, len(m))
	}
	return copy(m[off:], b), nil
}

// countingRand is a deterministic stand-in for crypto/rand: 0, 1, 2, ...
type countingRand struct{ n byte }

func (c *countingRand) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = c.n
		c.n++
	}
	return len(b), nil
}

// smallLayout is a v2-shaped layout on a 200-sector disk, for tests that
// corrupt tables in memory.
func smallLayout() Layout {
	return Layout{
		Sectors:  200,
		ESP:      Extent{40, 20},
		Boot:     Extent{60, 10},
		Root:     Extent{70, 80},
		Reserved: Extent{160, 7}, // ends at 166 = 200-34
	}
}

// smallImage returns a 200-sector image holding smallLayout's GPT.
func smallImage() (memImage, *GPT, error) {
	img := make(memImage, 200*SectorSize)
	g := NewGPT(smallLayout(), &countingRand{})
	return img, g, g.Write(img, 200)
}

// writeUnchecked writes g's headers and entry arrays for a disk of
// capacity sectors without the checks Write makes, for a table libefi
// would refuse to write (an inverted entry, one past the usable lbas).
func writeUnchecked(t testing.TB, img memImage, g *GPT, capacity uint64) {
	t.Helper()
	entries := g.encodeEntries()
	for _, primary := range []bool{true, false} {
		h := g.header(capacity, entries, primary)
		b := make([]byte, SectorSize)
		if _, err := binary.Encode(b, binary.LittleEndian, h); err != nil {
			t.Fatal(err)
		}
		copy(img[h.MyLBA*SectorSize:], b)
		copy(img[h.PartitionEntryLBA*SectorSize:], entries)
	}
}
