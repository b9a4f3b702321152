package parttable

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// writeKeyImage writes the GPT of an 8e9-byte key to a sparse temp file.
func writeKeyImage(t *testing.T) (path string, g *GPT, capacity uint64) {
	t.Helper()
	capacity = 8000000000 / SectorSize
	l, err := V2Layout(capacity)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "key.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(int64(capacity) * SectorSize); err != nil {
		t.Fatal(err)
	}
	g = NewGPT(l, &countingRand{})
	if err := g.Write(f, capacity); err != nil {
		t.Fatal(err)
	}
	sector0, err := PatchMBR(syntheticPMBR(), 600, l.Boot.Start, [16]byte{}, capacity)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(sector0, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, g, capacity
}

func readSectors(t *testing.T, path string, lba, n uint64) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n*SectorSize)
	if _, err := f.ReadAt(b, int64(lba)*SectorSize); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGPTHeaderBytes checks the header field by field at its UEFI offsets,
// and recomputes both CRCs independently of the writer.
func TestGPTHeaderBytes(t *testing.T) {
	path, g, capacity := writeKeyImage(t)
	for _, tt := range []struct {
		name             string
		hdrLBA, arrayLBA uint64
		myLBA, altLBA    uint64
	}{
		{"primary", 1, 2, 1, capacity - 1},
		{"backup", capacity - 1, capacity - 33, capacity - 1, 1},
	} {
		h := readSectors(t, path, tt.hdrLBA, 1)
		le32 := func(off int) uint32 { return binary.LittleEndian.Uint32(h[off:]) }
		le64 := func(off int) uint64 { return binary.LittleEndian.Uint64(h[off:]) }
		if got := string(h[0:8]); got != "EFI PART" {
			t.Errorf("%s signature = %q, want %q", tt.name, got, "EFI PART")
		}
		if got := hex.EncodeToString(h[8:12]); got != "00000100" {
			t.Errorf("%s revision bytes = %s, want 00000100", tt.name, got)
		}
		for _, f := range []struct {
			field string
			got   uint64
			want  uint64
		}{
			{"header size", uint64(le32(12)), 92},
			{"reserved", uint64(le32(20)), 0},
			{"my lba", le64(24), tt.myLBA},
			{"alternate lba", le64(32), tt.altLBA},
			{"first usable lba", le64(40), 34},
			{"last usable lba", le64(48), capacity - 34},
			{"partition entry lba", le64(72), tt.arrayLBA},
			{"number of entries", uint64(le32(80)), 9},
			{"entry size", uint64(le32(84)), 128},
		} {
			if f.got != f.want {
				t.Errorf("%s %s = %d, want %d", tt.name, f.field, f.got, f.want)
			}
		}
		if !bytes.Equal(h[56:72], g.DiskGUID[:]) {
			t.Errorf("%s disk guid = % x, want % x", tt.name, h[56:72], g.DiskGUID[:])
		}
		if !bytes.Equal(h[92:], make([]byte, 512-92)) {
			t.Errorf("%s header sector is not zero after byte 92", tt.name)
		}
		hdr := bytes.Clone(h[:92])
		clear(hdr[16:20])
		if got, want := crc32.ChecksumIEEE(hdr), le32(16); got != want {
			t.Errorf("%s header crc = %#x, want stored %#x", tt.name, got, want)
		}
		area := readSectors(t, path, tt.arrayLBA, 32)
		if got, want := crc32.ChecksumIEEE(area[:9*128]), le32(88); got != want {
			t.Errorf("%s entry array crc = %#x, want stored %#x", tt.name, got, want)
		}
		if !bytes.Equal(area[9*128:], make([]byte, 32*512-9*128)) {
			t.Errorf("%s entry area is not zero after 9 entries", tt.name)
		}
	}
	if !bytes.Equal(readSectors(t, path, 2, 32), readSectors(t, path, capacity-33, 32)) {
		t.Errorf("backup entry area differs from the primary")
	}
}

