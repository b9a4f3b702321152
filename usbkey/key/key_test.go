package key

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/usbkey/bootfiles"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/fat32"
	"cntools/usbkey/parttable"
)

func bootSet(t *testing.T) *bootfiles.Set {
	t.Helper()
	dir := t.TempDir()
	if err := bootfilestest.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	s, err := bootfiles.FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func formatted(t *testing.T, size int64) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "key.img"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := Format(f, size, FormatOptions{Boot: bootSet(t)}); err != nil {
		t.Fatalf("Format: %v", err)
	}
	return f
}

func TestFormatThenInspect(t *testing.T) {
	f := formatted(t, 4_000_000_000)
	st, err := Inspect(f, "key.img", 4_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if st.Kind != KindV2 || st.Version != 2 || st.RootLabel != RootLabel || st.Marker || len(st.Problems) > 0 {
		t.Errorf("Inspect = %+v, want a v2 layout with root %s, no marker, no problems", st, RootLabel)
	}
	if len(st.Partitions) != 4 || st.Partitions[3].Index != parttable.IndexReserved {
		t.Errorf("Inspect partitions = %+v, want loader, boot, root, reserved (index 8)", st.Partitions)
	}
}

func TestESPHoldsOnlyTheLoader(t *testing.T) {
	f := formatted(t, 4_000_000_000)
	esp, err := fat32.Open(parttable.WindowAt(f, parttable.StartSector*512, parttable.ESPSectors*512))
	if err != nil {
		t.Fatal(err)
	}
	if esp.Label() != "SYSTEM     " && strings.TrimSpace(esp.Label()) != ESPLabel {
		t.Errorf("ESP label = %q, want %q", esp.Label(), ESPLabel)
	}
	top, _ := esp.ReadDir("")
	if len(top) != 1 || top[0].Name != "efi" {
		t.Errorf("ESP root = %+v, want only efi", top)
	}
	r, _, err := esp.Open(ESPLoaderPath)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, bootSet(t).Loader64EFI) {
		t.Errorf("%s differs from boot/loader64.efi", ESPLoaderPath)
	}
}

func TestPlanRefusesBeforeWriting(t *testing.T) {
	good := bootSet(t)
	noMB := *good
	noMB.GPTZFSBoot = make([]byte, 4096)
	for _, tc := range []struct {
		name string
		size int64
		o    FormatOptions
		want string
	}{
		{"odd size", 4_000_000_001, FormatOptions{Boot: good}, "512-byte sectors"},
		{"too small", 100 << 20, FormatOptions{Boot: good}, "small"},
		{"no multiboot", 4_000_000_000, FormatOptions{Boot: &noMB}, "multiboot"},
		{"esp image", 4_000_000_000, FormatOptions{Boot: good, ESPImage: bytes.NewReader(nil), ESPImageSize: 12345}, "aligned"},
		{"3 TiB", 3 << 40, FormatOptions{Boot: good}, "; a v2 key can be at most 2199302193152 bytes (2.0 TiB): use a smaller image or disk"},
		{"one sector over", MaxSize + 512, FormatOptions{Boot: good}, "a v2 key can be at most"},
	} {
		_, err := Plan(tc.size, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Plan(%s) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	// MaxSize itself is the largest key: its root is 0xFFFFF800 sectors.
	if res, err := Plan(MaxSize, FormatOptions{Boot: good}); err != nil || res.Layout.Root.Size != 0xFFFFF800 {
		t.Errorf("Plan(MaxSize) = %+v, %v, want a root of 0xFFFFF800 sectors", res, err)
	}
}
