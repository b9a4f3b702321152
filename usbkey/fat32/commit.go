package fat32

import (
	"fmt"
	"slices"
)

// Commit writes what changed, in an order that leaves the volume
// repairable (by Repair or fsck.fat) wherever a kill or a power cut stops
// it, with no file pointing at clusters it does not own:
//
//  1. the FATs with every new chain, and the content of every new
//     directory (no directory on disk points at either yet); the clusters
//     an existing directory grows into are zeroed, so that its old entries
//     read on to an end marker rather than into stale data;
//  2. a flush, then the directories that changed, which now point at
//     chains the disk already holds;
//  3. a flush, then the FATs again with the clusters of replaced and
//     removed files freed, which no directory on disk points at any more;
//  4. FSInfo.
//
// Interrupted after 1 or 3, the volume has lost clusters or FAT copies that
// differ; within 2, directories that are old or new. Sync, when set, is the
// flush; without it the order holds only against a killed process.
func (f *FS) Commit() error {
	// A commit begun by StartCommit and not finished is taken over: its
	// directories are written as they are now, after this one's flush,
	// which it needs even when nothing was allocated since (the flush
	// StartCommit's writes wait for may not have ended).
	tookOver := f.snap != nil
	for _, s := range f.snap {
		s.dir.dirty = true
	}
	f.snap = nil
	if err := f.layoutDirs(f.root); err != nil {
		return err
	}
	wrote := f.fat.dirty()
	if err := f.writeFAT(); err != nil {
		return err
	}
	fresh, err := f.writeFresh(f.root)
	if err != nil {
		return err
	}
	if wrote || fresh || tookOver {
		if err := f.sync(); err != nil {
			return err
		}
	}
	if err := f.writeDirs(f.root); err != nil {
		return err
	}
	if len(f.pending) > 0 {
		if err := f.sync(); err != nil {
			return err
		}
		f.fat.release(f.pending)
		f.pending = nil
		if err := f.writeFAT(); err != nil {
			return err
		}
	}
	if f.formatted || f.fat.dirty() || f.infoStale() {
		f.formatted = false
		return f.writeFSInfo()
	}
	return nil
}

// dirSnap is a directory's entries as a commit begun by StartCommit found
// them, encoded over its clusters.
type dirSnap struct {
	dir      *node
	clusters []uint32
	data     []byte
}

// StartCommit begins a commit that does not wait for the disk: Commit's
// first step (the FATs with every new chain, the content of every new
// directory, the zeros an existing directory grows into), and the
// directories that changed, encoded as they are now, kept. FinishCommit
// writes them once a flush begun after StartCommit returned has ended: the
// directories then point only at chains the disk holds. Meanwhile files
// may be written: their clusters are free on the disk, and the next
// commit links them.
//
// A commit that frees clusters (a file replaced or removed) needs a
// second flush between its steps, and one over a volume with no Sync
// orders nothing: for those StartCommit is Commit, and FinishCommit has
// nothing to do.
func (f *FS) StartCommit() error {
	if f.Sync == nil || len(f.pending) > 0 || f.snap != nil {
		return f.Commit()
	}
	if err := f.layoutDirs(f.root); err != nil {
		return err
	}
	if err := f.writeFAT(); err != nil {
		return err
	}
	if _, err := f.writeFresh(f.root); err != nil {
		return err
	}
	f.snapDirs(f.root)
	f.snapInfo = [2]uint32{f.fat.free, f.fat.hint}
	return nil
}

// snapDirs encodes every dirty directory under d over its clusters and
// marks it clean: a change after this is the next commit's.
func (f *FS) snapDirs(d *node) {
	if d.children == nil {
		return
	}
	for _, c := range d.children {
		if c.isDir() {
			f.snapDirs(c)
		}
	}
	if !d.dirty {
		return
	}
	full := make([]byte, int64(len(d.clusters))*f.g.ClusterSize)
	copy(full, f.encodeDir(d))
	f.snap = append(f.snap, dirSnap{dir: d, clusters: slices.Clone(d.clusters), data: full})
	d.dirty = false
}

// Committing reports whether a commit begun by StartCommit awaits
// FinishCommit.
func (f *FS) Committing() bool { return f.snap != nil }

