package bootfiles

import (
	"encoding/binary"
	"fmt"

	"cntools/usbkey/parttable"
)

// MultibootMagic is MB_HEADER_MAGIC, the first field of the fake multiboot
// header gptzfsboot carries.
const MultibootMagic = 0x1badb002

// BootPartitionSize is LEGACY_BOOTPART_SIZE: gptzfsboot must fit in it, and
// format_image writes all of it, zero padded.
const BootPartitionSize = parttable.BootSectors * parttable.SectorSize

// multibootHeader is multiboot_header_t as format_image declares it.
type multibootHeader struct {
	Magic       uint32 // MultibootMagic
	Flags       uint32 // feature flags
	Checksum    uint32 // -(Magic+Flags), uint32 arithmetic
	HeaderAddr  uint32 // load address of this header
	LoadAddr    uint32 // start of the text segment
	LoadEndAddr uint32 // end of the data segment
	BSSEndAddr  uint32 // gptzfsboot reads the root partition's LBA from here
	EntryAddr   uint32 // entry point; zeroed by the 64-bit LBA store
}

// offBSSEndAddr is where format_image stores the root start LBA, as a
// 64-bit value over BSSEndAddr and EntryAddr.
const offBSSEndAddr = 24

// multibootHeaderSize is sizeof(multiboot_header_t).
const multibootHeaderSize = 32

// FindMultiboot returns the offset of the first multiboot header in b, as
// format_image's find_multiboot scans: 4-byte steps, magic matching and
// flags+magic+checksum == 0. Like format_image, which reads from a zero
// padded buffer, it lets a header's flags and checksum run past the end.
func FindMultiboot(b []byte) (int, error) {
	padded := make([]byte, len(b)+multibootHeaderSize)
	copy(padded, b)
	for off := 0; off < len(b); off += 4 {
		if binary.LittleEndian.Uint32(padded[off:]) != MultibootMagic {
			continue
		}
		var h multibootHeader
		if _, err := binary.Decode(padded[off:], binary.LittleEndian, &h); err != nil {
			return 0, fmt.Errorf("BUG: decode multiboot header: %w", err)
		}
		if h.Magic+h.Flags+h.Checksum == 0 {
			return off, nil
		}
	}
	return 0, fmt.Errorf("boot/gptzfsboot: no multiboot header (magic %#x): not a gptzfsboot stage2; use the one from the platform boot tarball", MultibootMagic)
}

// PatchGPTZFSBoot returns what format_image's write_biosboot writes to the
// boot partition: gptzfsboot zero padded to 1 MiB, with rootStartLBA stored
// as a little-endian uint64 at the header's bss_end_addr (so entry_addr
// becomes 0 for any LBA under 2^32). The checksum covers only magic and
// flags, so it stays valid and is not recomputed.
func PatchGPTZFSBoot(b []byte, rootStartLBA uint64) ([]byte, error) {
	if len(b) > BootPartitionSize {
		return nil, fmt.Errorf("boot/gptzfsboot: %d bytes, more than the %d-byte boot partition: not a gptzfsboot stage2; use the one from the platform boot tarball", len(b), BootPartitionSize)
	}
	off, err := FindMultiboot(b)
	if err != nil {
		return nil, err
	}
	if off+multibootHeaderSize > BootPartitionSize {
		return nil, fmt.Errorf("boot/gptzfsboot: multiboot header at %#x runs past the %d-byte boot partition: not a gptzfsboot stage2; use the one from the platform boot tarball", off, BootPartitionSize)
	}
	out := make([]byte, BootPartitionSize)
	copy(out, b)
	binary.LittleEndian.PutUint64(out[off+offBSSEndAddr:], rootStartLBA)
	return out, nil
}
