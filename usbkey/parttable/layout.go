package parttable

import (
	"fmt"
	"strings"
)

// SectorSize is the only logical sector size a v2 key can have: format_image
// computes every offset in 512-byte LBAs (see CheckSectorSize).
const SectorSize = 512

// Geometry of the v2 layout, in 512-byte sectors (format_image.c and libefi).
const (
	// AlignSectors is MB_BLOCKS: every partition but the reserved one
	// starts and ends on a 1 MiB boundary.
	AlignSectors = 2048
	// StartSector is START_SECT, where the loader (ESP) partition begins.
	StartSector = 2048
	// ESPSectors is the 256 MiB loader partition build_boot_image makes.
	ESPSectors = 524288
	// BootSectors is LEGACY_BOOTPART_BLOCKS: 1 MiB for gptzfsboot.
	BootSectors = 2048
	// ReservedSectors is EFI_MIN_RESV_SIZE (8 MiB).
	ReservedSectors = 16384
	// MinRootSectors is the smallest root we lay out (64 MiB). format_image
	// has no floor and underflows; 64 MiB stays clear of FAT32's
	// 65525-cluster minimum with room for the loader files.
	MinRootSectors = 131072
)

// GPT entry indexes (illumos slice numbers) of the v2 partitions.
const (
	IndexLoader   = 0
	IndexBoot     = 1
	IndexRoot     = 2
	IndexReserved = 8
)

// illumos partition tags (sys/vtoc.h) format_image gives the partitions.
const (
	TagBoot     = 0x01 // V_BOOT
	TagRoot     = 0x02 // V_ROOT
	TagReserved = 0x0b // V_RESERVED
	TagSystem   = 0x0c // V_SYSTEM
)

// GPT partition names format_image gives the partitions.
const (
	NameLoader   = "loader"
	NameBoot     = "boot"
	NameRoot     = "root"
	NameReserved = "reserved"
)

// Extent is a run of sectors.
type Extent struct {
	Start uint64 // first LBA
	Size  uint64 // length in sectors
}

// End returns the last LBA of e (the GPT EndingLBA).
func (e Extent) End() uint64 { return e.Start + e.Size - 1 }

// Layout is the v2 partition layout of a disk.
type Layout struct {
	Sectors  uint64 // capacity in 512-byte sectors
	ESP      Extent // entry 0 "loader": the EFI system partition
	Boot     Extent // entry 1 "boot": gptzfsboot, the BIOS stage2
	Root     Extent // entry 2 "root": the pcfs holding the key content
	Reserved Extent // entry 8 "reserved": the illumos reserved partition
}

// CheckSectorSize refuses a disk whose logical sectors are not 512 bytes.
//
// A v2 key is 512-byte LBAs through and through: format_image computes
// every partition in SECTOR_SIZE (512) blocks (smartos-live
// tools/format_image/format_image.c:81,95) and hands them to libefi, which
// counts in the device's dki_lbsize (illumos-joyent
// usr/src/lib/libefi/common/rdwr_efi.c:222-229,266-298), so upstream too
// would write nonsense on a 4Kn disk. Refusing is the one safe answer.
func CheckSectorSize(n int64) error {
	if n != SectorSize {
		return fmt.Errorf("%d-byte logical sectors: a v2 usb key is laid out in %d-byte sectors (format_image and the loader's pmbr address it so); use a disk with %d-byte logical sectors (most USB sticks; 512e disks are fine)", n, SectorSize, SectorSize)
	}
	return nil
}

// lastUsableLBA is libefi's efi_last_u_lba: the sector before the backup
// entry array (32 sectors) and backup header (1 sector).
func lastUsableLBA(capacity uint64) uint64 { return capacity - 1 - gptArraySectors - 1 }

// MinSectors is the smallest capacity V2Layout accepts.
const MinSectors = StartSector + ESPSectors + BootSectors + MinRootSectors + ReservedSectors + gptArraySectors + 1

// V2Layout computes the layout format_image's write_efi gives a disk of
// capacitySectors 512-byte sectors.
func V2Layout(capacitySectors uint64) (Layout, error) {
	if capacitySectors < MinSectors {
		return Layout{}, fmt.Errorf("disk of %d sectors (%d bytes) is too small for a v2 usb key: need at least %d sectors (%d bytes) for a %d MiB root partition",
			capacitySectors, capacitySectors*SectorSize, uint64(MinSectors), uint64(MinSectors)*SectorSize, MinRootSectors*SectorSize>>20)
	}
	l := Layout{Sectors: capacitySectors}
	l.ESP = Extent{Start: StartSector, Size: ESPSectors}
	l.Boot = Extent{Start: l.ESP.Start + l.ESP.Size, Size: BootSectors}
	rootStart := l.Boot.Start + l.Boot.Size
	// P2ALIGN(last_u_lba+1 - (EFI_MIN_RESV_SIZE + start), MB_BLOCKS): the
	// leftover below 1 MiB becomes a gap before the reserved partition.
	rootSize := lastUsableLBA(capacitySectors) + 1 - (ReservedSectors + rootStart)
	rootSize -= rootSize % AlignSectors
	l.Root = Extent{Start: rootStart, Size: rootSize}
	l.Reserved = Extent{Start: lastUsableLBA(capacitySectors) + 1 - ReservedSectors, Size: ReservedSectors}
	return l, nil
}

// PartitionMap returns the partition.map text format_image prints on
// stdout ("name tag start_bytes size_bytes" per partition), which
// build_boot_image and sdc-headnode read the root offset from.
func (l Layout) PartitionMap() string {
	var b strings.Builder
	for _, p := range l.partitions() {
		fmt.Fprintf(&b, "%s %d %d %d\n", p.name, p.tag, p.ext.Start*SectorSize, p.ext.Size*SectorSize)
	}
	return b.String()
}

// layoutPartition ties a layout extent to its GPT entry.
type layoutPartition struct {
	index int
	name  string
	tag   int
	typ   GUID
	ext   Extent
}

// partitions lists the used entries in the order format_image sets them.
func (l Layout) partitions() []layoutPartition {
	return []layoutPartition{
		{IndexLoader, NameLoader, TagSystem, mustParseGUID(TypeEFISystem), l.ESP},
		{IndexBoot, NameBoot, TagBoot, mustParseGUID(TypeSolarisBoot), l.Boot},
		{IndexRoot, NameRoot, TagRoot, mustParseGUID(TypeSolarisRoot), l.Root},
		{IndexReserved, NameReserved, TagReserved, mustParseGUID(TypeSolarisReserved), l.Reserved},
	}
}
