package parttable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ReadGPT reads and validates the primary GPT of a disk of capacitySectors
// sectors: signature, header size and CRC, its own LBA, the 9x128 entry
// geometry, the bounds, and the entry array CRC. When the primary is bad it
// reads the backup at the last sector, or where the primary says the backup
// is (an image dd'd onto a larger stick keeps it there), and records why in
// GPT.PrimaryErr. It fails only when neither table is good, naming both
// problems.
func ReadGPT(r io.ReaderAt, capacitySectors uint64) (*GPT, error) {
	if capacitySectors < FirstUsableLBA+1+gptArraySectors+1 {
		return nil, fmt.Errorf("disk of %d sectors is too small to hold a gpt", capacitySectors)
	}
	g, claimed, primaryErr := readTable(r, capacitySectors, 1)
	if primaryErr == nil {
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
	array := make([]byte, NumEntries*EntrySize)
	if err := readFull(r, array, h.PartitionEntryLBA); err != nil {
		return nil, h, fmt.Errorf("read partition entry array at lba %d: %w", h.PartitionEntryLBA, err)
	}
	if got := crc32.ChecksumIEEE(array); got != h.PartitionEntryArrayCRC32 {
		return nil, h, fmt.Errorf("partition entry array crc32 0x%08x does not match the header's 0x%08x", got, h.PartitionEntryArrayCRC32)
	}
	g := &GPT{DiskGUID: h.DiskGUID, Header: h}
	if _, err := binary.Decode(array, binary.LittleEndian, &g.Entries); err != nil {
		return nil, h, fmt.Errorf("BUG: decode partition entries: %w", err)
	}
	return g, h, nil
}

// validate checks a header read from lba on a disk of capacity sectors.
// sector is the whole header sector, since the CRC may cover more than the
// 92 bytes libefi uses.
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
	if h.MyLBA != lba {
		return fmt.Errorf("header says it is at lba %d", h.MyLBA)
	}
	if h.NumberOfPartitionEntries != NumEntries || h.SizeOfPartitionEntry != EntrySize {
		return fmt.Errorf("%d partition entries of %d bytes, want %d of %d as libefi writes: not a v2 usb key table",
			h.NumberOfPartitionEntries, h.SizeOfPartitionEntry, NumEntries, EntrySize)
	}
	arraySectors := uint64(NumEntries*EntrySize+SectorSize-1) / SectorSize
	if h.PartitionEntryLBA < 2 || h.PartitionEntryLBA > capacity-arraySectors {
		return fmt.Errorf("partition entry array at lba %d is outside the %d-sector disk", h.PartitionEntryLBA, capacity)
	}
	if h.FirstUsableLBA > h.LastUsableLBA || h.LastUsableLBA >= capacity {
		return fmt.Errorf("usable lbas %d..%d are outside the %d-sector disk", h.FirstUsableLBA, h.LastUsableLBA, capacity)
	}
	return nil
}

// Layout returns the v2 layout the table describes, refusing a table whose
// entries 0, 1, 2 and 8 do not have the v2 types. Sectors is the capacity
// the table was written for, which is less than the disk's when an image
// was copied onto a larger stick.
func (g *GPT) Layout() (Layout, error) {
	l := Layout{Sectors: g.Header.LastUsableLBA + 1 + gptArraySectors + 1}
	want := Layout{}.partitions()
	exts := []*Extent{&l.ESP, &l.Boot, &l.Root, &l.Reserved}
	for i, p := range want {
		e := g.Entries[p.index]
		if e.PartitionTypeGUID != p.typ {
			return Layout{}, fmt.Errorf("gpt entry %d has type %s, want %s (%s): not a v2 usb key", p.index, e.PartitionTypeGUID, p.typ, p.name)
		}
		*exts[i] = e.Extent()
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
