// Package mkfspcfs is a model of what illumos mkfs_pcfs writes when
// smartos-live's build_boot_image runs
//
//	mkfs -F pcfs -o b=LABEL,size=N,nofdisk,fat=32 /dev/rlofi/N </dev/null
//
// on a lofi device over a file of exactly N sectors (tools/build_boot_image
// create_esp and create_root). It transliterates the C of
// usr/src/cmd/fs.d/pcfs/mkfs/mkfs.c (illumos-joyent 94ab2e10) and lofi's
// fake_disk_geometry, function by function, and shares nothing with package
// fat32, so that tests can hold fat32's output against it.
//
// It owns the reference bytes of a freshly made FAT32 volume. It refuses
// everything else: it writes nothing, models no option build_boot_image
// does not pass, and knows nothing of what pcfs writes once the volume is
// mounted.
package mkfspcfs

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// bpsec is BPSEC, the only sector size mkfs_pcfs writes.
const bpsec = 512

//go:embed defbootsec.c.txt
var defBootSecC string

// defBootSec parses DefBootSec (mkfs.c:2519-2593) from the C source, so
// the model's boot block comes from illumos and not from package fat32.
func defBootSec() ([bpsec]byte, error) {
	var b [bpsec]byte
	i := strings.Index(defBootSecC, "DefBootSec[512] = {")
	j := strings.LastIndex(defBootSecC, "};")
	if i < 0 || j < i {
		return b, fmt.Errorf("defbootsec.c.txt: no DefBootSec initializer")
	}
	body := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(defBootSecC[i+len("DefBootSec[512] = {"):j], "")
	n := 0
	for _, tok := range strings.Split(body, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		if n == bpsec {
			return b, fmt.Errorf("defbootsec.c.txt: more than 512 bytes")
		}
		if len(tok) == 3 && tok[0] == '\'' && tok[2] == '\'' {
			b[n] = tok[1]
		} else {
			v, err := strconv.ParseUint(tok, 0, 8)
			if err != nil {
				return b, fmt.Errorf("defbootsec.c.txt: %q: %w", tok, err)
			}
			b[n] = byte(v)
		}
		n++
	}
	if n != bpsec {
		return b, fmt.Errorf("defbootsec.c.txt: %d bytes, want 512", n)
	}
	return b, nil
}

// BPB is bpb_t (mkfs_pcfs.h): the original BPB, the FAT32 extensions and
// the extended BPB, in the C's field order.
type BPB struct {
	BytesSector            uint16
	SectorsPerCluster      uint8
	ResvSectors            uint16
	NumFATs                uint8
	NumRootEntries         uint16
	SectorsInVolume        uint16
	Media                  uint8
	SectorsPerFAT          uint16
	SectorsPerTrack        uint16
	Heads                  uint16
	HiddenSectors          uint32
	SectorsInLogicalVolume uint32

	BigSectorsPerFAT uint32
	ExtFlags         uint16
	FSVersLo         uint8
	FSVersHi         uint8
	RootDirClust     uint32
	FSInfoSec        uint16
	BackupBoot       uint16
	Reserved32       [6]uint16

	PhysDriveNum uint8
	Reserved     uint8
	ExtSignature uint8
	VolumeID     uint32
	VolumeLabel  [11]byte
	Type         [8]byte
}

// Volume is what mkfs_pcfs writes: the BPB it computed, the cluster count
// it believes in, and every byte from the start of the volume to the end
// of the root directory's cluster. Past that, mkfile -n left zeros.
type Volume struct {
	BPB
	TotalClusters uint32
	FreeClusters  uint32 // FSInfo's fs_free_clusters
	NextFree      uint32 // FSInfo's fs_next_free in the primary FSInfo
	Head          []byte
}

// DOSDateTime is dirent_time_fill (mkfs.c:2891-2909) for a build zone in
// UTC.
func DOSDateTime(t time.Time) (date, tm uint16) {
	t = t.UTC()
	tm = uint16(t.Second()/2) | uint16(t.Minute())<<5 | uint16(t.Hour())<<11
	date = uint16(t.Day()) | uint16(t.Month())<<5 | uint16(t.Year()-1980)<<9
	return date, tm
}

// LofiGeometry is fake_disk_geometry (uts/common/io/lofi.c:2274-2305) for a
// file of dsize bytes and 512-byte blocks, in dk_geom's unsigned shorts.
func LofiGeometry(dsize uint64) (nhead, nsect uint16) {
	var ncyl uint16
	if dsize < 2*1024*1024 {
		ncyl = uint16(dsize / (100 * 1024))
	} else {
		ncyl = uint16(dsize / (300 * 1024))
	}
	if ncyl == 0 {
		ncyl = 1
	}
	nhead = 1
	nsect = uint16(dsize / (uint64(ncyl) << 9))
	return nhead, nsect
}

