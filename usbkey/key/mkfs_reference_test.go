package key

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cntools/usbkey/fat32/mkfspcfs"
	"cntools/usbkey/parttable"
)

// TestFormattedKeyIsIllumos holds a formatted key against what illumos
// writes, computed independently (package mkfspcfs transliterates
// mkfs_pcfs; the UUID rules are libuuid's):
//
//   - each FAT32 partition's reserved sectors, field by field and then byte
//     for byte, masking only FSInfo's free and next-free counts, which change
//     once format writes the loader files (pcfs changes them too when
//     build_boot_image copies bootx64.efi in);
//   - the label entry, the FAT's first two entries;
//   - the random UUIDs (MBR 0x106, the GPT disk and partition GUIDs) with
//     the version and variant bits uuid_generate sets and leaves, raw.
func TestFormattedKeyIsIllumos(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 34, 56, 0, time.UTC)
	for _, size := range []int64{4 << 30, 8e9, 16 << 30, 32 << 30, 64 << 30} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "key.img"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(size); err != nil {
				t.Fatal(err)
			}
			if _, err := Format(f, size, FormatOptions{Boot: bootSet(t), Now: now}); err != nil {
				t.Fatal(err)
			}
			l, err := parttable.V2Layout(uint64(size) / parttable.SectorSize)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct {
				name  string
				ext   parttable.Extent
				label string
			}{{"loader", l.ESP, "system"}, {"root", l.Root, RootLabel}} {
				want, err := mkfspcfs.Make(p.ext.Size, p.label, now)
				if err != nil {
					t.Fatal(err)
				}
				comparePartition(t, f, p.name, int64(p.ext.Start)*512, want)
			}
			checkUUIDs(t, f, l)
		})
	}
}

func comparePartition(t *testing.T, f *os.File, name string, at int64, want *mkfspcfs.Volume) {
	t.Helper()
	const resv = 32 * 512
	got := make([]byte, resv)
	if _, err := f.ReadAt(got, at); err != nil {
		t.Fatal(err)
	}
	exp := append([]byte(nil), want.Head[:resv]...)
	for _, c := range []struct {
		field string
		off   int
		n     int
	}{
		{"jump", 0, 3}, {"OEM name", 3, 8}, {"bytes per sector", 0x0B, 2},
		{"sectors per cluster", 0x0D, 1}, {"reserved sectors", 0x0E, 2},
		{"FATs", 0x10, 1}, {"media", 0x15, 1}, {"sectors per track", 0x18, 2},
		{"heads", 0x1A, 2}, {"hidden sectors", 0x1C, 4}, {"total sectors", 0x20, 4},
		{"sectors per FAT", 0x24, 4}, {"root cluster", 0x2C, 4}, {"volume id", 0x43, 4},
		{"label", 0x47, 11}, {"type", 0x52, 8}, {"boot code", 0x5A, 420},
	} {
		if g, w := got[c.off:c.off+c.n], exp[c.off:c.off+c.n]; !bytes.Equal(g, w) {
			t.Errorf("%s partition: %s: format wrote % x, mkfs_pcfs writes % x", name, c.field, g, w)
		}
	}
	// FSInfo's counts move as files are written; the rest is mkfs's.
	for _, s := range []int{1, 7} {
		for _, off := range []int{s*512 + 488, s*512 + 492} {
			copy(got[off:off+4], exp[off:off+4])
		}
	}
	for i := range got {
		if got[i] != exp[i] {
			t.Errorf("%s partition: reserved byte %#x: format wrote %#02x, mkfs_pcfs writes %#02x", name, i, got[i], exp[i])
			break
		}
	}

	fat := make([]byte, 8)
	if _, err := f.ReadAt(fat, at+resv); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fat, want.Head[resv:resv+8]) {
		t.Errorf("%s partition: FAT entries 0 and 1 are % x, mkfs_pcfs writes % x", name, fat, want.Head[resv:resv+8])
	}
	rootAt := len(want.Head) - int(want.SectorsPerCluster)*512
	label := make([]byte, 32)
	if _, err := f.ReadAt(label, at+int64(rootAt)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(label, want.Head[rootAt:rootAt+32]) {
		t.Errorf("%s partition: label entry % x, mkfs_pcfs writes % x", name, label, want.Head[rootAt:rootAt+32])
	}
}

// checkUUIDs checks every random UUID on the key for the bits illumos
// uuid_generate_random sets (libuuid uuid.c:403-422): byte 6 with 0x40 set
// and 0x10 clear, bytes 8 and 10 with 0x80 set, stored raw (on x86 libefi's
// UUID_LE_CONVERT is a copy).
func checkUUIDs(t *testing.T, f *os.File, l parttable.Layout) {
	t.Helper()
	read := func(off int64) []byte {
		b := make([]byte, 16)
		if _, err := f.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		return b
	}
	uuids := map[string][]byte{
		"MBR stage2 uuid (0x106)": read(0x106),
		"GPT disk GUID":           read(512 + 56),
	}
	entries := int64(2 * 512)
	for i := 0; i < 9; i++ {
		e := read(entries + int64(i)*128)
		if bytes.Equal(e, make([]byte, 16)) {
			continue // an unused entry
		}
		uuids[fmt.Sprintf("partition %d GUID", i)] = read(entries + int64(i)*128 + 16)
	}
	for name, u := range uuids {
		if u[6]&0x50 != 0x40 || u[8]&0x80 == 0 || u[10]&0x80 == 0 {
			t.Errorf("%s % x: not laid out as illumos uuid_generate does (byte 6 &0x50 = 0x40, bytes 8 and 10 &0x80)", name, u)
		}
	}
}
