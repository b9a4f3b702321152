package parttable

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"
	"testing"
)

// fixHeaderCRC recomputes the CRC of the 92-byte header at lba so that a
// mangle reaches the checks after the CRC.
func fixHeaderCRC(img memImage, lba uint64) {
	h := img[lba*SectorSize : lba*SectorSize+HeaderSize]
	clear(h[16:20])
	binary.LittleEndian.PutUint32(h[16:20], crc32.ChecksumIEEE(h))
}

// mangleTests corrupt one thing in a header (offsets from the header's
// LBA) and give the error the reader must report for it.
var mangleTests = []struct {
	name   string
	off    int64 // byte offset from the header's lba
	val    byte
	fixCRC bool
	want   string
}{
	{"signature", 0, 'e', false, `no "EFI PART" signature`},
	{"revision", 8, 1, false, "header crc32 0x12268e85 does not match the stored 0x48252e4a"},
	{"header size small", 12, 91, true, "header size 91 is outside 92..512"},
	{"header size large", 13, 2, true, "header size 604 is outside 92..512"},
	{"header size 93", 12, 93, false, "header crc32 0x2982a15e does not match the stored 0x48252e4a"},
	{"header crc", 16, 0, false, "header crc32 0x48252e4a does not match the stored 0x48252e00"},
	{"my lba", 24, 5, true, "header says it is at lba 5"},
	{"entry count", 80, 0, true, "0 partition entries: want 1 to 8192"},
	{"entry size", 84, 0, true, "partition entries of 0 bytes, want 128: illumos makes no slices from them"},
	{"entry lba", 72, 199, true, "partition entry array at lba 199 (3 sectors) is outside the 200-sector disk"},
	{"alternate is self", 32, 1, true, "header names its own lba 1 for the other copy"},
	{"last usable", 48, 200, true, "usable lbas 34..200 are outside the 200-sector disk"},
	{"entry array", 512 + 2*128 + 56, 'B', false, "partition entry array crc32 0x17da40fa does not match the header's 0x3c5e0b4d"},
}

func TestReadGPTPrimaryMangled(t *testing.T) {
	for _, tt := range mangleTests {
		img, want, err := smallImage()
		if err != nil {
			t.Fatal(err)
		}
		img[SectorSize+tt.off] = tt.val
		if tt.fixCRC {
			fixHeaderCRC(img, 1)
		}
		g, err := ReadGPT(img, 200)
		if err != nil {
			t.Errorf("ReadGPT(primary %s mangled) error = %v, want the backup", tt.name, err)
			continue
		}
		wantErr := "primary gpt at lba 1: " + tt.want
		if g.PrimaryErr == nil || g.PrimaryErr.Error() != wantErr {
			t.Errorf("ReadGPT(primary %s mangled).PrimaryErr = %v, want %q", tt.name, g.PrimaryErr, wantErr)
		}
		if !slices.Equal(g.Entries, want.Entries) || g.DiskGUID != want.DiskGUID || g.Header.MyLBA != 199 {
			t.Errorf("ReadGPT(primary %s mangled) = %+v, want the backup of %+v", tt.name, g, want)
		}
	}
}

func TestReadGPTBothMangled(t *testing.T) {
	img, _, err := smallImage()
	if err != nil {
		t.Fatal(err)
	}
	img[SectorSize] = 'e'
	img[199*SectorSize+8] = 1
	_, err = ReadGPT(img, 200)
	want := `primary gpt at lba 1: no "EFI PART" signature; backup gpt at lba 199: header crc32 0xce467fdf does not match the stored 0x9445df10`
	if err == nil || err.Error() != want {
		t.Errorf("ReadGPT(both mangled) error = %v, want %q", err, want)
	}
}

func TestReadGPTGood(t *testing.T) {
	img, want, err := smallImage()
	if err != nil {
		t.Fatal(err)
	}
	g, err := ReadGPT(img, 200)
	if err != nil {
		t.Fatal(err)
	}
	if g.PrimaryErr != nil || !slices.Equal(g.Entries, want.Entries) || g.DiskGUID != want.DiskGUID || g.Header.MyLBA != 1 {
		t.Errorf("ReadGPT(good) = %+v, want the primary of %+v", g, want)
	}
}