// FinishCommit writes the directories StartCommit kept, and FSInfo. The
// caller has seen a flush begun after StartCommit returned end.
func (f *FS) FinishCommit() error {
	for _, s := range f.snap {
		if err := f.writeRuns(s.clusters, s.data); err != nil {
			return fmt.Errorf("fat32: write directory %q: %w", f.pathOf(s.dir), err)
		}
	}
	f.snap = nil
	// FSInfo as the FATs on the disk have it, not as clusters allocated
	// since would.
	f.formatted = false
	return f.writeFSInfoOf(f.snapInfo[0], f.snapInfo[1])
}

func (f *FS) sync() error {
	if f.Sync == nil {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fat32: flush: %w", err)
	}
	return nil
}

// infoStale reports whether the on-disk FSInfo free count is wrong, so
// that Commit repairs a count another tool left stale.
func (f *FS) infoStale() bool {
	b := make([]byte, SectorSize)
	if _, err := f.v.ReadAt(b, int64(f.boot.FSInfo)*SectorSize); err != nil {
		return true
	}
	return uint32(b[0x1E8])|uint32(b[0x1E9])<<8|uint32(b[0x1EA])<<16|uint32(b[0x1EB])<<24 != f.fat.free
}

func (f *FS) writeFAT() error {
	if !f.fat.dirty() {
		return nil
	}
	lo, hi := f.fat.lo, f.fat.hi
	var zeros int64 // bytes of zeros after the entries, for a fresh FAT
	if f.formatted {
		// A fresh FAT covers its whole area, the slack past the last entry
		// too, so nothing stale survives from an earlier filesystem. Its
		// zeros go from one shared buffer rather than being encoded: a
		// 64 GiB key's FATs are 30 MiB of them.
		hi = f.fat.usedEnd(lo, hi)
		zeros = int64(f.g.FATSectors)*SectorSize - 4*int64(hi)
	}
	b := f.fat.encodeRange(lo, hi)
	for i := 0; i < int(f.boot.NumFATs); i++ {
		off := (int64(f.boot.RsvdSecCnt)+int64(i)*int64(f.g.FATSectors))*SectorSize + 4*int64(lo)
		if _, err := f.v.WriteAt(b, off); err != nil {
			return fmt.Errorf("fat32: write FAT %d: %w", i+1, err)
		}
		if err := writeZeros(f.v, off+int64(len(b)), zeros); err != nil {
			return fmt.Errorf("fat32: write FAT %d: %w", i+1, err)
		}
	}
	f.fat.lo, f.fat.hi = ^uint32(0), 0
	return nil
}

func (f *FS) writeFSInfo() error { return f.writeFSInfoOf(f.fat.free, f.fat.hint) }

// writeFSInfoOf writes FSInfo with free clusters and the next-free hint.
func (f *FS) writeFSInfoOf(free, next uint32) error {
	if next < 2 || next >= f.fat.len() {
		next = unknownFree // a hint past the last cluster means "no hint"
	}
	info := (&fsInfo{LeadSig: fsInfoLeadSig, StructSig: fsInfoStructSig, FreeCount: free, NextFree: next, TrailSig: fsInfoTrailSig}).encode()
	for _, s := range []int64{int64(f.boot.FSInfo), int64(f.boot.BkBootSec) + 1} {
		// A damaged boot sector may name any sector: FSInfo lives in the
		// reserved area, never over the boot sector, a FAT or data.
		if s < 1 || s >= int64(f.boot.RsvdSecCnt) || s == int64(f.boot.BkBootSec) {
			continue
		}
		if _, err := f.v.WriteAt(info, s*SectorSize); err != nil {
			return fmt.Errorf("fat32: write FSInfo: %w", err)
		}
	}
	return nil
}

// encodeDir serialises a directory's entries.
func (f *FS) encodeDir(d *node) []byte {
	var out []byte
	one := make([]byte, dirEntrySize)
	if d == f.root {
		if f.rootLabel != nil {
			f.rootLabel.encode(one)
			out = append(out, one...)
		}
		d.dots = [2]int64{-1, -1}
	} else {
		dot := entry{attr: attrDir, cluster: d.cluster, crtTime: d.crtTime, crtDate: d.crtDate, accDate: d.accDate, wrtTime: d.wrtTime, wrtDate: d.wrtDate}
		copy(dot.short[:], ".          ")
		dot.encode(one)
		out = append(out, one...)
		dotdot := dot
		copy(dotdot.short[:], "..         ")
		dotdot.cluster = 0 // ".." of a top-level directory names the root as cluster 0
		if d.parent != f.root {
			dotdot.cluster = d.parent.cluster
		}
		dotdot.encode(one)
		out = append(out, one...)
		d.dots = [2]int64{int64(dot.cluster), int64(dotdot.cluster)}
	}
	for _, c := range d.children {
		if c.hasLong {
			out = append(out, longEntries(c.name, c.short)...)
		}
		c.entry.encode(one)
		out = append(out, one...)
	}
	return out
}