// Make models `mkfs -F pcfs -o b=label,size=sectors,nofdisk,fat=32` with
// the label's directory entry stamped at now.
func Make(sectors uint64, label string, now time.Time) (*Volume, error) {
	var w BPB
	// open_and_seek (mkfs.c:2378-2409) and fill_fat32_bpb (mkfs.c:489-529).
	w.NumFATs = 2
	w.BytesSector = bpsec
	w.ResvSectors = 32
	w.ExtSignature = 0x29
	w.VolumeID = 0
	w.ExtFlags = 0
	w.FSInfoSec = 1
	w.BackupBoot = 6
	// seek_nofdisk (mkfs.c:928-957), RelOffset 0.
	if sectors > 0xffff {
		w.SectorsInVolume = 0
	} else {
		w.SectorsInVolume = uint16(sectors)
	}
	w.SectorsInLogicalVolume = uint32(sectors)
	w.HiddenSectors = 0
	// find_fixed_details (mkfs.c:1494-1542).
	w.Heads, w.SectorsPerTrack = LofiGeometry(sectors * bpsec)
	w.Media = 0xF8
	w.NumRootEntries = 0
	w.PhysDriveNum = 0x80
	if err := computeClusterSize(&w); err != nil {
		return nil, err
	}

	// write_fat (mkfs.c:3193-3290).
	total := computeFileAreaSize(&w)
	boot, err := defBootSec() // copy_bootblk
	if err != nil {
		return nil, err
	}
	labelVolume(label, &w)
	fat, free, next := buildFAT(&w, total)
	fsinfo := fsInfo(free, next)

	fatBytes := int(w.BigSectorsPerFAT) * bpsec
	rootAt := (int(w.ResvSectors) + int(w.NumFATs)*int(w.BigSectorsPerFAT)) * bpsec
	rdirsize := int(w.SectorsPerCluster) * bpsec
	head := make([]byte, rootAt+rdirsize)

	// write_bootsects and write_fat32_bootstuff (mkfs.c:3087-3189).
	bs := bootSector32(boot, &w)
	copy(head[0:], bs[:])
	copy(head[bpsec:], fsinfo)
	copy(head[6*bpsec:], bs[:]) // BKUP_BOOTSECT_OFFSET
	binary.LittleEndian.PutUint32(fsinfo[492:], 0xFFFFFFFF)
	copy(head[7*bpsec:], fsinfo)
	for nf := 0; nf < int(w.NumFATs); nf++ {
		copy(head[int(w.ResvSectors)*bpsec+nf*fatBytes:], fat)
	}
	copy(head[rootAt:], buildRootdir(label, now, rdirsize))

	return &Volume{BPB: w, TotalClusters: total, FreeClusters: free, NextFree: next, Head: head}, nil
}

// computeClusterSize is compute_cluster_size (mkfs.c:1289-1490) for
// GetSPC and fat=32.
func computeClusterSize(w *BPB) error {
	const fat16MaxClusters = 0xFFF4
	const fat32MaxClusters = 0x0FFFFFF0
	const fat32SuggestedNclust = 0x400000
	volsize := uint64(w.SectorsInVolume)
	if volsize == 0 {
		volsize = uint64(w.SectorsInLogicalVolume)
	}
	volsize -= uint64(w.ResvSectors)
	if volsize < fat16MaxClusters {
		return fmt.Errorf("mkfs_pcfs: Requested size is too small for FAT32")
	}
	var spc uint64
	for spc = 1; spc <= 64; spc *= 2 {
		if volsize < spc*fat32SuggestedNclust {
			break
		}
	}
	if volsize > spc*fat32MaxClusters {
		return fmt.Errorf("mkfs_pcfs: Requested size is too large for FAT32")
	}
	rds := (uint64(w.NumRootEntries)*32 + uint64(w.BytesSector) - 1) / uint64(w.BytesSector)
	w.SectorsPerCluster = uint8(spc)
	copy(w.Type[:], "FAT32   ") // set_fat_string
	tmpval1 := volsize - (uint64(w.ResvSectors) + rds)
	tmpval2 := (256 * uint64(w.SectorsPerCluster)) + uint64(w.NumFATs)
	tmpval2 /= 2
	fatsz := (tmpval1 + (tmpval2 - 1)) / tmpval2
	w.SectorsPerFAT = 0
	w.BigSectorsPerFAT = uint32(fatsz)
	return nil
}

// computeFileAreaSize is compute_file_area_size (mkfs.c:1573-1611), in
// the C's ints.
func computeFileAreaSize(w *BPB) uint32 {
	rootDirSectors := (int32(w.NumRootEntries)*32 + int32(w.BytesSector) - 1) / int32(w.BytesSector)
	fatSz := int32(w.BigSectorsPerFAT)
	totSec := int32(w.SectorsInLogicalVolume)
	dataSec := totSec - (int32(w.ResvSectors) + int32(w.NumFATs)*fatSz + rootDirSectors)
	return uint32(dataSec / int32(w.SectorsPerCluster))
}

// labelVolume is label_volume (mkfs.c:2679-2694).
func labelVolume(lbl string, w *BPB) {
	ll := min(11, len(lbl))
	i := 0
	for ; i < ll; i++ {
		w.VolumeLabel[i] = toupper(lbl[i])
	}
	for ; i < 11; i++ {
		w.VolumeLabel[i] = ' '
	}
}

