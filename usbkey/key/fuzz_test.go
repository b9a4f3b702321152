package key

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"cntools/internal/fuzzcorpus"
)

// fuzzKeySectors is the size of the disk FuzzInspectGPT builds: room for a
// GPT and a few tiny partitions, too small for a real root filesystem.
const fuzzKeySectors = 100

// fuzzKey lays out a v2 key's sector 0 (0xfa = 2, boot signature) and
// the given GPT header and entry array, both copies, CRCs fixed when fix
// is set so that mutations reach the entries.
func fuzzKey(hdr, entries []byte, fix bool) []byte {
	d := make([]byte, fuzzKeySectors*512)
	d[0xfa], d[0x1fe], d[0x1ff] = 2, 0x55, 0xaa
	for _, at := range []struct{ hdr, arr int }{{1, 2}, {fuzzKeySectors - 1, fuzzKeySectors - 33}} {
		h := d[at.hdr*512 : at.hdr*512+512]
		copy(h, hdr)
		copy(d[at.arr*512:(at.arr+32)*512], entries)
		if !fix || len(hdr) < 92 {
			continue
		}
		binary.LittleEndian.PutUint64(h[24:], uint64(at.hdr))
		binary.LittleEndian.PutUint64(h[32:], uint64(fuzzKeySectors-at.hdr))
		binary.LittleEndian.PutUint64(h[72:], uint64(at.arr))
		n := min(int(binary.LittleEndian.Uint32(h[80:])), 128) * 128
		binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(d[at.arr*512:at.arr*512+n]))
		binary.LittleEndian.PutUint32(h[16:], 0)
		if sz := binary.LittleEndian.Uint32(h[12:]); sz >= 92 && sz <= 512 {
			binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:sz]))
		}
	}
	return d
}

// fuzzKeySeeds: a 9-entry header and array (root at 46..55), and the same
// root inverted and running past the disk.
type fuzzKeySeed struct {
	hdr, entries []byte
	fix          bool
}

func fuzzKeySeeds() map[string]fuzzKeySeed {
	hdr := make([]byte, 92)
	copy(hdr, "EFI PART")
	binary.LittleEndian.PutUint32(hdr[8:], 0x00010000)
	binary.LittleEndian.PutUint32(hdr[12:], 92)
	binary.LittleEndian.PutUint64(hdr[40:], 34)
	binary.LittleEndian.PutUint64(hdr[48:], fuzzKeySectors-34)
	binary.LittleEndian.PutUint32(hdr[80:], 9)
	binary.LittleEndian.PutUint32(hdr[84:], 128)
	entries := func(start, end uint64) []byte {
		e := make([]byte, 9*128)
		root := e[2*128:]
		copy(root, []byte{0x4d, 0xcf, 0x85, 0x6a, 0xd2, 0x1d, 0xb2, 0x11, 0x99, 0xa6, 0x08, 0x00, 0x20, 0x73, 0x66, 0x31})
		binary.LittleEndian.PutUint64(root[32:], start)
		binary.LittleEndian.PutUint64(root[40:], end)
		return e
	}
	return map[string]fuzzKeySeed{
		"root":             {hdr, entries(46, 55), true},
		"root-inverted":    {hdr, entries(46, 40), true},
		"root-overflowing": {hdr, entries(46, ^uint64(0)), true},
		"crc-unfixed":      {hdr, entries(46, 55), false},
	}
}

// FuzzInspectGPT feeds usbkey-status's reader keys with mutated GPT
// headers and entry arrays: it never fails or panics on them, and never
// reports a partition that does not lie inside the disk.
func FuzzInspectGPT(f *testing.F) {
	for _, s := range fuzzKeySeeds() {
		f.Add(s.hdr, s.entries, s.fix)
	}
	f.Fuzz(func(t *testing.T, hdr, entries []byte, fix bool) {
		d := fuzzKey(hdr, entries, fix)
		st, err := Inspect(bytes.NewReader(d), "key.img", int64(len(d)))
		if err != nil {
			t.Fatalf("Inspect = %v, want problems, not an error", err)
		}
		for _, p := range st.Partitions {
			if p.Size <= 0 || p.Start < 0 || p.Start+p.Size > int64(len(d)) {
				t.Errorf("Inspect reports partition %+v outside the %d-byte disk", p, len(d))
			}
		}
		if st.Kind != KindV2 || len(st.Problems) == 0 {
			t.Errorf("Inspect = kind %s, problems %q, want a v2 key with problems (no root filesystem fits)", st.Kind, st.Problems)
		}
	})
}

// TestFuzzInspectSeedsCommitted keeps testdata/fuzz/FuzzInspectGPT in step
// with fuzzKeySeeds; CNTOOLS_UPDATE=1 rewrites it.
func TestFuzzInspectSeedsCommitted(t *testing.T) {
	files := map[string]string{}
	for name, s := range fuzzKeySeeds() {
		files[name] = fuzzcorpus.Encode(s.hdr, s.entries, s.fix)
	}
	fuzzcorpus.Check(t, "FuzzInspectGPT", files)
}
