package parttable

import "testing"

// The expected maps are the partition.map rows of smartos-boot.md §1.3.
func TestV2LayoutPartitionMap(t *testing.T) {
	for _, tt := range []struct {
		bytes uint64
		want  string
	}{
		{1940000256, "loader 12 1048576 268435456\n" +
			"boot 1 269484032 1048576\n" +
			"root 2 270532608 1660944384\n" +
			"reserved 11 1931594752 8388608\n"},
		{4000000000, "loader 12 1048576 268435456\n" +
			"boot 1 269484032 1048576\n" +
			"root 2 270532608 3720347648\n" +
			"reserved 11 3991594496 8388608\n"},
		{8000000000, "loader 12 1048576 268435456\n" +
			"boot 1 269484032 1048576\n" +
			"root 2 270532608 7720665088\n" +
			"reserved 11 7991594496 8388608\n"},
		{16000000000, "loader 12 1048576 268435456\n" +
			"boot 1 269484032 1048576\n" +
			"root 2 270532608 15720251392\n" +
			"reserved 11 15991594496 8388608\n"},
		{32000000000, "loader 12 1048576 268435456\n" +
			"boot 1 269484032 1048576\n" +
			"root 2 270532608 31720472576\n" +
			"reserved 11 31991594496 8388608\n"},
	} {
		l, err := V2Layout(tt.bytes / SectorSize)
		if err != nil {
			t.Fatalf("V2Layout(%d) error: %v", tt.bytes/SectorSize, err)
		}
		if got := l.PartitionMap(); got != tt.want {
			t.Errorf("V2Layout(%d).PartitionMap() = %q, want %q", tt.bytes/SectorSize, got, tt.want)
		}
	}
}

func TestV2LayoutLBAs(t *testing.T) {
	// smartos-boot.md §1.3: the .usb default's root and reserved LBAs.
	l, err := V2Layout(3789063)
	if err != nil {
		t.Fatal(err)
	}
	want := Layout{
		Sectors:  3789063,
		ESP:      Extent{2048, 524288},
		Boot:     Extent{526336, 2048},
		Root:     Extent{528384, 3772415 - 528384 + 1},
		Reserved: Extent{3772646, 16384},
	}
	if l != want {
		t.Errorf("V2Layout(3789063) = %+v, want %+v", l, want)
	}
	if got := l.Reserved.End(); got != 3789063-34 {
		t.Errorf("reserved ends at %d, want last usable lba %d", got, 3789063-34)
	}
	for _, n := range []uint64{7812500, 15625000, 31250000} {
		l, _ := V2Layout(n)
		if l.Reserved.Start != n-33-16384 {
			t.Errorf("V2Layout(%d).Reserved.Start = %d, want %d", n, l.Reserved.Start, n-33-16384)
		}
	}
}

func TestV2LayoutTooSmall(t *testing.T) {
	if _, err := V2Layout(MinSectors); err != nil {
		t.Errorf("V2Layout(MinSectors) error: %v", err)
	}
	l, _ := V2Layout(MinSectors)
	if l.Root.Size != MinRootSectors {
		t.Errorf("V2Layout(MinSectors).Root.Size = %d, want %d", l.Root.Size, MinRootSectors)
	}
	_, err := V2Layout(MinSectors - 1)
	want := "disk of 675872 sectors (346046464 bytes) is too small for a v2 usb key: need at least 675873 sectors (346046976 bytes) for a 64 MiB root partition"
	if err == nil || err.Error() != want {
		t.Errorf("V2Layout(%d) error = %v, want %q", MinSectors-1, err, want)
	}
	if _, err := V2Layout(0); err == nil {
		t.Errorf("V2Layout(0) error = nil, want an error")
	}
}

func TestCheckSectorSize(t *testing.T) {
	if err := CheckSectorSize(512); err != nil {
		t.Errorf("CheckSectorSize(512) = %v, want nil", err)
	}
	want := "4096-byte logical sectors: a v2 usb key is laid out in 512-byte sectors (format_image and the loader's pmbr address it so); use a disk with 512-byte logical sectors (most USB sticks; 512e disks are fine)"
	if err := CheckSectorSize(4096); err == nil || err.Error() != want {
		t.Errorf("CheckSectorSize(4096) = %v, want %q", err, want)
	}
}
