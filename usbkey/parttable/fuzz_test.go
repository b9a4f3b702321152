package parttable

import (
	"bytes"
	"hash/crc32"
	"testing"

	"cntools/internal/fuzzcorpus"
)

// fuzzSectors is the size of the disk FuzzReadGPT builds.
const fuzzSectors = 100

// fuzzImage lays the fuzz inputs out as a disk: the primary header at LBA
// 1, the entry array at LBA 2 and again at the backup array (cap-33), and
// the backup header at cap-1. Inputs are cut to fit and zero-extended,
// which keeps the committed seeds short.
func fuzzImage(hdr, entries, backupHdr []byte) memImage {
	img := make(memImage, fuzzSectors*SectorSize)
	copy(img[1*SectorSize:2*SectorSize], hdr)
	copy(img[2*SectorSize:34*SectorSize], entries)
	copy(img[(fuzzSectors-33)*SectorSize:(fuzzSectors-1)*SectorSize], entries)
	copy(img[(fuzzSectors-1)*SectorSize:], backupHdr)
	return img
}

// fuzzSeeds are the committed corpus: a good table; the same with the
// primary or both headers broken; entry arrays of 128 entries, with an
// inverted entry, with one running past the disk, and with a CRC that does
// not match; and no backup header at all.
func fuzzSeeds(t testing.TB) map[string][3][]byte {
	l := Layout{Sectors: fuzzSectors, ESP: Extent{34, 10}, Boot: Extent{44, 2}, Root: Extent{46, 10}, Reserved: Extent{60, 7}}
	table := func(mod func(g *GPT)) (hdr, entries, backup []byte) {
		img := make(memImage, fuzzSectors*SectorSize)
		g := NewGPT(l, &countingRand{})
		mod(g)
		writeUnchecked(t, img, g, fuzzSectors)
		trim := func(b []byte) []byte { return bytes.TrimRight(b, "\x00") }
		return trim(img[SectorSize : 2*SectorSize]), trim(img[2*SectorSize : 34*SectorSize]), trim(img[(fuzzSectors-1)*SectorSize:])
	}
	hdr, entries, backup := table(func(*GPT) {})
	badHdr := bytes.Clone(hdr)
	badHdr[0] = 'e'
	badBackup := bytes.Clone(backup)
	badBackup[16] ^= 1
	seeds := map[string][3][]byte{
		"good":           {hdr, entries, backup},
		"primary-broken": {badHdr, entries, backup},
		"both-broken":    {badHdr, entries, badBackup},
		"empty":          {nil, nil, nil},
		"backup-missing": {hdr, entries, nil},
	}
	badCRC := bytes.Clone(entries)
	badCRC[2*EntrySize+32] ^= 1 // root's StartingLBA, CRC left as it was
	seeds["entries-bad-crc"] = [3][]byte{hdr, badCRC, backup}
	for name, mod := range map[string]func(g *GPT){
		"entries-128":       func(g *GPT) { g.Entries = append(g.Entries, make([]Entry, 128-NumEntries)...) },
		"entry-inverted":    func(g *GPT) { g.Entries[IndexRoot].EndingLBA = g.Entries[IndexRoot].StartingLBA - 1 },
		"entry-overflowing": func(g *GPT) { g.Entries[IndexRoot].EndingLBA = ^uint64(0) },
	} {
		h, e, b := table(mod)
		seeds[name] = [3][]byte{h, e, b}
	}
	return seeds
}

func FuzzReadGPT(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, hdr, entries, backupHdr []byte) {
		g, err := ReadGPT(fuzzImage(hdr, entries, backupHdr), fuzzSectors)
		if err != nil {
			if g != nil {
				t.Fatalf("ReadGPT returned a table with error %v", err)
			}
			return
		}
		if g.Header.MyLBA != 1 && g.Header.MyLBA != fuzzSectors-1 {
			t.Errorf("ReadGPT accepted a header at lba %d", g.Header.MyLBA)
		}
		if g.PrimaryErr != nil && g.BackupErr != nil {
			t.Errorf("ReadGPT found both tables bad and returned one: %v; %v", g.PrimaryErr, g.BackupErr)
		}
		if len(g.Entries) != int(g.Header.NumberOfPartitionEntries) {
			t.Errorf("ReadGPT read %d entries, the header says %d", len(g.Entries), g.Header.NumberOfPartitionEntries)
		}
		if got := crc32.ChecksumIEEE(g.encodeEntries()); got != g.Header.PartitionEntryArrayCRC32 {
			t.Errorf("entries read back encode to crc 0x%08x, header says 0x%08x", got, g.Header.PartitionEntryArrayCRC32)
		}
		bad := 0
		for i, e := range g.Entries {
			_ = e.Name()
			x, err := g.Partition(i)
			if err != nil {
				if e.Used() {
					bad++
				}
				continue
			}
			// Whatever the entry says, a partition handed out lies inside
			// the disk and has a size a reader can use.
			if x.Size == 0 || x.Start < g.Header.FirstUsableLBA || x.End() > g.Header.LastUsableLBA || x.End() >= fuzzSectors {
				t.Errorf("Partition(%d) = %+v, outside usable lbas %d..%d", i, x, g.Header.FirstUsableLBA, g.Header.LastUsableLBA)
			}
		}
		if got := len(g.CheckEntries()); got != bad {
			t.Errorf("CheckEntries() reports %d entries, Partition refuses %d used ones", got, bad)
		}
		if l, err := g.Layout(); err == nil && (l.Root.Size == 0 || l.Root.End() >= fuzzSectors) {
			t.Errorf("Layout() = %+v, a root outside the disk", l)
		}
	})
}

// TestFuzzSeedsCommitted keeps testdata/fuzz/FuzzReadGPT in step with
// fuzzSeeds; CNTOOLS_UPDATE=1 rewrites it.
func TestFuzzSeedsCommitted(t *testing.T) {
	files := map[string]string{}
	for name, s := range fuzzSeeds(t) {
		files[name] = fuzzcorpus.Encode(s[0], s[1], s[2])
	}
	fuzzcorpus.Check(t, "FuzzReadGPT", files)
}