func toupper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// buildFAT is build_fat (mkfs.c:2763-2887) with no boot block overage and
// no first file: the media entry, the reserved entry, and the root's
// cluster ended with PCF_LASTCLUSTER32.
func buildFAT(w *BPB, total uint32) (fat []byte, remclust, nextfree uint32) {
	const pcfLastCluster32 = 0xFFFFFF8 // uts/common/sys/fs/pc_fs.h:503
	fat = make([]byte, bpsec*int(w.BigSectorsPerFAT))
	fat[0] = w.Media
	fat[1] = 0xFF
	fat[2] = 0xFF
	fat[3] = 0x0F
	fat[4] = 0xFF
	fat[5] = 0xFF
	fat[6] = 0xFF
	fat[7] = 0x0F
	remclust = total
	nextfree = 2
	binary.LittleEndian.PutUint32(fat[nextfree*4:], pcfLastCluster32)
	w.RootDirClust = nextfree
	nextfree++
	remclust--
	return fat, remclust, nextfree
}

// fsInfo is struct fat_od_fsi as build_fat fills it (mkfs.c:2880-2885;
// uts/common/sys/fs/pc_fs.h FSI_* values).
func fsInfo(free, next uint32) []byte {
	b := make([]byte, bpsec)
	binary.LittleEndian.PutUint32(b[0:], 0x41615252)
	binary.LittleEndian.PutUint32(b[484:], 0x61417272)
	binary.LittleEndian.PutUint32(b[488:], free)
	binary.LittleEndian.PutUint32(b[492:], next)
	binary.LittleEndian.PutUint32(b[508:], 0xAA550000)
	return b
}

// bootSector32 is write_bootsects' i386 memcpys (mkfs.c:3144-3149) of the
// packed bpb, bpb32 and ebpb over DefBootSec's struct _boot_sector32
// (mkfs_pcfs.h:159-196): bs_bpb at 11, bs_bpb32 at 36, bs_ebpb at 64.
func bootSector32(boot [bpsec]byte, w *BPB) [bpsec]byte {
	le := binary.LittleEndian
	b := boot
	p := b[11:]
	le.PutUint16(p[0:], w.BytesSector)
	p[2] = w.SectorsPerCluster
	le.PutUint16(p[3:], w.ResvSectors)
	p[5] = w.NumFATs
	le.PutUint16(p[6:], w.NumRootEntries)
	le.PutUint16(p[8:], w.SectorsInVolume)
	p[10] = w.Media
	le.PutUint16(p[11:], w.SectorsPerFAT)
	le.PutUint16(p[13:], w.SectorsPerTrack)
	le.PutUint16(p[15:], w.Heads)
	le.PutUint32(p[17:], w.HiddenSectors)
	le.PutUint32(p[21:], w.SectorsInLogicalVolume)
	p = b[36:]
	le.PutUint32(p[0:], w.BigSectorsPerFAT)
	le.PutUint16(p[4:], w.ExtFlags)
	p[6] = w.FSVersLo
	p[7] = w.FSVersHi
	le.PutUint32(p[8:], w.RootDirClust)
	le.PutUint16(p[12:], w.FSInfoSec)
	le.PutUint16(p[14:], w.BackupBoot)
	for r := 0; r < 6; r++ {
		le.PutUint16(p[16+2*r:], w.Reserved32[r])
	}
	p = b[64:]
	p[0] = w.PhysDriveNum
	p[1] = w.Reserved
	p[2] = w.ExtSignature
	le.PutUint32(p[3:], w.VolumeID)
	copy(p[7:18], w.VolumeLabel[:])
	copy(p[18:26], w.Type[:])
	return b
}

// buildRootdir is build_rootdir (mkfs.c:2980-3041) with no first file: one
// cluster holding the label entry, spread over name and extension by
// dirent_label_fill, with PCA_ARCH|PCA_LABEL and only pcd_mtime set.
func buildRootdir(label string, now time.Time, rdirsize int) []byte {
	const pcfnamesize, pcfextsize = 8, 3
	const pcaArch, pcaLabel = 0x20, 0x08 // uts/common/sys/fs/pc_dir.h:205-207
	d := make([]byte, rdirsize)
	ent := d[:32]
	nl := min(pcfnamesize, len(label))
	i := 0
	for ; i < nl; i++ {
		ent[i] = toupper(label[i])
	}
	if i < pcfnamesize {
		for ; i < pcfnamesize; i++ {
			ent[i] = ' '
		}
		for i = 0; i < pcfextsize; i++ {
			ent[pcfnamesize+i] = ' '
		}
	} else {
		nl = min(pcfextsize, len(label)-pcfnamesize)
		for i = 0; i < nl; i++ {
			ent[pcfnamesize+i] = toupper(label[i+pcfnamesize])
		}
		for ; i < pcfextsize; i++ {
			ent[pcfnamesize+i] = ' '
		}
	}
	ent[11] = pcaArch | pcaLabel
	date, tm := DOSDateTime(now)
	binary.LittleEndian.PutUint16(ent[22:], tm) // pcd_mtime.pct_time
	binary.LittleEndian.PutUint16(ent[24:], date)
	return d
}
