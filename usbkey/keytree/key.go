package keytree

import (
	"fmt"
	"io"

	"cntools/usbkey/fat32"
	"cntools/usbkey/parttable"
)

// Disk is a key: an image file or a raw device.
type Disk interface {
	io.ReaderAt
	io.WriterAt
}

// OpenKey opens the root filesystem of the key d of size bytes: a v2
// (loader) key's GPT slice 2, or a v1 (grub) key's fdisk partition 1.
//
// With write, a v1 key is refused: cn-tools reads those but never writes
// them, since a headnode key's loader files would not boot from it.
func OpenKey(d Disk, size int64, write bool) (*fat32.FS, error) {
	s0 := make([]byte, parttable.SectorSize)
	if _, err := d.ReadAt(s0, 0); err != nil {
		return nil, fmt.Errorf("read sector 0: %w", err)
	}
	v, err := parttable.KeyVersion(s0)
	if err != nil {
		return nil, fmt.Errorf("%w; format it with usbkey-format first", err)
	}
	var x parttable.Extent
	switch v {
	case 1:
		if write {
			return nil, fmt.Errorf("a v1 (grub) key: cn-tools writes only v2 keys; reformat it with usbkey-format")
		}
		m, err := parttable.ReadMBR(s0)
		if err != nil {
			return nil, err
		}
		p := m.Partitions[0]
		x = parttable.Extent{Start: uint64(p.FirstLBA), Size: uint64(p.Sectors)}
	default:
		g, err := parttable.ReadGPT(d, uint64(size/parttable.SectorSize))
		if err != nil {
			return nil, err
		}
		x = g.Entries[parttable.IndexRoot].Extent()
	}
	fs, err := fat32.Open(partitionOf(d, x))
	if err != nil {
		return nil, fmt.Errorf("root partition: %w", err)
	}
	return fs, nil
}

// partition is a window onto a disk, so that a filesystem can be written
// as if it were the whole device.
type partition struct {
	d    Disk
	off  int64
	size int64
}

func partitionOf(d Disk, e parttable.Extent) partition {
	return partition{d: d, off: int64(e.Start) * parttable.SectorSize, size: int64(e.Size) * parttable.SectorSize}
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
