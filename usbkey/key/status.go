package key

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"cntools/internal/node"
	"cntools/usbkey/device"
	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
	"cntools/usbkey/parttable"
)

// Kinds of thing Inspect finds.
const (
	KindV1        = "v1-grub"
	KindV2        = "v2-loader"
	KindDirectory = "directory"
	KindNotAKey   = "not-a-key"
)

// MarkerFile is the regular file whose presence in the key's root makes
// Triton accept a key (sdc-usbkey, fs-joyent, usb-key.sh).
const MarkerFile = ".joyliveusb"

// Partition is one entry of a key's partition table.
type Partition struct {
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"`
	Type  string `json:"type"`
	Start int64  `json:"start_bytes"`
	Size  int64  `json:"size_bytes"`
}

// Status is what usbkey-status reports.
type Status struct {
	Type            string      `json:"type"` // "usbkey-status"
	Path            string      `json:"path"`
	Kind            string      `json:"kind"`
	Version         int         `json:"version"` // 1, 2, or 0 when not a key; sdc-usbkey's integer
	Size            int64       `json:"size_bytes"`
	PartitionTable  string      `json:"partition_table,omitempty"` // "gpt" or "mbr"
	Partitions      []Partition `json:"partitions,omitempty"`
	RootFS          string      `json:"root_fs,omitempty"` // "fat32"
	RootLabel       string      `json:"root_label,omitempty"`
	Marker          bool        `json:"marker"`
	Platforms       []string    `json:"platforms"`
	DefaultPlatform string      `json:"default_platform,omitempty"`
	FreeBytes       int64       `json:"free_bytes"`
	TotalBytes      int64       `json:"total_bytes"`
	Problems        []string    `json:"problems,omitempty"`
}

// Inspect reads a key device or image of size bytes, and checks its root
// filesystem whole (fat32.Check).
func Inspect(d io.ReaderAt, path string, size int64) (*Status, error) {
	return inspect(d, path, size, true)
}

// inspect is Inspect; fsck false leaves out the whole-FAT check, for a
// caller that only asks whether a disk holds a key (every disk of a node,
// in a conversion's preflight).
func inspect(d io.ReaderAt, path string, size int64, fsck bool) (*Status, error) {
	st := &Status{Type: "usbkey-status", Path: path, Kind: KindNotAKey, Size: size, Platforms: []string{}}
	s0 := make([]byte, parttable.SectorSize)
	if _, err := d.ReadAt(s0, 0); err != nil {
		if errors.Is(err, io.EOF) {
			st.Problems = append(st.Problems, "shorter than one sector")
			return st, nil
		}
		return nil, fmt.Errorf("%s: read sector 0: %w", path, err)
	}
	v, err := parttable.KeyVersion(s0)
	if err != nil {
		st.Problems = append(st.Problems, err.Error())
		return st, nil
	}
	var rootOff, rootSize int64
	switch v {
	case 1:
		st.Kind, st.Version, st.PartitionTable = KindV1, 1, "mbr"
		m, err := parttable.ReadMBR(s0)
		if err != nil {
			st.Problems = append(st.Problems, err.Error())
			return st, nil
		}
		for i, p := range m.Partitions {
			if p.Type == 0 {
				continue
			}
			if end := uint64(p.FirstLBA) + uint64(p.Sectors); end*parttable.SectorSize > uint64(size) {
				st.Problems = append(st.Problems, fmt.Sprintf("mbr partition %d ends at sector %d, past the disk's %d", i+1, end, size/parttable.SectorSize))
				continue
			}
			st.Partitions = append(st.Partitions, Partition{Index: i + 1, Type: fmt.Sprintf("0x%02x", p.Type),
				Start: int64(p.FirstLBA) * parttable.SectorSize, Size: int64(p.Sectors) * parttable.SectorSize})
			if rootSize == 0 {
				rootOff, rootSize = int64(p.FirstLBA)*parttable.SectorSize, int64(p.Sectors)*parttable.SectorSize
			}
		}
	case 2:
		st.Kind, st.Version, st.PartitionTable = KindV2, 2, "gpt"
		g, err := parttable.ReadGPT(d, uint64(size/parttable.SectorSize))
		if err != nil {
			st.Problems = append(st.Problems, err.Error())
			return st, nil
		}
		if g.PrimaryErr != nil {
			st.Problems = append(st.Problems, g.PrimaryErr.Error())
		}
		if g.BackupErr != nil {
			st.Problems = append(st.Problems, g.BackupErr.Error())
		}
		for i, e := range g.Entries {
			if !e.Used() {
				continue
			}
			// A damaged entry is reported, not listed with a made-up size.
			x, err := g.Partition(i)
			if err != nil {
				st.Problems = append(st.Problems, err.Error())
				continue
			}
			st.Partitions = append(st.Partitions, Partition{Index: i, Name: e.Name(), Type: e.PartitionTypeGUID.String(),
				Start: int64(x.Start) * parttable.SectorSize, Size: int64(x.Size) * parttable.SectorSize})
			if i == parttable.IndexRoot {
				rootOff, rootSize = int64(x.Start)*parttable.SectorSize, int64(x.Size)*parttable.SectorSize
			}
		}
	}
	if rootSize == 0 {
		st.Problems = append(st.Problems, "no root partition")
		return st, nil
	}
	fs, err := fat32.Open(parttable.WindowAt(readOnly{d}, rootOff, rootSize))
	if err != nil {
		st.Problems = append(st.Problems, "root partition: "+err.Error())
		return st, nil
	}
	// A read-only fsck of the root (fat32.Check): a key whose chains
	// loop, cross or reach free clusters is not healthy, whatever its
	// marker says.
	if fsck {
		ps, err := fs.Check()
		if err != nil {
			st.Problems = append(st.Problems, "root partition: check: "+err.Error())
		}
		for _, p := range ps {
			st.Problems = append(st.Problems, "root partition: "+p.String())
		}
	}
	st.RootFS, st.RootLabel = "fat32", fs.Label()
	st.FreeBytes = int64(fs.FreeClusters()) * fs.ClusterSize()
	st.TotalBytes = int64(fs.Geometry().Clusters) * fs.ClusterSize()
	describe(st, keytree.FAT(fs, nil, path))
	return st, nil
}

