package device

// OpenSectorOnly opens the image at path as OpenAligned does, but under its
// sector I/O the file refuses anything that is not whole 512-byte sectors, as
// an illumos raw disk does; calls counts what reached the file. It lets
// device_test run the key writers against a sector-only disk.
func OpenSectorOnly(path string) (t *Target, calls func() int, err error) {
	t, err = OpenAligned(path, false)
	if err != nil {
		return nil, nil, err
	}
	d := &strictDisk{rw: t.f, sector: AlignedSectorSize}
	t.rw, err = newSectorIO(d, AlignedSectorSize, t.Size)
	if err != nil {
		t.Close()
		return nil, nil, err
	}
	return t, func() int { return len(d.calls) }, nil
}