// An image written for 200 sectors and copied onto a 300-sector stick: the
// primary names the backup's real place.
func TestReadGPTImageOnLargerDisk(t *testing.T) {
	small, want, err := smallImage()
	if err != nil {
		t.Fatal(err)
	}
	img := make(memImage, 300*SectorSize)
	copy(img, small)
	g, err := ReadGPT(img, 300)
	if err != nil || g.PrimaryErr != nil {
		t.Fatalf("ReadGPT(image on larger disk) = %v, %v, want the primary", g, err)
	}
	img[SectorSize] = 'e'
	g, err = ReadGPT(img, 300)
	if err != nil {
		t.Fatalf("ReadGPT(damaged image on larger disk) error = %v, want the backup at lba 199", err)
	}
	if g.Header.MyLBA != 199 || !slices.Equal(g.Entries, want.Entries) {
		t.Errorf("ReadGPT(damaged image on larger disk) header at lba %d, want 199", g.Header.MyLBA)
	}
	if l, err := g.Layout(); err != nil || l.Sectors != 200 {
		t.Errorf("Layout() = %+v, %v, want 200 sectors", l, err)
	}
}

func TestReadGPTShortImage(t *testing.T) {
	img, _, err := smallImage()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadGPT(img[:SectorSize+10], 200)
	want := "primary gpt at lba 1: read header: unexpected EOF; backup gpt at lba 199: read header: unexpected EOF"
	if err == nil || err.Error() != want {
		t.Errorf("ReadGPT(short image) error = %v, want %q", err, want)
	}
	_, err = ReadGPT(img, 67)
	want = "disk of 67 sectors is too small to hold a gpt"
	if err == nil || err.Error() != want {
		t.Errorf("ReadGPT(67 sectors) error = %v, want %q", err, want)
	}
}

// TestWriteReadRoundTrip checks that a table read back writes the same bytes.
func TestWriteReadRoundTrip(t *testing.T) {
	img, _, err := smallImage()
	if err != nil {
		t.Fatal(err)
	}
	g, err := ReadGPT(img, 200)
	if err != nil {
		t.Fatal(err)
	}
	again := make(memImage, len(img))
	if err := g.Write(again, 200); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, img) {
		t.Errorf("Write(ReadGPT(img)) differs from img")
	}
}

// The same mangles on the backup, with the primary gone, where the message
// does not depend on the header's own CRC.
func TestReadGPTBackupMangled(t *testing.T) {
	for _, tt := range mangleTests {
		// The backup already names lba 1 for the other copy.
		if !tt.fixCRC && tt.name != "signature" || tt.name == "alternate is self" {
			continue
		}
		img, _, err := smallImage()
		if err != nil {
			t.Fatal(err)
		}
		img[SectorSize] = 'e'
		img[199*SectorSize+tt.off] = tt.val
		if tt.fixCRC {
			fixHeaderCRC(img, 199)
		}
		_, err = ReadGPT(img, 200)
		want := `primary gpt at lba 1: no "EFI PART" signature; backup gpt at lba 199: ` + tt.want
		if err == nil || err.Error() != want {
			t.Errorf("ReadGPT(backup %s mangled) error = %v, want %q", tt.name, err, want)
		}
	}
}

// imageWith writes smallLayout's table, changed by mod, to a 200-sector
// image, as a tool other than libefi might have written it.
func imageWith(t *testing.T, mod func(g *GPT)) (memImage, *GPT) {
	t.Helper()
	img := make(memImage, 200*SectorSize)
	g := NewGPT(smallLayout(), &countingRand{})
	mod(g)
	writeUnchecked(t, img, g, 200)
	return img, g
}

