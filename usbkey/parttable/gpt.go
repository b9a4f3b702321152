package parttable

import (
	"bytes"
	cryptorand "crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

// GPT geometry as libefi writes it for 512-byte sectors.
const (
	// NumEntries is EFI_NUMPAR: libefi writes 9 entries, not 128.
	NumEntries = 9
	// EntrySize is sizeof(efi_gpe_t).
	EntrySize = 128
	// HeaderSize is EFI_HEADER_SIZE, offsetof(efi_gpt_t, efi_gpt_Reserved2);
	// illumos-joyent changed it from 512 because AMI firmware rejects that.
	HeaderSize = 92
	// Revision is EFI_VERSION_CURRENT, 1.0 (00 00 01 00 on disk).
	Revision = 0x00010000
	// FirstUsableLBA is efi_first_u_lba: MBR, header, 32-sector array.
	FirstUsableLBA = 2 + gptArraySectors
	// primaryEntryLBA is where libefi puts the primary entry array.
	primaryEntryLBA = 2
	// gptArraySectors is the entry array area: 9 entries need 3 sectors,
	// but libefi reserves EFI_MIN_ARRAY_SIZE (16 KiB) like everyone else.
	gptArraySectors = 16384 / SectorSize
)

// Signature is the GPT header signature.
var Signature = [8]byte{'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'}

// Header is the on-disk GPT header (efi_gpt_t up to Reserved2; UEFI 2.x
// "GPT Header"). The rest of its sector is zero.
type Header struct {
	Signature                [8]byte // "EFI PART"
	Revision                 uint32  // 0x00010000
	HeaderSize               uint32  // 92
	HeaderCRC32              uint32  // CRC32 of HeaderSize bytes with this field zero
	Reserved1                uint32  // zero
	MyLBA                    uint64  // LBA of this header: 1, or cap-1 for the backup
	AlternateLBA             uint64  // LBA of the other header
	FirstUsableLBA           uint64  // 34
	LastUsableLBA            uint64  // cap-34
	DiskGUID                 GUID    // random
	PartitionEntryLBA        uint64  // 2, or cap-33 for the backup
	NumberOfPartitionEntries uint32  // 9
	SizeOfPartitionEntry     uint32  // 128
	PartitionEntryArrayCRC32 uint32  // CRC32 of NumberOfPartitionEntries*SizeOfPartitionEntry bytes
}

// Entry is one on-disk GPT partition entry (efi_gpe_t).
type Entry struct {
	PartitionTypeGUID   GUID       // zero for an unused entry
	UniquePartitionGUID GUID       // random; zero for an unused entry
	StartingLBA         uint64     // first LBA; 0 for an unused entry
	EndingLBA           uint64     // last LBA; libefi writes 0xFFFFFFFFFFFFFFFF (0+0-1) for an unused entry
	Attributes          uint64     // zero (p_flag)
	PartitionName       [36]uint16 // UTF-16LE, zero padded
}

// Name returns the partition name up to its first NUL.
func (e Entry) Name() string {
	n := 0
	for n < len(e.PartitionName) && e.PartitionName[n] != 0 {
		n++
	}
	return string(utf16.Decode(e.PartitionName[:n]))
}

// Used reports whether the entry describes a partition: readers go by the
// type GUID, since libefi's unused entries have a nonsense EndingLBA.
func (e Entry) Used() bool { return !e.PartitionTypeGUID.IsZero() }

// Extent returns the sectors a used entry covers.
func (e Entry) Extent() Extent {
	return Extent{Start: e.StartingLBA, Size: e.EndingLBA - e.StartingLBA + 1}
}

// GPT is a GUID partition table: the 9 entries libefi writes, or as many
// as the header of a table ReadGPT read says.
type GPT struct {
	DiskGUID GUID
	Entries  []Entry
	// Header is the header ReadGPT validated (the backup's when PrimaryErr
	// is set). Write ignores it and derives the headers from the capacity.
	Header Header
	// PrimaryErr says why ReadGPT fell back to the backup table; nil when
	// the primary was good.
	PrimaryErr error
	// BackupErr says what is wrong with the backup table when ReadGPT used
	// the primary: missing (past the end of the disk), damaged, or not a
	// copy of the primary. nil when the backup is good.
	BackupErr error
}

// NewGPT builds the table format_image writes for l: entries 0, 1, 2 and 8
// used, 3..7 unused with libefi's EndingLBA quirk, random disk and
// partition GUIDs from rand (nil means crypto/rand). Tests pass a fixed
// reader. A reader that runs dry panics: crypto/rand cannot fail.
func NewGPT(l Layout, rand io.Reader) *GPT {
	if rand == nil {
		rand = cryptorand.Reader
	}
	next := func() GUID {
		g, err := randomGUID(rand)
		if err != nil {
			panic("BUG: parttable.NewGPT: " + err.Error())
		}
		return g
	}
	g := &GPT{DiskGUID: next(), Entries: make([]Entry, NumEntries)}
	for i := range g.Entries {
		// set_part never runs for these: p_start 0, p_size 0, and
		// efi_write stores p_start+p_size-1.
		g.Entries[i] = Entry{EndingLBA: ^uint64(0)}
	}
	for _, p := range l.partitions() {
		e := Entry{
			PartitionTypeGUID:   p.typ,
			UniquePartitionGUID: next(),
			StartingLBA:         p.ext.Start,
			EndingLBA:           p.ext.End(),
		}
		copy(e.PartitionName[:], utf16.Encode([]rune(p.name)))
		g.Entries[p.index] = e
	}
	return g
}

// header returns the primary or backup header for a disk of capacity
// sectors, CRCs filled in. entries is the encoded entry array.
func (g *GPT) header(capacity uint64, entries []byte, primary bool) Header {
	h := Header{
		Signature:                Signature,
		Revision:                 Revision,
		HeaderSize:               HeaderSize,
		MyLBA:                    1,
		AlternateLBA:             capacity - 1,
		FirstUsableLBA:           FirstUsableLBA,
		LastUsableLBA:            lastUsableLBA(capacity),
		DiskGUID:                 g.DiskGUID,
		PartitionEntryLBA:        primaryEntryLBA,
		NumberOfPartitionEntries: uint32(len(g.Entries)),
		SizeOfPartitionEntry:     EntrySize,
		PartitionEntryArrayCRC32: crc32.ChecksumIEEE(entries),
	}
	if !primary {
		h.MyLBA, h.AlternateLBA = capacity-1, 1
		h.PartitionEntryLBA = lastUsableLBA(capacity) + 1
	}
	h.HeaderCRC32 = h.crc()
	return h
}

// crc computes the header CRC32 over HeaderSize bytes with the CRC field
// zero. A HeaderSize beyond the struct counts the zero tail of the sector.
func (h Header) crc() uint32 {
	h.HeaderCRC32 = 0
	b := make([]byte, SectorSize)
	if _, err := binary.Encode(b, binary.LittleEndian, h); err != nil {
		panic("BUG: encode gpt header: " + err.Error())
	}
	n := min(int(h.HeaderSize), SectorSize)
	return crc32.ChecksumIEEE(b[:n])
}

// encodeEntries returns the entry array, 128 bytes an entry.
func (g *GPT) encodeEntries() []byte {
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, g.Entries); err != nil {
		panic("BUG: encode gpt entries: " + err.Error())
	}
	return buf.Bytes()
}

