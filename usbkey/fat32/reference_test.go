package fat32_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cntools/usbkey/fat32"
	"cntools/usbkey/fat32/mkfspcfs"
	"cntools/usbkey/parttable"
)

// The partition sizes of the keys issue 12 compares: the ESP, and the
// roots of 4 GiB, 8e9 (the Triton key), 16, 32 and 64 GiB keys.
func referenceSizes(t *testing.T) map[string]uint64 {
	t.Helper()
	sizes := map[string]uint64{}
	for _, key := range []uint64{4 << 30, 8e9, 16 << 30, 32 << 30, 64 << 30} {
		l, err := parttable.V2Layout(key / parttable.SectorSize)
		if err != nil {
			t.Fatal(err)
		}
		sizes["esp"] = l.ESP.Size
		sizes[fmt.Sprintf("root of %d", key)] = l.Root.Size
	}
	return sizes
}

// TestFormatIsMkfsPcfs formats each volume with Format and holds it, field
// by field and then byte for byte, against the model of mkfs_pcfs in
// package mkfspcfs, which transliterates the illumos C and shares no code
// with Format. Nothing is masked: a fresh FAT32 volume has no random field
// (mkfs_pcfs's volume id is 0), and the label's time is the one given.
func TestFormatIsMkfsPcfs(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 34, 56, 0, time.UTC)
	for name, sectors := range referenceSizes(t) {
		label := fat32RootLabel
		if name == "esp" {
			label = "system" // build_boot_image's create_esp, upper-cased by mkfs
		}
		t.Run(name, func(t *testing.T) {
			want, err := mkfspcfs.Make(sectors, label, now)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(filepath.Join(t.TempDir(), "vol.img"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(int64(sectors) * 512); err != nil {
				t.Fatal(err)
			}
			fs, err := fat32.Format(f, sectors, label, now)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(want.Head))
			if _, err := f.ReadAt(got, 0); err != nil {
				t.Fatal(err)
			}

			// Field by field, so that a difference names itself.
			g := fs.Geometry()
			le := binary.LittleEndian
			for _, c := range []struct {
				field     string
				got, want uint64
			}{
				{"jump and OEM name (first 8 bytes)", le.Uint64(got[0:]), le.Uint64(want.Head[0:])},
				{"sectors per cluster", uint64(g.SecPerClus), uint64(want.SectorsPerCluster)},
				{"sectors per FAT", uint64(g.FATSectors), uint64(want.BigSectorsPerFAT)},
				{"clusters", uint64(g.Clusters), uint64(want.TotalClusters)},
				{"free clusters", uint64(fs.FreeClusters()), uint64(want.FreeClusters)},
				{"sectors per track", uint64(le.Uint16(got[0x18:])), uint64(want.SectorsPerTrack)},
				{"heads", uint64(le.Uint16(got[0x1A:])), uint64(want.Heads)},
				{"hidden sectors", uint64(le.Uint32(got[0x1C:])), uint64(want.HiddenSectors)},
				{"volume id", uint64(le.Uint32(got[0x43:])), uint64(want.VolumeID)},
				{"FSInfo free", uint64(le.Uint32(got[512+488:])), uint64(want.FreeClusters)},
				{"FSInfo next free", uint64(le.Uint32(got[512+492:])), uint64(want.NextFree)},
				{"backup FSInfo next free", uint64(le.Uint32(got[7*512+492:])), 0xFFFFFFFF},
				{"root directory's FAT entry", uint64(le.Uint32(got[32*512+8:])), 0x0FFFFFF8},
			} {
				if c.got != c.want {
					t.Errorf("%s: Format wrote %#x, mkfs_pcfs writes %#x", c.field, c.got, c.want)
				}
			}
			if l := got[len(got)-int(want.SectorsPerCluster)*512:][:32]; !bytes.Equal(l, want.Head[len(want.Head)-int(want.SectorsPerCluster)*512:][:32]) {
				t.Errorf("label entry: Format wrote % x, mkfs_pcfs writes % x", l, want.Head[len(want.Head)-int(want.SectorsPerCluster)*512:][:32])
			}

			// Then every byte mkfs_pcfs writes, and the zeros between.
			if i := firstDiff(got, want.Head); i >= 0 {
				t.Errorf("byte %#x (sector %d, offset %#x): Format wrote %#02x, mkfs_pcfs writes %#02x", i, i/512, i%512, got[i], want.Head[i])
			}
		})
	}
}

// fat32RootLabel is usbkey's root label, spelled here so the test does not
// lean on package key.
const fat32RootLabel = "SMARTOSBOOT"

func firstDiff(a, b []byte) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// TestMkfsPcfsModel checks the model itself against what illumos wrote on
// a real 8e9 key's root (issue 12): 4 sectors a cluster, 29395 a FAT.
func TestMkfsPcfsModel(t *testing.T) {
	l, err := parttable.V2Layout(8e9 / 512)
	if err != nil {
		t.Fatal(err)
	}
	v, err := mkfspcfs.Make(l.Root.Size, fat32RootLabel, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if v.SectorsPerCluster != 4 || v.BigSectorsPerFAT != 29395 {
		t.Errorf("model of the 8e9 root: %d sectors a cluster, %d a FAT; illumos writes 4 and 29395", v.SectorsPerCluster, v.BigSectorsPerFAT)
	}
	if string(v.Head[3:11]) != "MSDOS4.0" || v.Head[0] != 0xEB || v.Head[1] != 0x3C || v.Head[510] != 0x55 || v.Head[511] != 0xAA {
		t.Errorf("model boot sector starts % x and ends % x: not DefBootSec", v.Head[:11], v.Head[510:512])
	}
}