// A 128-entry table, as sgdisk and most tools write: read whole, the v2
// entries where they belong.
func TestReadGPT128Entries(t *testing.T) {
	img, want := imageWith(t, func(g *GPT) { g.Entries = append(g.Entries, make([]Entry, 128-NumEntries)...) })
	g, err := ReadGPT(img, 200)
	if err != nil || g.PrimaryErr != nil || g.BackupErr != nil {
		t.Fatalf("ReadGPT(128 entries) = %+v, %v", g, err)
	}
	if len(g.Entries) != 128 || !slices.Equal(g.Entries, want.Entries) || g.Header.NumberOfPartitionEntries != 128 {
		t.Errorf("ReadGPT(128 entries) read %d entries, want the 128 written", len(g.Entries))
	}
	if l, err := g.Layout(); err != nil || l.Root != smallLayout().Root {
		t.Errorf("Layout() of a 128-entry table = %+v, %v, want root %+v", l, err, smallLayout().Root)
	}
	if errs := g.CheckEntries(); len(errs) != 0 {
		t.Errorf("CheckEntries() = %v, want none", errs)
	}
}

// A table of 3 entries has no entry 8: Layout says so, Partition does not
// panic.
func TestReadGPTFewEntries(t *testing.T) {
	img, _ := imageWith(t, func(g *GPT) { g.Entries = g.Entries[:3] })
	g, err := ReadGPT(img, 200)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Partition(8); err == nil || err.Error() != "gpt has 3 entries, no entry 8" {
		t.Errorf("Partition(8) of 3 entries = %v", err)
	}
	if _, err := g.Layout(); err == nil || !strings.HasPrefix(err.Error(), "gpt entry 8 has no entry, want ") {
		t.Errorf("Layout() of 3 entries = %v", err)
	}
}

// Entries the loader would skip (part.c:355-359) are read, and reported by
// CheckEntries and Partition, never turned into a size.
func TestReadGPTBadEntries(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(g *GPT)
		want string
	}{
		{"inverted", func(g *GPT) { g.Entries[2].EndingLBA = 60 }, "gpt entry 2 (root) ends at lba 60, before it starts at lba 70"},
		{"overflowing", func(g *GPT) { g.Entries[2].EndingLBA = ^uint64(0) - 5 }, "gpt entry 2 (root) covers lbas 70..18446744073709551610, outside the usable lbas 34..166"},
		{"before first usable", func(g *GPT) { g.Entries[0].StartingLBA = 1 }, "gpt entry 0 (loader) covers lbas 1..59, outside the usable lbas 34..166"},
	} {
		img, _ := imageWith(t, tc.mod)
		g, err := ReadGPT(img, 200)
		if err != nil {
			t.Errorf("ReadGPT(%s) = %v, want the table", tc.name, err)
			continue
		}
		errs := g.CheckEntries()
		if len(errs) != 1 || errs[0].Error() != tc.want {
			t.Errorf("CheckEntries(%s) = %v, want [%s]", tc.name, errs, tc.want)
		}
		if _, err := g.Layout(); err == nil || err.Error() != tc.want {
			t.Errorf("Layout(%s) = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// The backup is checked where the primary names it: missing from an image
// one sector short, damaged, or a copy of another table.
func TestReadGPTBackup(t *testing.T) {
	img, _, err := smallImage()
	if err != nil {
		t.Fatal(err)
	}
	g, err := ReadGPT(img[:199*SectorSize], 199)
	want := "backup gpt at lba 199 is past the end of the 199-sector disk: the image or device is shorter than the table was written for"
	if err != nil || g.PrimaryErr != nil || g.BackupErr == nil || g.BackupErr.Error() != want {
		t.Errorf("ReadGPT(one sector short) = %v, %v, want the primary and BackupErr %q", g, err, want)
	}

	img[199*SectorSize] = 'e'
	g, err = ReadGPT(img, 200)
	want = `backup gpt at lba 199: no "EFI PART" signature`
	if err != nil || g.BackupErr == nil || g.BackupErr.Error() != want {
		t.Errorf("ReadGPT(backup damaged) = %v, %v, want BackupErr %q", g, err, want)
	}

	other, _ := imageWith(t, func(g *GPT) { g.DiskGUID[0] ^= 1 })
	img, _, _ = smallImage()
	copy(img[199*SectorSize:], other[199*SectorSize:])
	g, err = ReadGPT(img, 200)
	want = "backup gpt at lba 199 differs from the primary (disk guid, usable lbas, or entries): the loader would prefer it"
	if err != nil || g.BackupErr == nil || g.BackupErr.Error() != want {
		t.Errorf("ReadGPT(backup of another table) = %v, %v, want BackupErr %q", g, err, want)
	}
}