// layoutDirs sizes the cluster chain of every dirty directory before the
// FAT is written, so one FAT write covers them.
func (f *FS) layoutDirs(d *node) error {
	if d.children == nil {
		return nil
	}
	if d.dirty {
		need := f.ClustersFor(int64(len(f.encodeDir(d))))
		if need == 0 {
			need = 1
		}
		have := uint32(len(d.clusters))
		switch {
		case have == 0:
			cs, err := f.fat.alloc(need)
			if err != nil {
				return fmt.Errorf("fat32: directory %q: %w", f.pathOf(d), err)
			}
			d.clusters, d.cluster, d.fresh = cs, cs[0], 0
		case need > have:
			more, err := f.fat.extend(d.clusters[have-1], need-have)
			if err != nil {
				return fmt.Errorf("fat32: directory %q: %w", f.pathOf(d), err)
			}
			d.clusters = append(d.clusters, more...)
			d.fresh = min(d.fresh, int(have))
		}
	}
	for _, c := range d.children {
		if c.isDir() {
			if err := f.layoutDirs(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFresh writes what no directory on disk points at yet: the whole
// of a new directory, and zeros in the clusters an existing one grows into.
// It reports whether it wrote anything.
func (f *FS) writeFresh(d *node) (bool, error) {
	if d.children == nil {
		return false, nil
	}
	wrote := false
	for _, c := range d.children {
		if c.isDir() {
			w, err := f.writeFresh(c)
			if err != nil {
				return false, err
			}
			wrote = wrote || w
		}
	}
	if !d.dirty || d.fresh >= len(d.clusters) {
		return wrote, nil
	}
	full := make([]byte, int64(len(d.clusters))*f.g.ClusterSize)
	if d.fresh == 0 {
		copy(full, f.encodeDir(d))
		d.dirty = false
	}
	lo := int64(d.fresh) * f.g.ClusterSize
	if err := f.writeRuns(d.clusters[d.fresh:], full[lo:]); err != nil {
		return false, fmt.Errorf("fat32: write directory %q: %w", f.pathOf(d), err)
	}
	d.fresh = len(d.clusters)
	return true, nil
}

func (f *FS) writeDirs(d *node) error {
	if d.children == nil {
		return nil
	}
	for _, c := range d.children {
		if c.isDir() {
			if err := f.writeDirs(c); err != nil {
				return err
			}
		}
	}
	if !d.dirty {
		return nil
	}
	b := f.encodeDir(d)
	full := make([]byte, int64(len(d.clusters))*f.g.ClusterSize)
	copy(full, b)
	if err := f.writeRuns(d.clusters, full); err != nil {
		return fmt.Errorf("fat32: write directory %q: %w", f.pathOf(d), err)
	}
	d.dirty = false
	return nil
}

// writeRuns writes b across the clusters, one WriteAt per contiguous run.
func (f *FS) writeRuns(cs []uint32, b []byte) error {
	for i := 0; i < len(cs); {
		j := i + 1
		for j < len(cs) && cs[j] == cs[j-1]+1 {
			j++
		}
		lo := int64(i) * f.g.ClusterSize
		hi := int64(j) * f.g.ClusterSize
		if hi > int64(len(b)) {
			hi = int64(len(b))
		}
		if lo < hi {
			if _, err := f.v.WriteAt(b[lo:hi], f.g.clusterOffset(cs[i])); err != nil {
				return err
			}
		}
		i = j
	}
	return nil
}

// zeroBlock is the zeros writeZeros writes; never written to.
var zeroBlock = make([]byte, 1<<20)

// writeZeros writes n zero bytes to v at off.
func writeZeros(v Volume, off, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeroBlock)))
		if _, err := v.WriteAt(zeroBlock[:k], off); err != nil {
			return err
		}
		off, n = off+k, n-k
	}
	return nil
}
