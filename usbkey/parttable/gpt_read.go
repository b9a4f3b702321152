package parttable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// maxEntries bounds the entry array ReadGPT reads and checks: 1 MiB. The
// UEFI minimum is 16 KiB (128 entries), libefi writes 9, and the loader
// reads at most 64 sectors of them (illumos-joyent
// usr/src/boot/sys/boot/common/part.c:52 MAXTBLSZ); a header claiming more
// is damage, not a table to allocate for.
const maxEntries = 8192

// ReadGPT reads and validates the primary GPT of a disk of capacitySectors
// sectors: signature, header size and CRC, revision, its own LBA, 128-byte
// entries of any count, the bounds, and the entry array CRC. When the
// primary is good it reads the backup where the primary says it is, as the
// loader does, and records in GPT.BackupErr a backup that is missing,
// damaged or not a copy of the primary. When the primary is bad it reads
// the backup at the last sector, or where the primary says the backup is
// (an image dd'd onto a larger stick keeps it there), and records why in
// GPT.PrimaryErr. It fails only when neither table is good, naming both
// problems.
//
// It does not judge the entries: CheckEntries and Partition do.
func ReadGPT(r io.ReaderAt, capacitySectors uint64) (*GPT, error) {
	if capacitySectors < FirstUsableLBA+1+gptArraySectors+1 {
		return nil, fmt.Errorf("disk of %d sectors is too small to hold a gpt", capacitySectors)
	}
	g, claimed, primaryErr := readTable(r, capacitySectors, 1)
	if primaryErr == nil {
		g.BackupErr = checkBackup(r, capacitySectors, g.Header)
		return g, nil
	}
	primaryErr = fmt.Errorf("primary gpt at lba 1: %w", primaryErr)
	lbas := []uint64{capacitySectors - 1}
	if alt := claimed.AlternateLBA; alt > 1 && alt < capacitySectors-1 {
		lbas = append(lbas, alt)
	}
	var backupErrs []error
	for _, lba := range lbas {
		g, _, err := readTable(r, capacitySectors, lba)
		if err == nil {
			g.PrimaryErr = primaryErr
			return g, nil
		}
		backupErrs = append(backupErrs, fmt.Errorf("backup gpt at lba %d: %w", lba, err))
	}
	return nil, fmt.Errorf("%w; %w", primaryErr, errors.Join(backupErrs...))
}

// checkBackup reads the backup table where the good primary p says it is
// (p.AlternateLBA: the loader looks there, part.c:295) and says what is
// wrong with it, or nil. The fields compared are the ones the loader
// compares before it trusts either copy (part.c:309-317).
func checkBackup(r io.ReaderAt, capacity uint64, p Header) error {
	alt := p.AlternateLBA
	if alt >= capacity {
		return fmt.Errorf("backup gpt at lba %d is past the end of the %d-sector disk: the image or device is shorter than the table was written for", alt, capacity)
	}
	if alt <= 1 {
		return fmt.Errorf("primary gpt names lba %d for the backup: no backup gpt", alt)
	}
	g, _, err := readTable(r, capacity, alt)
	if err != nil {
		return fmt.Errorf("backup gpt at lba %d: %w", alt, err)
	}
	b := g.Header
	switch {
	case b.AlternateLBA != 1:
		return fmt.Errorf("backup gpt at lba %d names lba %d for the primary, not 1", alt, b.AlternateLBA)
	case b.DiskGUID != p.DiskGUID, b.Revision != p.Revision, b.HeaderSize != p.HeaderSize,
		b.FirstUsableLBA != p.FirstUsableLBA, b.LastUsableLBA != p.LastUsableLBA,
		b.NumberOfPartitionEntries != p.NumberOfPartitionEntries, b.SizeOfPartitionEntry != p.SizeOfPartitionEntry,
		b.PartitionEntryArrayCRC32 != p.PartitionEntryArrayCRC32:
		return fmt.Errorf("backup gpt at lba %d differs from the primary (disk guid, usable lbas, or entries): the loader would prefer it", alt)
	}
	return nil
}

