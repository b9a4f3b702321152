package fat32

import (
	"fmt"
	"io"
	"time"
)

// Volume is where a filesystem lives: a partition of an image file or a
// device, addressed from the partition's first byte.
type Volume interface {
	io.ReaderAt
	io.WriterAt
}

// Format writes an empty FAT32 filesystem of the given size (in sectors)
// with the given label, as `mkfs -F pcfs -o b=LABEL,nofdisk,fat=32` does,
// and returns it opened.
//
// Everything mkfs would write is written: the reserved sectors, both FATs in
// full (so stale data from an earlier filesystem cannot be mistaken for
// chains) and the root directory cluster.
func Format(v Volume, sectors uint64, label string, now time.Time) (*FS, error) {
	g, err := NewGeometry(sectors)
	if err != nil {
		return nil, err
	}
	lab, err := encodeLabel(label)
	if err != nil {
		return nil, fmt.Errorf("fat32: %w", err)
	}
	bs := bootSector{
		Jump:        [3]byte{0xEB, 0x58, 0x90},
		BytesPerSec: SectorSize,
		SecPerClus:  uint8(g.SecPerClus),
		RsvdSecCnt:  reservedSectors,
		NumFATs:     numFATs,
		Media:       mediaFixed,
		SecPerTrk:   63,
		NumHeads:    255,
		TotSec32:    uint32(sectors),
		FATSz32:     g.FATSectors,
		RootClus:    rootCluster,
		FSInfo:      fsInfoSector,
		BkBootSec:   backupBoot,
		DrvNum:      driveNumber,
		BootSig:     extBootSig,
		VolLab:      lab,
	}
	copy(bs.OEMName[:], oemName)
	copy(bs.FilSysType[:], "FAT32   ")

	// The reserved area: boot sector and FSInfo at 0 and 1, their backups
	// at 6 and 7, everything else zero.
	resv := make([]byte, reservedSectors*SectorSize)
	boot := bs.encode()
	info := (&fsInfo{LeadSig: fsInfoLeadSig, StructSig: fsInfoStructSig, FreeCount: unknownFree, NextFree: unknownFree, TrailSig: fsInfoTrailSig}).encode()
	copy(resv[0:], boot)
	copy(resv[SectorSize:], info)
	copy(resv[backupBoot*SectorSize:], boot)
	copy(resv[(backupBoot+1)*SectorSize:], info)
	if _, err := v.WriteAt(resv, 0); err != nil {
		return nil, fmt.Errorf("fat32: write reserved sectors: %w", err)
	}

	fs := &FS{v: v, g: g, boot: bs, label: string(lab[:])}
	fs.fat = newTable(g.Clusters)
	fs.fat.set(0, 0x0FFFFF00|mediaFixed)
	fs.fat.set(1, 0x0FFFFFFF)
	fs.root = &node{name: "", entry: entry{attr: attrDir}, dirty: true}
	fs.root.children = []*node{}
	fs.rootLabel = &entry{short: lab, attr: attrVolumeID, mtime: now}
	// The root directory starts at cluster 2 and is one cluster long.
	fs.fat.set(rootCluster, eoc)
	fs.fat.free--
	fs.fat.hint = rootCluster + 1
	fs.root.cluster = rootCluster
	fs.root.clusters = []uint32{rootCluster}
	fs.fat.dirtyAll()
	fs.formatted = true
	if err := fs.Commit(); err != nil {
		return nil, err
	}
	return fs, nil
}
