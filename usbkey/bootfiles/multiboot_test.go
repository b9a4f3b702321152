package bootfiles

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"cntools/usbkey/bootfiles/bootfilestest"
)

// negMagic is the flags that make a zero checksum valid.
var negMagic = func() uint32 { m := uint32(MultibootMagic); return -m }()

// treeFile returns a file of the synthetic boot tree.
func treeFile(p string) []byte {
	for _, e := range bootfilestest.Tree() {
		if e.Path == p {
			return e.Data
		}
	}
	panic("no " + p + " in the synthetic tree")
}

// putHeader writes magic, flags and checksum at off.
func putHeader(b []byte, off int, flags, checksum uint32) {
	binary.LittleEndian.PutUint32(b[off:], MultibootMagic)
	binary.LittleEndian.PutUint32(b[off+4:], flags)
	binary.LittleEndian.PutUint32(b[off+8:], checksum)
}

func TestFindMultiboot(t *testing.T) {
	good := func(flags uint32) uint32 { return -(MultibootMagic + flags) }
	bad := make([]byte, 4096)
	putHeader(bad, 0x100, 3, good(3)+1) // wrong checksum: skipped
	putHeader(bad, 0x202, 3, good(3))   // not 4-byte aligned: skipped
	first := bytes.Clone(bad)
	putHeader(first, 0x400, 0x00010003, good(0x00010003))
	putHeader(first, 0x800, 0x00010003, good(0x00010003))
	// The flags run past the end into format_image's zero padding.
	tail := make([]byte, 8)
	binary.LittleEndian.PutUint32(tail, MultibootMagic)
	binary.LittleEndian.PutUint32(tail[4:], negMagic)

	for _, tt := range []struct {
		name    string
		b       []byte
		want    int
		wantErr bool
	}{
		{"first good header wins", first, 0x400, false},
		{"bad checksum and misaligned only", bad, 0, true},
		{"checksum in the padding", tail, 0, false},
		{"empty", nil, 0, true},
		{"synthetic gptzfsboot", treeFile(PathGPTZFSBoot), bootfilestest.MultibootOffset, false},
	} {
		got, err := FindMultiboot(tt.b)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("FindMultiboot(%s) = %#x, %v, want %#x, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	_, err := FindMultiboot(bad)
	want := "boot/gptzfsboot: no multiboot header (magic 0x1badb002): not a gptzfsboot stage2; use the one from the platform boot tarball"
	if err == nil || err.Error() != want {
		t.Errorf("FindMultiboot(no header) error = %v, want %q", err, want)
	}
}

func TestPatchGPTZFSBoot(t *testing.T) {
	orig := treeFile(PathGPTZFSBoot)
	got, err := PatchGPTZFSBoot(orig, 528384)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1<<20 {
		t.Fatalf("PatchGPTZFSBoot length = %d, want %d", len(got), 1<<20)
	}
	off := bootfilestest.MultibootOffset
	// smartos-boot.md §1.6: bss_end_addr = 00 10 08 00, entry_addr = 0.
	if h := hex.EncodeToString(got[off+24 : off+32]); h != "0010080000000000" {
		t.Errorf("patched bss_end_addr, entry_addr = %s, want 0010080000000000", h)
	}
	if !bytes.Equal(got[:off+24], orig[:off+24]) {
		t.Errorf("PatchGPTZFSBoot changed bytes before bss_end_addr (the checksum must stay)")
	}
	if !bytes.Equal(got[off+32:len(orig)], orig[off+32:]) {
		t.Errorf("PatchGPTZFSBoot changed bytes after entry_addr")
	}
	if !bytes.Equal(got[len(orig):], make([]byte, 1<<20-len(orig))) {
		t.Errorf("PatchGPTZFSBoot padding is not zero")
	}
	if again, _ := FindMultiboot(got); again != off {
		t.Errorf("FindMultiboot(patched) = %#x, want %#x: the header must stay valid", again, off)
	}
	if big, _ := PatchGPTZFSBoot(orig, 1<<33); binary.LittleEndian.Uint64(big[off+24:]) != 1<<33 {
		t.Errorf("PatchGPTZFSBoot(lba 1<<33) did not store 64 bits")
	}
}

func TestPatchGPTZFSBootRefuses(t *testing.T) {
	atEnd := make([]byte, 1<<20)
	putHeader(atEnd, 1<<20-16, 0, negMagic)
	for _, tt := range []struct {
		name string
		b    []byte
		want string
	}{
		{"over 1 MiB", make([]byte, 1<<20+512), "boot/gptzfsboot: 1049088 bytes, more than the 1048576-byte boot partition: not a gptzfsboot stage2; use the one from the platform boot tarball"},
		{"no header", make([]byte, 4096), "boot/gptzfsboot: no multiboot header (magic 0x1badb002): not a gptzfsboot stage2; use the one from the platform boot tarball"},
		{"header at the end", atEnd, "boot/gptzfsboot: multiboot header at 0xffff0 runs past the 1048576-byte boot partition: not a gptzfsboot stage2; use the one from the platform boot tarball"},
	} {
		_, err := PatchGPTZFSBoot(tt.b, 528384)
		if err == nil || err.Error() != tt.want {
			t.Errorf("PatchGPTZFSBoot(%s) error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckESPImage(t *testing.T) {
	const part = 256 << 20
	for _, tt := range []struct {
		size int64
		want string
	}{
		{256 << 20, ""},
		{1 << 20, ""},
		{256<<20 + 512, "esp image of 268435968 bytes is not 1048576-byte aligned"},
		{257 << 20, "esp image of 269484032 bytes does not fit the 268435456-byte loader partition"},
		{0, "esp image is empty: build it from boot/loader64.efi first"},
	} {
		err := CheckESPImage(tt.size, part)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckESPImage(%d, %d) = %q, want %q", tt.size, part, got, tt.want)
		}
	}
}
