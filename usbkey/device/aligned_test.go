package device

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// memDisk is an in-memory disk that takes any I/O within its bytes.
type memDisk []byte

func (m memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m memDisk) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > int64(len(m)) {
		return 0, fmt.Errorf("write of %d bytes at %d past %d", len(p), off, len(m))
	}
	return copy(m[off:], p), nil
}

// ioCall is one call a strictDisk saw.
type ioCall struct {
	write bool
	off   int64
	n     int
	buf   *byte // &p[0], to tell a pass-through from a copy
}

// strictDisk refuses, as an illumos raw disk does with EINVAL, any I/O whose
// offset or length is not whole sectors, and records every call.
type strictDisk struct {
	rw     readWriterAt
	sector int64
	calls  []ioCall
}

func (d *strictDisk) check(write bool, p []byte, off int64) error {
	c := ioCall{write: write, off: off, n: len(p)}
	if len(p) > 0 {
		c.buf = &p[0]
	}
	d.calls = append(d.calls, c)
	if off%d.sector != 0 || int64(len(p))%d.sector != 0 {
		op := "read"
		if write {
			op = "write"
		}
		return fmt.Errorf("unaligned %s of %d bytes at %d: EINVAL", op, len(p), off)
	}
	return nil
}

func (d *strictDisk) ReadAt(p []byte, off int64) (int, error) {
	if err := d.check(false, p, off); err != nil {
		return 0, err
	}
	return d.rw.ReadAt(p, off)
}

func (d *strictDisk) WriteAt(p []byte, off int64) (int, error) {
	if err := d.check(true, p, off); err != nil {
		return 0, err
	}
	return d.rw.WriteAt(p, off)
}

func newStrict(t *testing.T, size int64) (*sectorIO, *strictDisk, memDisk) {
	t.Helper()
	mem := make(memDisk, size)
	d := &strictDisk{rw: mem, sector: 512}
	s, err := newSectorIO(d, 512, size)
	if err != nil {
		t.Fatal(err)
	}
	return s, d, mem
}

func TestSectorIORandomMatchesReference(t *testing.T) {
	const size = 64 << 10
	s, _, mem := newStrict(t, size)
	ref := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		off := r.Int64N(size)
		n := r.Int64N(min(3000, size-off) + 1)
		if r.IntN(2) == 0 {
			p := make([]byte, n)
			for j := range p {
				p[j] = byte(r.Uint32())
			}
			got, err := s.WriteAt(p, off)
			if err != nil || got != len(p) {
				t.Fatalf("op %d: WriteAt(%d bytes, %d) = %d, %v, want %d, nil", i, n, off, got, err, n)
			}
			copy(ref[off:], p)
			continue
		}
		p := make([]byte, n)
		got, err := s.ReadAt(p, off)
		if err != nil || got != len(p) {
			t.Fatalf("op %d: ReadAt(%d bytes, %d) = %d, %v, want %d, nil", i, n, off, got, err, n)
		}
		if !bytes.Equal(p, ref[off:off+n]) {
			t.Fatalf("op %d: ReadAt(%d bytes, %d) read other bytes than were written", i, n, off)
		}
	}
	if !bytes.Equal(mem, ref) {
		t.Errorf("disk content after random I/O differs from the reference")
	}
}

func TestSectorIOAlignedPassesThrough(t *testing.T) {
	s, d, _ := newStrict(t, 1<<20)
	p := bytes.Repeat([]byte{7}, 64<<10)
	if n, err := s.WriteAt(p, 4096); err != nil || n != len(p) {
		t.Fatalf("WriteAt(64 KiB, 4096) = %d, %v", n, err)
	}
	q := make([]byte, len(p))
	if n, err := s.ReadAt(q, 4096); err != nil || n != len(q) {
		t.Fatalf("ReadAt(64 KiB, 4096) = %d, %v", n, err)
	}
	want := []ioCall{
		{write: true, off: 4096, n: len(p), buf: &p[0]},
		{write: false, off: 4096, n: len(q), buf: &q[0]},
	}
	if fmt.Sprint(d.calls) != fmt.Sprint(want) {
		t.Errorf("aligned write and read made calls %v, want %v (the caller's buffers, nothing more)", d.calls, want)
	}
}

func TestSectorIOStreamingWriteIsOnePwrite(t *testing.T) {
	s, d, _ := newStrict(t, 4<<20)
	p := make([]byte, 3<<20+100)
	if n, err := s.WriteAt(p, 300); err != nil || n != len(p) {
		t.Fatalf("WriteAt(3 MiB+100, 300) = %d, %v", n, err)
	}
	var big int
	for _, c := range d.calls {
		if c.write && c.n > 512 {
			big++
		}
	}
	if big != 1 || len(d.calls) != 5 {
		t.Errorf("unaligned 3 MiB write made calls %v, want head read+write, one pwrite, tail read+write", d.calls)
	}
}

