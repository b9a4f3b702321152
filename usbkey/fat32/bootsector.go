package fat32

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// SectorSize is the only sector size a Triton key uses.
const SectorSize = 512

const (
	bootSignature   = 0xAA55
	extBootSig      = 0x29       // extended boot signature: VolID, VolLab and FilSysType are valid
	fsInfoLeadSig   = 0x41615252 // "RRaA"
	fsInfoStructSig = 0x61417272 // "rrAa"
	fsInfoTrailSig  = 0xAA550000
	unknownFree     = 0xFFFFFFFF
	mediaFixed      = 0xF8

	// The values mkfs_pcfs uses for FAT32 (illumos
	// usr/src/cmd/fs.d/pcfs/mkfs/mkfs.c: resv_sectors 2402, num_fats 2393,
	// fsinfosec and backupboot in fill_fat32_bpb 527-528, media and
	// phys_drive_num in find_fixed_details 1535-1540, the root's cluster
	// in build_fat 2841-2842).
	reservedSectors = 32
	numFATs         = 2
	rootCluster     = 2
	fsInfoSector    = 1
	backupBoot      = 6
	driveNumber     = 0x80
)

// bootSector is the FAT32 boot sector (BPB and extended BPB), 90 bytes
// before the boot code. Field offsets are from Microsoft's FAT specification.
type bootSector struct {
	Jump        [3]byte  // 0x00: EB 3C 90, kept from defBootSec
	OEMName     [8]byte  // 0x03: "MSDOS4.0", kept from defBootSec
	BytesPerSec uint16   // 0x0B: 512
	SecPerClus  uint8    // 0x0D: cluster size in sectors
	RsvdSecCnt  uint16   // 0x0E: 32
	NumFATs     uint8    // 0x10: 2
	RootEntCnt  uint16   // 0x11: 0 on FAT32
	TotSec16    uint16   // 0x13: 0 on FAT32
	Media       uint8    // 0x15: 0xF8, fixed media
	FATSz16     uint16   // 0x16: 0 on FAT32
	SecPerTrk   uint16   // 0x18: lofi's fake geometry (lofiGeometry); unused on a GPT key
	NumHeads    uint16   // 0x1A: 1, lofi's fake geometry; unused on a GPT key
	HiddSec     uint32   // 0x1C: 0: format_image builds with nofdisk
	TotSec32    uint32   // 0x20: sectors in the volume
	FATSz32     uint32   // 0x24: sectors per FAT
	ExtFlags    uint16   // 0x28: 0: FATs are mirrored
	FSVer       uint16   // 0x2A: 0.0
	RootClus    uint32   // 0x2C: 2
	FSInfo      uint16   // 0x30: 1
	BkBootSec   uint16   // 0x32: 6
	Reserved    [12]byte // 0x34
	DrvNum      uint8    // 0x40: 0x80
	Reserved1   uint8    // 0x41
	BootSig     uint8    // 0x42: 0x29
	VolID       uint32   // 0x43: 0, mkfs_pcfs's default
	VolLab      [11]byte // 0x47: the label, space padded
	FilSysType  [8]byte  // 0x52: "FAT32   ", informational only
}

// fsInfo is the FAT32 FSInfo sector.
type fsInfo struct {
	LeadSig   uint32    // 0x000: 0x41615252
	Reserved1 [480]byte // 0x004
	StructSig uint32    // 0x1E4: 0x61417272
	FreeCount uint32    // 0x1E8: free clusters, or 0xFFFFFFFF if unknown
	NextFree  uint32    // 0x1EC: hint for the next free cluster
	Reserved2 [12]byte  // 0x1F0
	TrailSig  uint32    // 0x1FC: 0xAA550000
}

// encode lays the BPB over mkfs_pcfs's boot block: on i386 write_bootsects
// (mkfs.c:3144-3149) copies the BPB, its FAT32 extension and the extended
// BPB to 0x0B-0x59 and leaves every other byte of DefBootSec, the jump, the
// OEM name, the boot code and the 0x55AA signature, as it is.
func (b *bootSector) encode() []byte {
	var buf bytes.Buffer
	buf.Grow(SectorSize)
	binary.Write(&buf, binary.LittleEndian, b) // writes to a bytes.Buffer cannot fail
	s := make([]byte, SectorSize)
	copy(s, defBootSec[:])
	copy(s[0x0B:0x5A], buf.Bytes()[0x0B:0x5A])
	return s
}

func (f *fsInfo) encode() []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, f)
	return buf.Bytes()
}

var errNotFAT32 = errors.New("not a FAT32 filesystem")

func decodeBootSector(s []byte) (*bootSector, error) {
	if len(s) < SectorSize {
		return nil, fmt.Errorf("boot sector: short read: %w", errNotFAT32)
	}
	if binary.LittleEndian.Uint16(s[0x1FE:]) != bootSignature {
		return nil, fmt.Errorf("boot sector: no 0xaa55 signature: %w", errNotFAT32)
	}
	var b bootSector
	if err := binary.Read(bytes.NewReader(s), binary.LittleEndian, &b); err != nil {
		return nil, fmt.Errorf("boot sector: %w", err)
	}
	switch {
	case b.BytesPerSec != SectorSize:
		return nil, fmt.Errorf("boot sector: %d bytes per sector, want 512: %w", b.BytesPerSec, errNotFAT32)
	case b.SecPerClus == 0 || b.SecPerClus&(b.SecPerClus-1) != 0 || b.SecPerClus > 128:
		return nil, fmt.Errorf("boot sector: %d sectors per cluster is not a power of two up to 128: %w", b.SecPerClus, errNotFAT32)
	case b.FATSz16 != 0 || b.FATSz32 == 0 || b.RootEntCnt != 0:
		return nil, fmt.Errorf("boot sector: FAT12/16 layout: %w", errNotFAT32)
	case b.NumFATs == 0 || b.RsvdSecCnt == 0:
		return nil, fmt.Errorf("boot sector: %d FATs, %d reserved sectors: %w", b.NumFATs, b.RsvdSecCnt, errNotFAT32)
	case b.RootClus < 2:
		return nil, fmt.Errorf("boot sector: root cluster %d: %w", b.RootClus, errNotFAT32)
	}
	return &b, nil
}

// Label returns a volume label as stored: upper case, space padded to 11.
func encodeLabel(label string) ([11]byte, error) {
	var l [11]byte
	if len(label) > 11 {
		return l, fmt.Errorf("label %q: longer than 11 characters", label)
	}
	for i := range l {
		l[i] = ' '
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 0x20 || c >= 0x7F || bytes.IndexByte([]byte(`"*+,./:;<=>?[\]|`), c) >= 0 {
			return l, fmt.Errorf("label %q: character %q is not allowed in a FAT label", label, c)
		}
		l[i] = c
	}
	return l, nil
}