// readTable reads the header at lba and the entry array it points to. It
// also returns the header as decoded, valid or not, so that the caller can
// try the backup location a damaged primary still names.
func readTable(r io.ReaderAt, capacity, lba uint64) (*GPT, Header, error) {
	var h Header
	sector := make([]byte, SectorSize)
	if err := readFull(r, sector, lba); err != nil {
		return nil, h, fmt.Errorf("read header: %w", err)
	}
	if _, err := binary.Decode(sector, binary.LittleEndian, &h); err != nil {
		return nil, h, fmt.Errorf("BUG: decode header: %w", err)
	}
	if err := h.validate(sector, capacity, lba); err != nil {
		return nil, h, err
	}
	array := make([]byte, int(h.NumberOfPartitionEntries)*EntrySize)
	if err := readFull(r, array, h.PartitionEntryLBA); err != nil {
		return nil, h, fmt.Errorf("read partition entry array at lba %d: %w", h.PartitionEntryLBA, err)
	}
	if got := crc32.ChecksumIEEE(array); got != h.PartitionEntryArrayCRC32 {
		return nil, h, fmt.Errorf("partition entry array crc32 0x%08x does not match the header's 0x%08x", got, h.PartitionEntryArrayCRC32)
	}
	g := &GPT{DiskGUID: h.DiskGUID, Header: h, Entries: make([]Entry, h.NumberOfPartitionEntries)}
	if _, err := binary.Decode(array, binary.LittleEndian, g.Entries); err != nil {
		return nil, h, fmt.Errorf("BUG: decode partition entries: %w", err)
	}
	return g, h, nil
}

// validate checks a header read from lba on a disk of capacity sectors.
// sector is the whole header sector, since the CRC may cover more than the
// 92 bytes libefi uses. The checks are the loader's gpt_checkhdr
// (part.c:175-225) and the kernel's cmlb_validate_efi (illumos-joyent
// usr/src/uts/common/io/cmlb.c:2747-2759), plus the bounds that keep every
// read inside the disk.
func (h Header) validate(sector []byte, capacity, lba uint64) error {
	if h.Signature != Signature {
		return fmt.Errorf("no %q signature", Signature[:])
	}
	if h.HeaderSize < HeaderSize || h.HeaderSize > SectorSize {
		return fmt.Errorf("header size %d is outside %d..%d", h.HeaderSize, HeaderSize, SectorSize)
	}
	b := append([]byte(nil), sector[:h.HeaderSize]...)
	clear(b[16:20]) // HeaderCRC32
	if got := crc32.ChecksumIEEE(b); got != h.HeaderCRC32 {
		return fmt.Errorf("header crc32 0x%08x does not match the stored 0x%08x", got, h.HeaderCRC32)
	}
	if h.Revision < Revision {
		return fmt.Errorf("revision 0x%08x is older than 1.0: the loader refuses it", h.Revision)
	}
	if h.MyLBA != lba {
		return fmt.Errorf("header says it is at lba %d", h.MyLBA)
	}
	if h.AlternateLBA == h.MyLBA {
		return fmt.Errorf("header names its own lba %d for the other copy", h.MyLBA)
	}
	// cmlb makes the /dev/dsk/...sN slices sdc-usbkey mounts only from
	// 128-byte entries (cmlb.c:2756); the count may be anything the loader
	// takes, one or more (part.c:213).
	if h.SizeOfPartitionEntry != EntrySize {
		return fmt.Errorf("partition entries of %d bytes, want %d: illumos makes no slices from them", h.SizeOfPartitionEntry, EntrySize)
	}
	if h.NumberOfPartitionEntries == 0 || h.NumberOfPartitionEntries > maxEntries {
		return fmt.Errorf("%d partition entries: want 1 to %d", h.NumberOfPartitionEntries, maxEntries)
	}
	arraySectors := (uint64(h.NumberOfPartitionEntries)*EntrySize + SectorSize - 1) / SectorSize
	if h.PartitionEntryLBA < 2 || h.PartitionEntryLBA > capacity-arraySectors {
		return fmt.Errorf("partition entry array at lba %d (%d sectors) is outside the %d-sector disk", h.PartitionEntryLBA, arraySectors, capacity)
	}
	if h.FirstUsableLBA > h.LastUsableLBA || h.LastUsableLBA >= capacity {
		return fmt.Errorf("usable lbas %d..%d are outside the %d-sector disk", h.FirstUsableLBA, h.LastUsableLBA, capacity)
	}
	return nil
}

