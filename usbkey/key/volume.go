package key

import (
	"fmt"
	"io"
)

// Disk is a key target: an image file or a raw device.
type Disk interface {
	io.ReaderAt
	io.WriterAt
}

// partition is a window onto a disk, so that a filesystem can be written
// as if it were the whole device.
type partition struct {
	d    Disk
	off  int64
	size int64
}

func (p partition) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off >= p.size {
		return 0, io.EOF
	}
	if rest := p.size - off; int64(len(b)) > rest {
		n, err := p.d.ReadAt(b[:rest], p.off+off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return p.d.ReadAt(b, p.off+off)
}

func (p partition) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > p.size {
		return 0, fmt.Errorf("BUG: write of %d bytes at %d past the end of a %d-byte partition", len(b), off, p.size)
	}
	return p.d.WriteAt(b, p.off+off)
}

// Size lets fat32.Open check a boot sector's claims against the partition.
func (p partition) Size() int64 { return p.size }
