package parttable

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// syntheticPMBR is a pmbr whose every byte is nonzero, so that each byte
// PatchMBR zeroes or keeps shows.
func syntheticPMBR() []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(i%251 + 1)
	}
	b[0x1fe], b[0x1ff] = 0x55, 0xaa
	return b
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPatchMBRBytes(t *testing.T) {
	pmbr := syntheticPMBR()
	orig := bytes.Clone(pmbr)
	uuid := [16]byte{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x46, 0x17, 0x98, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}
	got, err := PatchMBR(pmbr, 600, 526336, uuid, 15625000)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pmbr, orig) {
		t.Errorf("PatchMBR modified its input")
	}

	// Expected sector, built from smartos-boot.md §1.5 byte by byte.
	want := bytes.Clone(orig)
	for i := 0x003; i <= 0x03d; i++ {
		want[i] = 0
	}
	copy(want[0x0fa:], unhex(t, "02 00"))                                 // major, minor
	copy(want[0x0fc:], unhex(t, "58 02"))                                 // 600 sectors
	copy(want[0x0fe:], unhex(t, "00 08 08 00 00 00 00 00"))               // 526336 = 0x80800
	copy(want[0x106:], unhex(t, "10111213141546179819 1a1b1c1d1e1f"))     // uuid, raw
	copy(want[0x1be:], make([]byte, 0x40))                                // table cleared
	copy(want[0x1be:], unhex(t, "00 000200 ee ffffff 01000000 276bee00")) // 15624999 = 0xEE6B27
	if !bytes.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("PatchMBR byte 0x%03x = 0x%02x, want 0x%02x", i, got[i], want[i])
			}
		}
	}
	if got[0x1fe] != 0x55 || got[0x1ff] != 0xaa {
		t.Errorf("PatchMBR signature = % x, want 55 aa", got[0x1fe:])
	}
}

func TestPatchMBRLargeDisk(t *testing.T) {
	for _, tt := range []struct {
		capacity uint64
		want     string
	}{
		{0xffffffff, "feffffff"},  // cap-1 fits
		{0x100000000, "ffffffff"}, // cap-1 = 0xFFFFFFFF: capped all the same
		{1 << 40, "ffffffff"},
	} {
		got, err := PatchMBR(syntheticPMBR(), 1, 526336, [16]byte{}, tt.capacity)
		if err != nil {
			t.Fatal(err)
		}
		if h := hex.EncodeToString(got[0x1ca:0x1ce]); h != tt.want {
			t.Errorf("PatchMBR(cap %#x) protective size = %s, want %s", tt.capacity, h, tt.want)
		}
	}
}

func TestPatchMBRRefuses(t *testing.T) {
	noSig := syntheticPMBR()
	noSig[0x1ff] = 0
	for _, tt := range []struct {
		name string
		pmbr []byte
		want string
	}{
		{"no signature", noSig, "boot/pmbr: no 0xaa55 boot signature at 0x1fe: not an MBR; use the pmbr from the platform boot tarball"},
		{"short", syntheticPMBR()[:446], "boot/pmbr: 446 bytes, want 512: not an MBR; use the pmbr from the platform boot tarball"},
		{"long", append(syntheticPMBR(), 0), "boot/pmbr: 513 bytes, want 512: not an MBR; use the pmbr from the platform boot tarball"},
	} {
		_, err := PatchMBR(tt.pmbr, 1, 526336, [16]byte{}, 15625000)
		if err == nil || err.Error() != tt.want {
			t.Errorf("PatchMBR(%s) error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestReadMBR(t *testing.T) {
	uuid := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	s0, err := PatchMBR(syntheticPMBR(), 600, 526336, uuid, 15625000)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadMBR(s0)
	if err != nil {
		t.Fatal(err)
	}
	want := MBR{
		Stage1: Stage1{Major: 2, Minor: 0, Stage2Size: 600, Stage2LBA: 526336, Stage2UUID: uuid},
		Partitions: [4]MBRPartition{{
			FirstCHS: [3]byte{0, 2, 0}, Type: 0xee, LastCHS: [3]byte{0xff, 0xff, 0xff},
			FirstLBA: 1, Sectors: 15624999,
		}},
	}
	if got != want {
		t.Errorf("ReadMBR(patched) = %+v, want %+v", got, want)
	}
}

func TestKeyVersion(t *testing.T) {
	v2, _ := PatchMBR(syntheticPMBR(), 600, 526336, [16]byte{}, 15625000)
	v1 := make([]byte, 512)
	v1[0x3e], v1[0x3f], v1[0x1fe], v1[0x1ff] = 3, 2, 0x55, 0xaa
	// A v1 marker wins over the byte at 0xFA, as in get_usb_key_version.
	v1v2 := bytes.Clone(v1)
	v1v2[0xfa] = 2
	unknown := bytes.Clone(v1)
	unknown[0x3f] = 3
	unknown[0xfa] = 7
	noSig := bytes.Clone(v2)
	noSig[0x1fe] = 0
	for _, tt := range []struct {
		name    string
		sector0 []byte
		want    int
		wantErr string
	}{
		{"v2", v2, 2, ""},
		{"v1", v1, 1, ""},
		{"v1 with 2 at 0xfa", v1v2, 1, ""},
		{"unknown", unknown, 0, "sector 0: unrecognised key version 0x07 at 0xfa (want 2, or grub 03 02 at 0x3e): not a triton usb key"},
		{"no signature", noSig, 0, "sector 0: no 0xaa55 boot signature at 0x1fe: not an MBR"},
		{"short", v2[:100], 0, "sector 0 is 100 bytes, want 512"},
	} {
		got, err := KeyVersion(tt.sector0)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("KeyVersion(%s) = %d, %q, want %d, %q", tt.name, got, gotErr, tt.want, tt.wantErr)
		}
	}
}
