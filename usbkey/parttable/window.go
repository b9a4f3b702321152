package parttable

import (
	"fmt"
	"io"
)

// Disk is what a partition is a window onto: an image file or a raw device.
type Disk interface {
	io.ReaderAt
	io.WriterAt
}

// Window is one partition of a disk, addressed from its own start, so
// that a filesystem can be read and written as if it were the whole
// device. Reads stop at its end; a write past its end is a bug.
type Window struct {
	d    Disk
	off  int64
	size int64
}

// WindowOf is the partition at extent x of d.
func WindowOf(d Disk, x Extent) Window {
	return Window{d: d, off: int64(x.Start) * SectorSize, size: int64(x.Size) * SectorSize}
}

// WindowAt is the partition of size bytes at byte offset off of d.
func WindowAt(d Disk, off, size int64) Window { return Window{d: d, off: off, size: size} }

func (w Window) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off >= w.size {
		return 0, io.EOF
	}
	if rest := w.size - off; int64(len(b)) > rest {
		n, err := w.d.ReadAt(b[:rest], w.off+off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return w.d.ReadAt(b, w.off+off)
}

func (w Window) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > w.size {
		return 0, fmt.Errorf("BUG: write of %d bytes at %d past the end of a %d-byte partition", len(b), off, w.size)
	}
	return w.d.WriteAt(b, w.off+off)
}

// Size lets fat32.Open check a boot sector's claims against the partition.
func (w Window) Size() int64 { return w.size }