// TestGPTEntryBytes checks the entries against smartos-boot.md §1.4.
func TestGPTEntryBytes(t *testing.T) {
	path, g, capacity := writeKeyImage(t)
	area := readSectors(t, path, 2, 3)
	utf16le := func(s string) []byte {
		b := make([]byte, 72)
		for i, c := range s {
			b[2*i] = byte(c)
		}
		return b
	}
	l, _ := V2Layout(capacity)
	for _, tt := range []struct {
		index int
		typ   string
		name  string
		ext   Extent
	}{
		{0, "28 73 2A C1 1F F8 D2 11 BA 4B 00 A0 C9 3E C9 3B", "loader", l.ESP},
		{1, "45 CB 82 6A D2 1D B2 11 99 A6 08 00 20 73 66 31", "boot", l.Boot},
		{2, "4D CF 85 6A D2 1D B2 11 99 A6 08 00 20 73 66 31", "root", l.Root},
		{8, "3B 5A 94 6A D2 1D B2 11 99 A6 08 00 20 73 66 31", "reserved", l.Reserved},
	} {
		e := area[tt.index*128 : (tt.index+1)*128]
		if got := hex.EncodeToString(e[0:16]); got != hexNoSpace(tt.typ) {
			t.Errorf("entry %d type = %s, want %s", tt.index, got, hexNoSpace(tt.typ))
		}
		if !bytes.Equal(e[16:32], g.Entries[tt.index].UniquePartitionGUID[:]) || bytes.Equal(e[16:32], make([]byte, 16)) {
			t.Errorf("entry %d unique guid = % x, want the random one", tt.index, e[16:32])
		}
		if got := binary.LittleEndian.Uint64(e[32:]); got != tt.ext.Start {
			t.Errorf("entry %d starting lba = %d, want %d", tt.index, got, tt.ext.Start)
		}
		if got := binary.LittleEndian.Uint64(e[40:]); got != tt.ext.Start+tt.ext.Size-1 {
			t.Errorf("entry %d ending lba = %d, want %d", tt.index, got, tt.ext.Start+tt.ext.Size-1)
		}
		if got := binary.LittleEndian.Uint64(e[48:]); got != 0 {
			t.Errorf("entry %d attributes = %#x, want 0", tt.index, got)
		}
		if !bytes.Equal(e[56:128], utf16le(tt.name)) {
			t.Errorf("entry %d name = % x, want %q in UTF-16LE", tt.index, e[56:128], tt.name)
		}
	}
	// libefi's unused entries: all zero but EndingLBA = 0 + 0 - 1.
	unused := make([]byte, 128)
	copy(unused[40:48], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	for i := 3; i <= 7; i++ {
		if e := area[i*128 : (i+1)*128]; !bytes.Equal(e, unused) {
			t.Errorf("unused entry %d = % x, want % x", i, e, unused)
		}
	}
}

func hexNoSpace(s string) string {
	return string(bytes.ToLower(bytes.ReplaceAll([]byte(s), []byte(" "), nil)))
}

func TestGUID(t *testing.T) {
	g, err := ParseGUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(g[:]), "28732ac11ff8d211ba4b00a0c93ec93b"; got != want {
		t.Errorf("ParseGUID(EFI system) bytes = %s, want %s", got, want)
	}
	if got := g.String(); got != TypeEFISystem {
		t.Errorf("GUID.String() = %s, want %s", got, TypeEFISystem)
	}
	for _, bad := range []string{"", "C12A7328F81F11D2BA4B00A0C93EC93B", "C12A7328-F81F-11D2-BA4B-00A0C93EC93G", "C12A732-8F81F-11D2-BA4B-00A0C93EC93B"} {
		if _, err := ParseGUID(bad); err == nil {
			t.Errorf("ParseGUID(%q) error = nil, want an error", bad)
		}
	}
	u, err := RandomUUID(&countingRand{})
	if err != nil {
		t.Fatal(err)
	}
	if u[6]>>4 != 4 || u[8]>>6 != 2 {
		t.Errorf("RandomUUID() = % x, want version 4, RFC 4122 variant", u)
	}
	// On disk the version nibble sits in the high nibble of byte 7.
	if g := guidFromCanonical(u); g[7]>>4 != 4 || g.String()[14] != '4' {
		t.Errorf("guidFromCanonical(%x) = % x (%s), want version 4 in byte 7", u, g, g)
	}
}

func TestWriteRefuses(t *testing.T) {
	img := make(memImage, 200*SectorSize)
	for _, tt := range []struct {
		name     string
		mangle   func(*GPT)
		capacity uint64
		want     string
	}{
		{"tiny disk", func(*GPT) {}, 67, "write gpt: disk of 67 sectors has no room for a gpt"},
		{"past last usable", func(g *GPT) { g.Entries[8].EndingLBA = 167 }, 200, "write gpt: gpt entry 8: [160, 167] is outside the usable lbas [34, 166]"},
		{"before first usable", func(g *GPT) { g.Entries[0].StartingLBA = 33 }, 200, "write gpt: gpt entry 0: [33, 59] is outside the usable lbas [34, 166]"},
		{"overlap", func(g *GPT) { g.Entries[1].StartingLBA = 59 }, 200, "write gpt: gpt entry 0: [40, 59] overlaps with entry 1 [59, 69]"},
		{"reversed", func(g *GPT) { g.Entries[2].EndingLBA = 69 }, 200, "write gpt: gpt entry 2: ends at 69, before its start 70"},
	} {
		g := NewGPT(smallLayout(), &countingRand{})
		tt.mangle(g)
		if err := g.Write(img, tt.capacity); err == nil || err.Error() != tt.want {
			t.Errorf("Write(%s) error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestGPTLayoutRoundTrip(t *testing.T) {
	path, _, capacity := writeKeyImage(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := ReadGPT(f, capacity)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Layout()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := V2Layout(capacity)
	if got != want {
		t.Errorf("ReadGPT(...).Layout() = %+v, want %+v", got, want)
	}
	for i, name := range map[int]string{0: "loader", 1: "boot", 2: "root", 8: "reserved", 3: ""} {
		if got := g.Entries[i].Name(); got != name {
			t.Errorf("entry %d Name() = %q, want %q", i, got, name)
		}
	}
	g.Entries[2].PartitionTypeGUID = mustParseGUID(TypeEFISystem)
	wantErr := "gpt entry 2 has type C12A7328-F81F-11D2-BA4B-00A0C93EC93B, want 6A85CF4D-1DD2-11B2-99A6-080020736631 (root): not a v2 usb key"
	if _, err := g.Layout(); err == nil || err.Error() != wantErr {
		t.Errorf("Layout() of a mistyped root error = %v, want %q", err, wantErr)
	}
}
