package keytree

import (
	"fmt"

	"cntools/usbkey/fat32"
	"cntools/usbkey/parttable"
)

// Disk is a key: an image file or a raw device.
type Disk = parttable.Disk

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
		if x, err = g.Partition(parttable.IndexRoot); err != nil {
			return nil, fmt.Errorf("root partition: %w", err)
		}
	}
	fs, err := fat32.Open(parttable.WindowOf(d, x))
	if err != nil {
		return nil, fmt.Errorf("root partition: %w", err)
	}
	return fs, nil
}
