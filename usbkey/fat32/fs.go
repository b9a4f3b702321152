package fat32

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode/utf16"
)

// FS is an open FAT32 filesystem.
type FS struct {
	v         Volume
	g         Geometry
	boot      bootSector
	label     string
	fat       *table
	root      *node
	rootLabel *entry   // the volume-label entry of the root directory
	pending   []uint32 // clusters to free once the directories no longer use them
	// snap is the directories a commit begun by StartCommit writes when
	// it is finished, as they were when it began.
	snap      []dirSnap
	snapInfo  [2]uint32 // FSInfo's free count and hint as the commit began
	formatted bool
	back      *[copyChunk]byte // what verify reads written data back into

	// Sync, when set, flushes the volume to stable storage. Commit calls
	// it between its steps so that a power cut leaves a volume that
	// Repair (or fsck.fat) mends without losing a committed file.
	Sync func() error

	// VerifyWrites reads every chunk of file data back as soon as it is
	// written and compares it byte for byte, so a copy is verified without
	// a second pass over the data.
	VerifyWrites bool
}

// node is a file or directory in memory.
type node struct {
	entry
	name     string // long name, or the short name when there is none
	hasLong  bool   // the name is stored with long-name entries
	parent   *node
	children []*node  // nil until the directory is read
	clusters []uint32 // a directory's cluster chain
	dirty    bool     // a directory whose entries must be rewritten
	fresh    int      // clusters[fresh:] were allocated by this Commit
	fault    error    // why the directory's chain is damaged; Check read what it could
	dots     [2]int64 // the clusters "." and ".." name, -1 when missing
}

func (n *node) isDir() bool { return n.attr&attrDir != 0 }

// Open reads the filesystem on v.
func Open(v Volume) (*FS, error) {
	s := make([]byte, SectorSize)
	if _, err := v.ReadAt(s, 0); err != nil {
		return nil, fmt.Errorf("fat32: read boot sector: %w", err)
	}
	bs, err := decodeBootSector(s)
	if err != nil {
		return nil, fmt.Errorf("fat32: %w", err)
	}
	g, err := geometryOf(bs)
	if err != nil {
		return nil, fmt.Errorf("fat32: %w", err)
	}
	// A volume that knows its size must hold what the boot sector claims,
	// or a corrupt BPB would have us read (and allocate) a FAT of gigabytes.
	if sz, ok := v.(interface{ Size() int64 }); ok && int64(g.Sectors)*SectorSize > sz.Size() {
		return nil, fmt.Errorf("fat32: boot sector claims %d sectors, the partition has %d: %w", g.Sectors, sz.Size()/SectorSize, errNotFAT32)
	}
	fs := &FS{v: v, g: g, boot: *bs, label: strings.TrimRight(string(bs.VolLab[:]), " ")}
	fs.fat = newTable(g.Clusters)
	if err := fs.fat.read(v, int64(bs.RsvdSecCnt)*SectorSize, int64(g.FATSectors)*SectorSize); err != nil {
		return nil, fmt.Errorf("fat32: read FAT: %w", err)
	}
	fs.root = &node{name: "", entry: entry{attr: attrDir, cluster: bs.RootClus}}
	if bs.RootClus >= fs.fat.len() {
		return nil, fmt.Errorf("fat32: boot sector: root cluster %d is past the FAT: %w", bs.RootClus, errNotFAT32)
	}
	if err := fs.load(fs.root); err != nil {
		return nil, err
	}
	return fs, nil
}

// Label is the volume label from the boot sector.
func (f *FS) Label() string { return f.label }

// Geometry is the volume's layout.
func (f *FS) Geometry() Geometry { return f.g }

// FreeClusters is the number of free clusters.
func (f *FS) FreeClusters() uint32 { return f.fat.free }

// ClusterSize is the allocation unit in bytes.
func (f *FS) ClusterSize() int64 { return f.g.ClusterSize }

// ClustersFor is the number of clusters a file of size bytes takes.
func (f *FS) ClustersFor(size int64) uint32 {
	return uint32((size + f.g.ClusterSize - 1) / f.g.ClusterSize)
}

// load reads a directory's entries.
func (f *FS) load(d *node) error {
	if d.children != nil {
		return d.fault
	}
	for a := d.parent; a != nil; a = a.parent {
		if a.cluster == d.cluster {
			return fmt.Errorf("fat32: directory %q: loops back to %q: the filesystem is damaged; run fsck.fat", f.pathOf(d), f.pathOf(a))
		}
	}
	cs, err := f.fat.chain(d.cluster)
	if err != nil {
		return fmt.Errorf("fat32: directory %q: %w", f.pathOf(d), err)
	}
	// FAT allows 65536 entries in a directory; a longer chain is damage.
	if int64(len(cs))*f.g.ClusterSize > 65536*dirEntrySize {
		return fmt.Errorf("fat32: directory %q: %d clusters, more than FAT allows: the filesystem is damaged; run fsck.fat", f.pathOf(d), len(cs))
	}
	return f.parse(d, cs)
}