// CheckEntries says what is wrong with each used entry: one that ends
// before it starts, or lies outside the header's usable LBAs. The loader
// skips such an entry as if it were not there (part.c:355-359); libefi and
// cmlb would hand out its nonsense size (cmlb.c:2930).
func (g *GPT) CheckEntries() []error {
	var errs []error
	for i := range g.Entries {
		if _, err := g.Partition(i); err != nil && g.Entries[i].Used() {
			errs = append(errs, err)
		}
	}
	return errs
}

// Partition returns the sectors of entry i, refusing an entry the table
// does not have, an unused one, and one CheckEntries reports.
func (g *GPT) Partition(i int) (Extent, error) {
	if i < 0 || i >= len(g.Entries) {
		return Extent{}, fmt.Errorf("gpt has %d entries, no entry %d", len(g.Entries), i)
	}
	e := g.Entries[i]
	name := ""
	if n := e.Name(); n != "" {
		name = fmt.Sprintf(" (%s)", n)
	}
	switch {
	case !e.Used():
		return Extent{}, fmt.Errorf("gpt entry %d is unused", i)
	case e.EndingLBA < e.StartingLBA:
		return Extent{}, fmt.Errorf("gpt entry %d%s ends at lba %d, before it starts at lba %d", i, name, e.EndingLBA, e.StartingLBA)
	case e.StartingLBA < g.Header.FirstUsableLBA || e.EndingLBA > g.Header.LastUsableLBA:
		return Extent{}, fmt.Errorf("gpt entry %d%s covers lbas %d..%d, outside the usable lbas %d..%d",
			i, name, e.StartingLBA, e.EndingLBA, g.Header.FirstUsableLBA, g.Header.LastUsableLBA)
	}
	return e.Extent(), nil
}

// Layout returns the v2 layout the table describes, refusing a table whose
// entries 0, 1, 2 and 8 are missing, do not have the v2 types, or are
// damaged. Sectors is the capacity the table was written for, which is
// less than the disk's when an image was copied onto a larger stick.
func (g *GPT) Layout() (Layout, error) {
	l := Layout{Sectors: g.Header.LastUsableLBA + 1 + gptArraySectors + 1}
	want := Layout{}.partitions()
	exts := []*Extent{&l.ESP, &l.Boot, &l.Root, &l.Reserved}
	for i, p := range want {
		if p.index >= len(g.Entries) || g.Entries[p.index].PartitionTypeGUID != p.typ {
			typ := "no entry"
			if p.index < len(g.Entries) {
				typ = "type " + g.Entries[p.index].PartitionTypeGUID.String()
			}
			return Layout{}, fmt.Errorf("gpt entry %d has %s, want %s (%s): not a v2 usb key", p.index, typ, p.typ, p.name)
		}
		x, err := g.Partition(p.index)
		if err != nil {
			return Layout{}, err
		}
		*exts[i] = x
	}
	return l, nil
}

// readFull reads len(b) bytes at lba. A ReaderAt may return io.EOF with a
// full buffer at the end of a disk; only a short read is an error.
func readFull(r io.ReaderAt, b []byte, lba uint64) error {
	n, err := r.ReadAt(b, int64(lba)*SectorSize)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
