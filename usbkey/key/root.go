package key

import (
	"fmt"

	"cntools/usbkey/fat32"
	"cntools/usbkey/parttable"
)

// OpenRootForWrite opens a v2 key's root filesystem to change it. A v1
// (grub) key is refused: cn-tools reads those but never writes them, since
// a headnode key's loader files would not boot from it.
func OpenRootForWrite(d Disk, size int64) (*fat32.FS, error) {
	s0 := make([]byte, parttable.SectorSize)
	if _, err := d.ReadAt(s0, 0); err != nil {
		return nil, fmt.Errorf("read sector 0: %w", err)
	}
	if v, err := parttable.KeyVersion(s0); err == nil && v == 1 {
		return nil, fmt.Errorf("a v1 (grub) key: cn-tools writes only v2 keys; reformat it with usbkey-format")
	}
	return OpenRoot(d, size)
}

// OpenRoot opens the root filesystem of a key (v2: GPT slice 2; v1: fdisk
// partition 1).
func OpenRoot(d Disk, size int64) (*fat32.FS, error) {
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
	fs, err := fat32.Open(part(d, x))
	if err != nil {
		return nil, fmt.Errorf("root partition: %w", err)
	}
	return fs, nil
}