// parse reads the entries of directory d from the clusters cs.
func (f *FS) parse(d *node, cs []uint32) error {
	d.clusters = cs
	d.fresh = len(cs)
	d.children = []*node{}
	d.dots = [2]int64{-1, -1}
	buf := make([]byte, f.g.ClusterSize)
	var long []uint16
	var longSum uint8
	var longNext int
	for _, c := range cs {
		if _, err := f.v.ReadAt(buf, f.g.clusterOffset(c)); err != nil {
			return fmt.Errorf("fat32: directory %q: read cluster %d: %w", f.pathOf(d), c, err)
		}
		for off := 0; off < len(buf); off += dirEntrySize {
			b := buf[off : off+dirEntrySize]
			switch {
			case b[0] == 0:
				return nil
			case b[0] == deletedMark:
				long = nil
				continue
			case b[11]&0x3F == attrLFN:
				seq := int(b[0] & 0x1F)
				if b[0]&lastLFN != 0 {
					long = make([]uint16, seq*lfnChars)
					longSum, longNext = b[13], seq
				}
				if long == nil || seq != longNext || seq == 0 || b[13] != longSum {
					long = nil
					continue
				}
				copy(long[(seq-1)*lfnChars:], lfnPart(b))
				longNext--
				continue
			}
			e := decodeEntry(b)
			name, hasLong := e.shortName(), false
			if long != nil && longNext == 0 && checksum(e.short) == longSum {
				name, hasLong = decodeLong(long), true
			}
			long = nil
			if e.attr&attrVolumeID != 0 {
				if d == f.root && f.rootLabel == nil && e.attr&attrDir == 0 {
					f.rootLabel = &e
				}
				continue
			}
			if name == "." || name == ".." {
				if i := len(name) - 1; d.dots[i] < 0 {
					d.dots[i] = int64(e.cluster)
				}
				continue
			}
			d.children = append(d.children, &node{entry: e, name: name, hasLong: hasLong, parent: d})
		}
	}
	return nil
}

func decodeLong(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}

func (f *FS) pathOf(n *node) string {
	var parts []string
	for ; n != nil && n != f.root; n = n.parent {
		parts = append(parts, n.name)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// clean turns a slash-separated path into its parts; "" and "." are the root.
func clean(p string) []string {
	p = path.Clean("/" + p)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// child finds name in directory d, ignoring case as pcfs does.
func (f *FS) child(d *node, name string) (*node, error) {
	if err := f.load(d); err != nil {
		return nil, err
	}
	for _, c := range d.children {
		if strings.EqualFold(c.name, name) {
			return c, nil
		}
	}
	// pcfs finds a file by its 8.3 alias too (LONGFI~1.TXT), so a new
	// file of that name would be a second file under one name.
	for _, c := range d.children {
		if strings.EqualFold((&entry{short: c.short}).shortName(), name) {
			return c, nil
		}
	}
	return nil, nil
}

// lookup finds the node at p.
func (f *FS) lookup(p string) (*node, error) {
	n := f.root
	for _, part := range clean(p) {
		if !n.isDir() {
			return nil, &fs.PathError{Op: "lookup", Path: p, Err: fmt.Errorf("%q is not a directory", f.pathOf(n))}
		}
		c, err := f.child(n, part)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, &fs.PathError{Op: "lookup", Path: p, Err: fs.ErrNotExist}
		}
		n = c
	}
	return n, nil
}

// FileInfo describes one entry.
type FileInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
	Dir     bool
	Short   string // the 8.3 name
	Cluster uint32 // the first cluster: a replaced file gets new ones, so it tells old content from new as an inode does
}

func (n *node) info() FileInfo {
	return FileInfo{Name: n.name, Size: int64(n.size), ModTime: n.modTime(), Dir: n.isDir(), Short: (&entry{short: n.short}).shortName(), Cluster: n.cluster}
}

// Stat describes the entry at p.
func (f *FS) Stat(p string) (FileInfo, error) {
	n, err := f.lookup(p)
	if err != nil {
		return FileInfo{}, err
	}
	return n.info(), nil
}

// ReadDir lists the directory at p in on-disk order.
func (f *FS) ReadDir(p string) ([]FileInfo, error) {
	n, err := f.lookup(p)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: p, Err: errors.New("not a directory")}
	}
	if err := f.load(n); err != nil {
		return nil, err
	}
	out := make([]FileInfo, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c.info())
	}
	return out, nil
}

// Open returns a reader of the file at p.
func (f *FS) Open(p string) (io.Reader, int64, error) {
	n, err := f.lookup(p)
	if err != nil {
		return nil, 0, err
	}
	if n.isDir() {
		return nil, 0, &fs.PathError{Op: "open", Path: p, Err: errors.New("is a directory")}
	}
	if n.size == 0 {
		return strings.NewReader(""), 0, nil
	}
	cs, err := f.fat.chain(n.cluster)
	if err != nil {
		return nil, 0, fmt.Errorf("fat32: %s: %w", p, err)
	}
	if int64(len(cs)) < int64(f.ClustersFor(int64(n.size))) {
		return nil, 0, fmt.Errorf("fat32: %s: %d bytes but only %d clusters", p, n.size, len(cs))
	}
	var rs []io.Reader
	left := int64(n.size)
	for i := 0; i < len(cs) && left > 0; {
		j := i + 1
		for j < len(cs) && cs[j] == cs[j-1]+1 {
			j++
		}
		l := int64(j-i) * f.g.ClusterSize
		if l > left {
			l = left
		}
		rs = append(rs, io.NewSectionReader(f.v, f.g.clusterOffset(cs[i]), l))
		left -= l
		i = j
	}
	return io.MultiReader(rs...), int64(n.size), nil
}
