package node

import (
	"fmt"
	"strconv"
	"strings"
)

// Mount is one entry of /etc/mnttab.
type Mount struct {
	Special    string   // the device, dataset or directory mounted, e.g. "/dev/dsk/c1t0d0s2", "zones/var"
	MountPoint string   // e.g. "/mnt/usbkey"
	FSType     string   // e.g. "pcfs", "zfs", "lofs"
	Options    []string // comma-separated options, e.g. ["rw", "foldcase"]
	Time       int64    // mount time, seconds since the epoch
}

// Option reports whether the mount has option name, and its value for
// name=value options.
func (m Mount) Option(name string) (value string, ok bool) {
	for _, o := range m.Options {
		k, v, _ := strings.Cut(o, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// ParseMnttab parses mnttab(5): five tab-separated fields, special,
// mount point, fstype, options, time. Like sdc-usbkey, it rejects any other
// line rather than skip it.
func ParseMnttab(b []byte) ([]Mount, error) {
	var mounts []Mount
	for i, line := range lines(b) {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("mnttab line %d: %d fields, want 5 (special mount_point fstype options time): %q", i+1, len(f), line)
		}
		if f[0] == "" || f[1] == "" || f[2] == "" {
			return nil, fmt.Errorf("mnttab line %d: empty special, mount point or fstype: %q", i+1, line)
		}
		t, err := strconv.ParseInt(f[4], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("mnttab line %d: %s: invalid time %q", i+1, f[1], f[4])
		}
		m := Mount{Special: f[0], MountPoint: f[1], FSType: f[2], Time: t}
		if f[3] != "" {
			m.Options = strings.Split(f[3], ",")
		}
		mounts = append(mounts, m)
	}
	return mounts, nil
}
