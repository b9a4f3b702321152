package key

import (
	"fmt"

	"cntools/usbkey/fat32"
	"cntools/usbkey/parttable"
)

// OpenRoot opens the root filesystem of a key (v2: GPT slice 2; v1: fdisk
// partition 1) for reading and writing.
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
