package device

import (
	"fmt"
	"io"
)

// readWriterAt is what a Target does its I/O through.
type readWriterAt interface {
	io.ReaderAt
	io.WriterAt
}

// sectorIO does every read and write on rw in whole sectors. illumos raw
// disks (/dev/rdsk/...) fail with EINVAL any I/O whose offset or length is
// not a multiple of the sector size, and the writers above them (a FAT entry,
// the last piece of a file, a directory's entries, a read-back check) have no
// reason to care about sectors.
//
// Reads round the range out to whole sectors into a scratch buffer. Writes
// read, patch and write back a partial first and last sector, and write the
// whole sectors between in one call, so a long streaming write stays one
// pwrite. I/O that is already aligned goes straight through, with no copy.
//
// Nothing at or past size is read or written. A size that is not a whole
// number of sectors (never the case for a device) makes its last sector
// partial; that sector is then read and written only up to size.
type sectorIO struct {
	rw     readWriterAt
	sector int64 // a power of two
	size   int64
}

func newSectorIO(rw readWriterAt, sector, size int64) (*sectorIO, error) {
	if sector <= 0 || sector&(sector-1) != 0 {
		return nil, fmt.Errorf("sector size %d is not a power of two", sector)
	}
	return &sectorIO{rw: rw, sector: sector, size: size}, nil
}

func (s *sectorIO) down(off int64) int64 { return off &^ (s.sector - 1) }

func (s *sectorIO) up(off int64) int64 { return s.down(off + s.sector - 1) }

func (s *sectorIO) aligned(off int64, n int) bool {
	return (off|int64(n))&(s.sector-1) == 0
}

// ReadAt reads len(p) bytes at off. Reading at or past size returns io.EOF.
func (s *sectorIO) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at negative offset %d", off)
	}
	if off >= s.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.aligned(off, len(p)) && int64(len(p)) <= s.size-off {
		return s.rw.ReadAt(p, off)
	}
	start, end := s.down(off), min(s.up(off+int64(len(p))), s.size)
	buf := make([]byte, end-start)
	n, err := s.rw.ReadAt(buf, start)
	skip := off - start
	got := max(0, min(int64(n)-skip, int64(len(p))))
	copy(p, buf[skip:skip+got])
	if got == int64(len(p)) {
		// Whatever went wrong after p's last byte is no concern of this read.
		return len(p), nil
	}
	if err == nil {
		err = io.EOF // p runs past size
	}
	return int(got), err
}

// WriteAt writes p at off. A write that would end past size is refused whole.
func (s *sectorIO) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off > s.size || int64(len(p)) > s.size-off {
		return 0, fmt.Errorf("BUG: write of %d bytes at %d past the end (%d bytes)", len(p), off, s.size)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.aligned(off, len(p)) {
		return s.rw.WriteAt(p, off)
	}
	end := off + int64(len(p))
	// [mid, tail) is the run of whole sectors inside the write.
	mid, tail := off, end
	if mid != s.down(mid) {
		if err := s.patch(p, off, s.down(off)); err != nil {
			return 0, err
		}
		mid = s.up(off)
	}
	if mid >= end {
		return len(p), nil // the write lay inside one sector
	}
	if end != s.down(end) {
		tail = s.down(end)
	}
	if tail > mid {
		n, err := s.rw.WriteAt(p[mid-off:tail-off], mid)
		if err != nil {
			return int(mid-off) + n, err
		}
	}
	if tail < end {
		if err := s.patch(p, off, tail); err != nil {
			return int(tail - off), err
		}
	}
	return len(p), nil
}

// patch reads the sector at start, copies into it the part of p (which is
// written at off) that falls inside it, and writes it back.
func (s *sectorIO) patch(p []byte, off, start int64) error {
	buf := make([]byte, min(s.sector, s.size-start))
	if n, err := s.rw.ReadAt(buf, start); n < len(buf) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read sector at %d to patch it: %w", start, err)
	}
	lo := max(off, start)
	hi := min(off+int64(len(p)), start+int64(len(buf)))
	copy(buf[lo-start:], p[lo-off:hi-off])
	if _, err := s.rw.WriteAt(buf, start); err != nil {
		return fmt.Errorf("write back sector at %d: %w", start, err)
	}
	return nil
}
