package node

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Disk is one line of diskinfo -Hp.
type Disk struct {
	Type      string `json:"type"`       // TYPE, e.g. "USB", "SCSI"
	Name      string `json:"name"`       // DISK, the cXtYdZ name, e.g. "c1t0d0"
	Vendor    string `json:"vendor"`     // VID
	Product   string `json:"product"`    // PID
	Size      int64  `json:"size_bytes"` // SIZE in bytes (-p)
	Removable bool   `json:"removable"`  // RMV
	SSD       bool   `json:"ssd"`        // SSD
}

// RawPath returns the character device of the whole disk: on x86 that is
// fdisk partition 0, which spans the disk whatever its label.
func (d Disk) RawPath() string { return "/dev/rdsk/" + d.Name + "p0" }

// Paths returns the device names that denote the whole disk: with no suffix
// (what zpool shows for a whole-disk EFI vdev) and p0, each as dsk and rdsk.
func (d Disk) Paths() []string {
	return []string{
		"/dev/dsk/" + d.Name,
		"/dev/rdsk/" + d.Name,
		"/dev/dsk/" + d.Name + "p0",
		d.RawPath(),
	}
}

// ParseDiskinfo parses the output of diskinfo -Hp: one disk per line, seven
// tab-separated fields TYPE DISK VID PID SIZE RMV SSD, RMV and SSD "yes" or
// "no". Like sdc-usbkey, it rejects any other line rather than skip it.
func ParseDiskinfo(b []byte) ([]Disk, error) {
	var disks []Disk
	for i, line := range lines(b) {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			return nil, fmt.Errorf("diskinfo line %d: %d fields, want 7 (TYPE DISK VID PID SIZE RMV SSD): %q", i+1, len(f), line)
		}
		d := Disk{Type: f[0], Name: f[1], Vendor: f[2], Product: f[3]}
		if d.Name == "" || strings.ContainsAny(d.Name, " /") {
			return nil, fmt.Errorf("diskinfo line %d: invalid disk name %q", i+1, d.Name)
		}
		size, err := strconv.ParseInt(f[4], 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("diskinfo line %d: disk %s: invalid size %q (diskinfo -p prints bytes)", i+1, d.Name, f[4])
		}
		d.Size = size
		if d.Removable, err = yesNo(f[5]); err != nil {
			return nil, fmt.Errorf("diskinfo line %d: disk %s: removable: %w", i+1, d.Name, err)
		}
		if d.SSD, err = yesNo(f[6]); err != nil {
			return nil, fmt.Errorf("diskinfo line %d: disk %s: ssd: %w", i+1, d.Name, err)
		}
		disks = append(disks, d)
	}
	return disks, nil
}

func yesNo(s string) (bool, error) {
	switch s {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither yes nor no", s)
}

// lines splits command output into lines without the final newline.
func lines(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte("\n"))
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\n")
}