func TestSectorIOEnd(t *testing.T) {
	const size = 10 * 512
	for _, tc := range []struct{ off, n int64 }{
		{size - 1, 1}, {size - 700, 700}, {size - 512, 512}, {size - 513, 513},
		{size - 1024, 1024}, {size - 1500, 1}, {0, size}, {1, size - 1},
	} {
		s, d, mem := newStrict(t, size)
		p := bytes.Repeat([]byte{0xAB}, int(tc.n))
		if n, err := s.WriteAt(p, tc.off); err != nil || n != len(p) {
			t.Errorf("WriteAt(%d bytes, %d) = %d, %v, want %d, nil", tc.n, tc.off, n, err, tc.n)
			continue
		}
		want := make([]byte, size)
		copy(want[tc.off:], p)
		if !bytes.Equal(mem, want) {
			t.Errorf("WriteAt(%d bytes, %d) changed other bytes", tc.n, tc.off)
		}
		for _, c := range d.calls {
			if c.off+int64(c.n) > size {
				t.Errorf("WriteAt(%d bytes, %d) made call %+v past the end", tc.n, tc.off, c)
			}
		}
	}

	s, d, _ := newStrict(t, size)
	if n, err := s.WriteAt(make([]byte, 2), size-1); err == nil || n != 0 || len(d.calls) != 0 {
		t.Errorf("WriteAt(2 bytes, size-1) = %d, %v with %d calls, want a refusal and no I/O", n, err, len(d.calls))
	}
	if n, err := s.ReadAt(make([]byte, 1), size); err != io.EOF || n != 0 {
		t.Errorf("ReadAt(1 byte, size) = %d, %v, want 0, EOF", n, err)
	}
	if n, err := s.ReadAt(make([]byte, 600), size-100); err != io.EOF || n != 100 {
		t.Errorf("ReadAt(600 bytes, size-100) = %d, %v, want 100, EOF", n, err)
	}
	if n, err := s.ReadAt(make([]byte, 1024), size-512); err != io.EOF || n != 512 {
		t.Errorf("ReadAt(1024 bytes, size-512) = %d, %v, want 512, EOF", n, err)
	}
}

// TestSectorIOOddSize covers a size that is not whole sectors: the last
// sector is partial and nothing past size is touched.
func TestSectorIOOddSize(t *testing.T) {
	const size = 1000
	mem := make(memDisk, size)
	s, err := newSectorIO(mem, 512, size)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.WriteAt([]byte("xyz"), size-3); err != nil || n != 3 {
		t.Fatalf("WriteAt(3 bytes, size-3) = %d, %v", n, err)
	}
	p := make([]byte, 10)
	if n, err := s.ReadAt(p, size-10); err != nil || n != 10 || string(p[7:]) != "xyz" {
		t.Errorf("ReadAt(10 bytes, size-10) = %d, %v, %q, want 10, nil, ...xyz", n, err, p)
	}
}

// TestSectorIOTable writes and reads every offset from 0 to 1025 with the
// lengths that start, end or span sectors in each way, and every length from
// 0 to 1537 at the offsets that do. (The full product takes 20 s for nothing
// more.)
func TestSectorIOTable(t *testing.T) {
	const size = 6 * 512
	pattern := make([]byte, size)
	for i := range pattern {
		pattern[i] = byte(i*7 + 3)
	}
	edges := []int64{0, 1, 2, 255, 510, 511, 512, 513, 514, 1000, 1023, 1024, 1025, 1535, 1536, 1537}
	s, _, mem := newStrict(t, size)
	try := func(off, n int64) {
		t.Helper()
		clear(mem)
		p := pattern[:n]
		if got, err := s.WriteAt(p, off); err != nil || got != int(n) {
			t.Fatalf("WriteAt(%d bytes, %d) = %d, %v, want %d, nil", n, off, got, err, n)
		}
		if !bytes.Equal(mem[off:off+n], p) ||
			bytes.ContainsFunc(mem[:off], notZero) || bytes.ContainsFunc(mem[off+n:], notZero) {
			t.Fatalf("WriteAt(%d bytes, %d) left other content than the bytes written", n, off)
		}
		q := make([]byte, n)
		if got, err := s.ReadAt(q, off); err != nil || got != int(n) || !bytes.Equal(q, p) {
			t.Fatalf("ReadAt(%d bytes, %d) = %d, %v, want %d, nil and the bytes written", n, off, got, err, n)
		}
	}
	for off := int64(0); off <= 1025; off++ {
		for _, n := range edges {
			try(off, n)
		}
	}
	for n := int64(0); n <= 1537; n++ {
		for _, off := range edges[:13] {
			try(off, n)
		}
	}
}

func notZero(r rune) bool { return r != 0 }

func TestNewSectorIORefusesOddSector(t *testing.T) {
	for _, sector := range []int64{0, -512, 500, 513} {
		if _, err := newSectorIO(memDisk{}, sector, 0); err == nil {
			t.Errorf("newSectorIO(sector %d) = nil error, want a refusal", sector)
		}
	}
}

func TestOpenAlignedImage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.img")
	img, err := OpenImage(path, 8192)
	if err != nil {
		t.Fatal(err)
	}
	img.Close()
	tg, err := OpenAligned(path, false)
	if err != nil {
		t.Fatalf("OpenAligned(%s) = %v", path, err)
	}
	defer tg.Close()
	if _, ok := tg.rw.(*sectorIO); !ok || !tg.IsImage {
		t.Fatalf("OpenAligned(%s) = %+v, want an image read in whole sectors", path, tg)
	}
	if _, err := tg.WriteAt([]byte("hello"), 8190-5); err != nil {
		t.Fatalf("WriteAt(hello, 8185) = %v", err)
	}
	p := make([]byte, 7)
	if n, err := tg.ReadAt(p, 8185); n != 7 || err != nil || string(p) != "hello\x00\x00" {
		t.Errorf("ReadAt(7 bytes, 8185) = %d, %v, %q, want 7, nil, hello\\0\\0", n, err, p)
	}
	if _, err := tg.WriteAt([]byte("x"), 8192); err == nil {
		t.Errorf("WriteAt(1 byte, 8192) = nil error, want a refusal past the end")
	}
}