// InspectDir reads a mounted key or a usbkey copy.
func InspectDir(dir string) (*Status, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	st := &Status{Type: "usbkey-status", Path: dir, Kind: KindDirectory, Platforms: []string{}}
	if free, total, err := node.FreeSpace(dir); err == nil {
		st.FreeBytes, st.TotalBytes, st.Size = free, total, total
	}
	t := keytree.Dir(dir)
	defer t.Close()
	describe(st, t)
	if st.Marker {
		st.Version = 2 // as sdc-usbkey says of a mounted key it cannot sniff
	}
	return st, nil
}

// describe fills in what the key's content says about it.
func describe(st *Status, t keytree.Tree) {
	if fi, err := t.Lstat(MarkerFile); err == nil {
		st.Marker = fi.Mode.IsRegular()
		if !st.Marker {
			st.Problems = append(st.Problems, MarkerFile+" is not a regular file")
		}
	}
	if infos, err := t.ReadDir("os"); err == nil {
		for _, in := range infos {
			if _, err := t.Lstat("os/" + in.Name + "/platform"); err == nil {
				st.Platforms = append(st.Platforms, in.Name)
			}
		}
		sort.Strings(st.Platforms)
	}
	if conf, err := keytree.ReadSmall(t, "boot/loader.conf"); err == nil {
		st.DefaultPlatform = LoaderVar(conf, "platform-version")
	}
	if st.DefaultPlatform != "" && len(st.Platforms) > 0 {
		found := false
		for _, p := range st.Platforms {
			found = found || strings.EqualFold(p, st.DefaultPlatform)
		}
		if !found {
			st.Problems = append(st.Problems, fmt.Sprintf("default platform %s is not under os/", st.DefaultPlatform))
		}
	}
}

// LoaderVar returns a variable of loader.conf: the last `name="value"` line.
func LoaderVar(conf []byte, name string) string {
	val := ""
	sc := bufio.NewScanner(bytes.NewReader(conf))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && strings.TrimSpace(k) == name {
			val = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return val
}

// readOnly refuses writes, so that inspecting can never change a key.
type readOnly struct{ r io.ReaderAt }

func (r readOnly) ReadAt(b []byte, off int64) (int, error) { return r.r.ReadAt(b, off) }
func (readOnly) WriteAt([]byte, int64) (int, error) {
	return 0, errors.New("BUG: write while inspecting a key")
}

// StatusRequest is usbkey-status's options as typed values.
type StatusRequest struct {
	Target string // a key device or image, or a directory (a node path)
}

// Args is the request as usbkey-status's operand.
func (r StatusRequest) Args() []string { return []string{r.Target} }

// CommandLine is the command that carries out the request on n.
func (r StatusRequest) CommandLine(n *node.Node) string {
	return n.ToolLine("usbkey-status", r.Args()...)
}

// ReadStatus inspects what the request names: a directory as a mounted
// key or usbkey copy, anything else as a device or image, read only.
func ReadStatus(n *node.Node, r StatusRequest) (*Status, error) {
	p := n.Path(r.Target)
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Target, err)
	}
	var st *Status
	if fi.IsDir() {
		st, err = InspectDir(p)
	} else {
		var t *device.Target
		if t, err = device.Open(p, true); err == nil {
			defer t.Close()
			st, err = Inspect(t, p, t.Size)
		}
		if err == nil {
			// Inspect reads 512-byte LBAs; on a disk with other sectors
			// nothing else reads them so (see parttable.CheckSectorSize).
			if serr := parttable.CheckSectorSize(t.SectorSize); serr != nil {
				st.Problems = append([]string{r.Target + " has " + serr.Error()}, st.Problems...)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Target, err)
	}
	st.Path = r.Target
	return st, nil
}