// check refuses entries libefi's check_input would refuse, so that we
// never write a table illumos cannot read back.
func (g *GPT) check(capacity uint64) error {
	if capacity < FirstUsableLBA+1+gptArraySectors+1 {
		return fmt.Errorf("disk of %d sectors has no room for a gpt", capacity)
	}
	if n := len(g.Entries); n == 0 || n*EntrySize > gptArraySectors*SectorSize {
		return fmt.Errorf("BUG: %d gpt entries: the %d-sector array area holds 1 to %d", n, gptArraySectors, gptArraySectors*SectorSize/EntrySize)
	}
	first, last := uint64(FirstUsableLBA), lastUsableLBA(capacity)
	for i, e := range g.Entries {
		if !e.Used() {
			continue
		}
		if e.EndingLBA < e.StartingLBA {
			return fmt.Errorf("gpt entry %d: ends at %d, before its start %d", i, e.EndingLBA, e.StartingLBA)
		}
		if e.StartingLBA < first || e.EndingLBA > last {
			return fmt.Errorf("gpt entry %d: [%d, %d] is outside the usable lbas [%d, %d]", i, e.StartingLBA, e.EndingLBA, first, last)
		}
		for j := i + 1; j < len(g.Entries); j++ {
			o := g.Entries[j]
			if o.Used() && e.StartingLBA <= o.EndingLBA && o.StartingLBA <= e.EndingLBA {
				return fmt.Errorf("gpt entry %d: [%d, %d] overlaps with entry %d [%d, %d]", i, e.StartingLBA, e.EndingLBA, j, o.StartingLBA, o.EndingLBA)
			}
		}
	}
	return nil
}

// Write writes the GPT as libefi's efi_write does, in its order: the
// primary header at LBA 1 with the zero-filled 32-sector entry area after
// it, the backup entry area at cap-33, the backup header at cap-1. It
// leaves sector 0 alone (see PatchMBR).
func (g *GPT) Write(w io.WriterAt, capacitySectors uint64) error {
	if err := g.check(capacitySectors); err != nil {
		return fmt.Errorf("write gpt: %w", err)
	}
	entries := g.encodeEntries()

	// One buffer of header sector + array area, as efi_write's dk_ioc.
	primary := make([]byte, (1+gptArraySectors)*SectorSize)
	if _, err := binary.Encode(primary, binary.LittleEndian, g.header(capacitySectors, entries, true)); err != nil {
		return fmt.Errorf("BUG: encode primary gpt header: %w", err)
	}
	copy(primary[SectorSize:], entries)
	if _, err := w.WriteAt(primary, 1*SectorSize); err != nil {
		return fmt.Errorf("write primary gpt: %w", err)
	}
	if _, err := w.WriteAt(primary[SectorSize:], int64(lastUsableLBA(capacitySectors)+1)*SectorSize); err != nil {
		return fmt.Errorf("write backup gpt entries: %w", err)
	}
	backup := make([]byte, SectorSize)
	if _, err := binary.Encode(backup, binary.LittleEndian, g.header(capacitySectors, entries, false)); err != nil {
		return fmt.Errorf("BUG: encode backup gpt header: %w", err)
	}
	if _, err := w.WriteAt(backup, int64(capacitySectors-1)*SectorSize); err != nil {
		return fmt.Errorf("write backup gpt header: %w", err)
	}
	return nil
}
