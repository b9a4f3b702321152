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
// with the given label, byte for byte as smartos-live's build_boot_image
// makes one (`mkfs -F pcfs -o b=LABEL,size=N,nofdisk,fat=32` on a lofi
// device over a file of exactly that size), and returns it opened.
//
// Everything mkfs would write is written: the reserved sectors, both FATs in
// full (so stale data from an earlier filesystem cannot be mistaken for
// chains) and the root directory cluster. The only bytes that depend on
// more than the size and label are the label's write time, from now in UTC:
// mkfs's dirent_time_fill takes localtime() (mkfs.c:2891-2909), and a
// SmartOS build zone runs in UTC.
func Format(v Volume, sectors uint64, label string, now time.Time) (*FS, error) {
	g, err := NewGeometry(sectors)
	if err != nil {
		return nil, err
	}
	lab, err := encodeLabel(label)
	if err != nil {
		return nil, fmt.Errorf("fat32: %w", err)
	}
	heads, spt := lofiGeometry(sectors * SectorSize)
	bs := bootSector{
		BytesPerSec: SectorSize,
		SecPerClus:  uint8(g.SecPerClus),
		RsvdSecCnt:  reservedSectors,
		NumFATs:     numFATs,
		Media:       mediaFixed,
		SecPerTrk:   spt,
		NumHeads:    heads,
		TotSec32:    uint32(sectors),
		FATSz32:     g.FATSectors,
		RootClus:    rootCluster,
		FSInfo:      fsInfoSector,
		BkBootSec:   backupBoot,
		DrvNum:      driveNumber,
		BootSig:     extBootSig,
		VolLab:      lab,
	}
	copy(bs.Jump[:], defBootSec[0:3])
	copy(bs.OEMName[:], defBootSec[3:11])
	copy(bs.FilSysType[:], "FAT32   ")

	fs := &FS{v: v, g: g, boot: bs, label: string(lab[:])}
	fs.fat = newTable(g.Clusters)
	fs.fat.set(0, 0x0FFFFF00|mediaFixed)
	fs.fat.set(1, 0x0FFFFFFF)
	fs.root = &node{name: "", entry: entry{attr: attrDir}, dirty: true}
	fs.root.children = []*node{}
	// The label entry as build_rootdir writes it (mkfs.c:3022-3030):
	// archive and label attributes, and only the write time set.
	date, tm := dosTime(now)
	fs.rootLabel = &entry{short: lab, attr: attrArchive | attrVolumeID, wrtDate: date, wrtTime: tm}
	// The root directory starts at cluster 2 and is one cluster long,
	// ended with PCF_LASTCLUSTER32, 0x0FFFFFF8 (mkfs.c:2841,
	// uts/common/sys/fs/pc_fs.h:503).
	fs.fat.set(rootCluster, mkfsEOC)
	fs.fat.free--
	fs.fat.hint = rootCluster + 1
	fs.root.cluster = rootCluster
	fs.root.clusters = []uint32{rootCluster}
	fs.fat.dirtyAll()
	fs.formatted = true
	if err := fs.Commit(); err != nil {
		return nil, err
	}

	// The reserved area, written last so that a volume is only recognised
	// once its FATs and root are in place: boot sector and FSInfo at 0 and
	// 1, their backups at 6 and 7, everything else zero. FSInfo holds
	// build_fat's free count and next free cluster (mkfs.c:2884-2885); its
	// backup says the next free cluster is unknown (mkfs.c:3120).
	resv := make([]byte, reservedSectors*SectorSize)
	boot := bs.encode()
	info := fsInfo{LeadSig: fsInfoLeadSig, StructSig: fsInfoStructSig, FreeCount: g.Clusters - 1, NextFree: rootCluster + 1, TrailSig: fsInfoTrailSig}
	copy(resv[0:], boot)
	copy(resv[SectorSize:], info.encode())
	info.NextFree = unknownFree
	copy(resv[backupBoot*SectorSize:], boot)
	copy(resv[(backupBoot+1)*SectorSize:], info.encode())
	if _, err := v.WriteAt(resv, 0); err != nil {
		return nil, fmt.Errorf("fat32: write reserved sectors: %w", err)
	}
	return fs, nil
}

// mkfsEOC is the end-of-chain value mkfs_pcfs writes, PCF_LASTCLUSTER32.
const mkfsEOC = 0x0FFFFFF8

// lofiGeometry is the disk geometry mkfs_pcfs reads from the lofi device
// build_boot_image formats (find_fixed_details, mkfs.c:1502-1515): lofi's
// fake_disk_geometry (uts/common/io/lofi.c:2274-2305) gives one head and
// dsize / (ncyl * 512) sectors a track, ncyl being dsize / 300 KiB, both in
// dk_geom's unsigned shorts (uts/common/sys/dkio.h:126-142), so they wrap
// as the C does for devices past 19 GiB.
func lofiGeometry(dsize uint64) (heads, spt uint16) {
	var ncyl uint16
	if dsize < 2*1024*1024 {
		ncyl = uint16(dsize / (100 * 1024))
	} else {
		ncyl = uint16(dsize / (300 * 1024))
	}
	if ncyl == 0 {
		ncyl = 1
	}
	return 1, uint16(dsize / (uint64(ncyl) << 9))
}
