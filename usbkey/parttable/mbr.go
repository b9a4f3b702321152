package parttable

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Offsets into sector 0 (installboot.h, as copied into format_image.c).
const (
	offBPB        = 0x003 // STAGE1_BPB_OFFSET: "nops" in the pmbr, zeroed as installboot does
	sizeBPB       = 0x03b // STAGE1_BPB_SIZE
	offGrubCompat = 0x03e // grub-legacy stage1 COMPAT_VERSION, 03 02 on a v1 key
	offStage1     = 0x0fa // STAGE1_MBR_VERSION, start of the Stage1 block
	offPartitions = 0x1be // the four 16-byte MBR partition entries
	offSignature  = 0x1fe // STAGE1_MAGIC
)

const (
	// MBRSignature is the boot signature at 0x1FE (55 AA on disk).
	MBRSignature = 0xaa55
	// ImageMajor and ImageMinor are format_image's IMAGE_MAJOR/MINOR: the
	// byte at 0xFA is what marks a v2 key.
	ImageMajor = 2
	ImageMinor = 0
	// TypeProtective is EFI_PMBR, the MBR type of the protective entry.
	TypeProtective = 0xee
	// grubCompatMajor, grubCompatMinor are grub-legacy's COMPAT_VERSION.
	grubCompatMajor = 3
	grubCompatMinor = 2
)

// Stage1 is the block pmbr reads its stage2 location from, at 0xFA.
type Stage1 struct {
	Major      uint8    // STAGE1_MBR_VERSION: image major, 2 on a v2 key
	Minor      uint8    // image minor, 0
	Stage2Size uint16   // STAGE1_STAGE2_SIZE: gptzfsboot length in whole sectors
	Stage2LBA  uint64   // STAGE1_STAGE2_LBA: first LBA of the boot partition
	Stage2UUID [16]byte // STAGE1_STAGE2_UUID: uuid_generate bytes, stored raw
}

// MBRPartition is one 16-byte MBR partition entry.
type MBRPartition struct {
	Status   uint8   // 0x80 active, 0 not
	FirstCHS [3]byte // head, sector|cylinder high bits, cylinder
	Type     uint8   // 0xEE protective
	LastCHS  [3]byte // FF FF FF when not representable
	FirstLBA uint32  // 1 for the protective entry
	Sectors  uint32  // libefi stores the last LBA here, capped at 0xFFFFFFFF
}

// MBR is what sector 0 of a key says.
type MBR struct {
	GrubV1     bool // 03 02 at 0x3E: grub-legacy stage1, a v1 key
	Stage1     Stage1
	Partitions [4]MBRPartition
}

// CheckPMBR refuses a pmbr that format_image would refuse.
func CheckPMBR(pmbr []byte) error {
	if len(pmbr) != SectorSize {
		return fmt.Errorf("boot/pmbr: %d bytes, want %d: not an MBR; use the pmbr from the platform boot tarball", len(pmbr), SectorSize)
	}
	if binary.LittleEndian.Uint16(pmbr[offSignature:]) != MBRSignature {
		return errors.New("boot/pmbr: no 0xaa55 boot signature at 0x1fe: not an MBR; use the pmbr from the platform boot tarball")
	}
	return nil
}

// PatchMBR returns sector 0 as format_image leaves it: the pmbr with its BPB
// area zeroed and the Stage1 block set (write_mbr), then the partition table
// replaced by one protective entry covering the disk (libefi write_pmbr).
// stage2Size is floor(len(gptzfsboot)/512), as format_image computes it.
func PatchMBR(pmbr []byte, stage2Size uint16, stage2LBA uint64, uuid [16]byte, capacitySectors uint64) ([]byte, error) {
	if err := CheckPMBR(pmbr); err != nil {
		return nil, err
	}
	if capacitySectors < 2 {
		return nil, fmt.Errorf("disk of %d sectors has no room for a gpt", capacitySectors)
	}
	b := make([]byte, SectorSize)
	copy(b, pmbr)
	clear(b[offBPB : offBPB+sizeBPB])
	s1 := Stage1{Major: ImageMajor, Minor: ImageMinor, Stage2Size: stage2Size, Stage2LBA: stage2LBA, Stage2UUID: uuid}
	if _, err := binary.Encode(b[offStage1:], binary.LittleEndian, s1); err != nil {
		return nil, fmt.Errorf("BUG: encode stage1: %w", err)
	}
	clear(b[offPartitions:offSignature])
	if _, err := binary.Encode(b[offPartitions:], binary.LittleEndian, protectiveEntry(capacitySectors)); err != nil {
		return nil, fmt.Errorf("BUG: encode protective entry: %w", err)
	}
	return b, nil
}

// protectiveEntry is the entry libefi's write_pmbr puts in slot 0.
func protectiveEntry(capacitySectors uint64) MBRPartition {
	last := capacitySectors - 1
	if last > 0xffffffff {
		last = 0xffffffff
	}
	return MBRPartition{
		Status:   0,                         // NOTACTIVE; efi.fixes overrides only apply on odd hardware
		FirstCHS: [3]byte{0x00, 0x02, 0x00}, // "same as starting LBA (but one-based)"
		Type:     TypeProtective,
		LastCHS:  [3]byte{0xff, 0xff, 0xff},
		FirstLBA: 1,
		Sectors:  uint32(last),
	}
}

// ReadMBR decodes sector 0.
func ReadMBR(sector0 []byte) (MBR, error) {
	var m MBR
	if len(sector0) != SectorSize {
		return m, fmt.Errorf("sector 0 is %d bytes, want %d", len(sector0), SectorSize)
	}
	if binary.LittleEndian.Uint16(sector0[offSignature:]) != MBRSignature {
		return m, errors.New("sector 0: no 0xaa55 boot signature at 0x1fe: not an MBR")
	}
	m.GrubV1 = sector0[offGrubCompat] == grubCompatMajor && sector0[offGrubCompat+1] == grubCompatMinor
	if _, err := binary.Decode(sector0[offStage1:], binary.LittleEndian, &m.Stage1); err != nil {
		return m, fmt.Errorf("BUG: decode stage1: %w", err)
	}
	if _, err := binary.Decode(sector0[offPartitions:offSignature], binary.LittleEndian, &m.Partitions); err != nil {
		return m, fmt.Errorf("BUG: decode partition entries: %w", err)
	}
	return m, nil
}

// KeyVersion tells a v1 (grub) key from a v2 (loader) key the way
// sdc-usbkey's get_usb_key_version does: signature, then the grub marker,
// then the image major byte.
func KeyVersion(sector0 []byte) (int, error) {
	m, err := ReadMBR(sector0)
	if err != nil {
		return 0, err
	}
	switch {
	case m.GrubV1:
		return 1, nil
	case m.Stage1.Major == ImageMajor:
		return 2, nil
	}
	return 0, fmt.Errorf("sector 0: unrecognised key version 0x%02x at 0xfa (want 2, or grub 03 02 at 0x3e): not a triton usb key", m.Stage1.Major)
}
