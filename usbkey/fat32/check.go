package fat32

import (
	"bytes"
	"errors"
	"fmt"
)

// ProblemKind names one kind of damage Check finds.
type ProblemKind string

// The damage Check finds, each what `fsck.fat -n` would report too.
const (
	ChainLoop       ProblemKind = "chain loops"                   // a chain comes back to one of its own clusters
	ChainFree       ProblemKind = "chain reaches a free cluster"  // the FAT says a cluster in use is free
	ChainOutOfRange ProblemKind = "chain leaves the volume"       // a cluster number past the FAT, or a reserved one
	ChainBad        ProblemKind = "chain reaches a bad cluster"   // a cluster marked bad is in use
	CrossLinked     ProblemKind = "cross-linked"                  // two entries share clusters
	DirLoop         ProblemKind = "directory loop"                // a directory names itself or an ancestor as a subdirectory
	SizeMismatch    ProblemKind = "size does not match the chain" // a file's size needs more or fewer clusters than its chain has
	BadDots         ProblemKind = `wrong "." or ".."`             // a directory's "." or ".." is missing or names the wrong cluster
	LostClusters    ProblemKind = "lost clusters"                 // clusters in use that no entry reaches
	FATsDiffer      ProblemKind = "FAT copies differ"             // the FATs disagree
	FreeCount       ProblemKind = "FSInfo free count is wrong"    // FSInfo's count of free clusters is not the FAT's
)

// Problem is one piece of damage.
type Problem struct {
	Kind    ProblemKind
	Path    string // the file or directory ("/" is the root), "" for the volume
	Cluster uint32 // the cluster where it shows, 0 when none does
	Detail  string // what was found, in words
	fix     func() // what Repair does about it
}

func (p Problem) String() string {
	s := string(p.Kind)
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Check reads the whole filesystem, as `fsck.fat -n` does, and returns the
// damage it finds; nil means the volume is clean. It writes nothing, so a
// read-only volume will do. It examines the filesystem as committed: it
// refuses to run with uncommitted changes.
//
// It loads what a damaged directory still holds, for Repair to keep;
// ReadDir and Open go on refusing a damaged directory until it is
// repaired.
func (f *FS) Check() ([]Problem, error) {
	return f.check()
}

// Repair checks the filesystem and mends what Check finds, in memory, the
// way `fsck.fat -a` does: a damaged chain is cut where it goes wrong and
// the file's size cut to what is left; a directory loop or a directory
// that shares another's clusters is dropped; a cross-linked file loses the
// shared clusters; lost clusters are freed; both FATs are written from the
// first. The next Commit writes the repair. It returns what it mended:
// every file it names lost content and must be written again.
func (f *FS) Repair() ([]Problem, error) {
	ps, err := f.check()
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.fix != nil {
			p.fix()
		}
	}
	if len(ps) > 0 {
		f.fat.countFree()
	}
	return ps, nil
}

// errUncommitted refuses to check an FS whose memory and disk differ.
var errUncommitted = errors.New("BUG: fat32: check with uncommitted changes: commit first")

// checker is one run of Check: which clusters are claimed so far, and by
// whom. A bit a cluster says whether one is: a 4 GiB key has 3.9 million
// clusters, and a slice of owners (15 MiB) cost a populate, which checks
// twice, a fault on every fresh page. Who owns a claimed cluster is looked
// up in the claims only when one is claimed twice, which is damage.
type checker struct {
	f        *FS
	claimed  []uint64 // a bit per cluster
	nodes    []*node  // the entries whose chains were followed
	claims   []spans  // claims[i] is the clusters nodes[i] owns
	problems []Problem
}

// span is the clusters first to first+n-1.
type span struct{ first, n uint32 }

// spans is a chain as runs of consecutive clusters, the way files are
// laid out: a chain of a quarter of a million clusters is one span, not a
// megabyte of cluster numbers.
type spans []span

func (s *spans) add(cl uint32) {
	if k := len(*s) - 1; k >= 0 && (*s)[k].first+(*s)[k].n == cl {
		(*s)[k].n++
		return
	}
	*s = append(*s, span{cl, 1})
}

func (s spans) len() int {
	n := 0
	for _, x := range s {
		n += int(x.n)
	}
	return n
}

func (s spans) contains(cl uint32) bool {
	for _, x := range s {
		if cl >= x.first && cl-x.first < x.n {
			return true
		}
	}
	return false
}

func (s spans) last() uint32 { return s[len(s)-1].first + s[len(s)-1].n - 1 }

// split returns the first k clusters, and the rest one by one.
func (s spans) split(k int) (spans, []uint32) {
	var head spans
	var rest []uint32
	for _, x := range s {
		for cl := x.first; cl < x.first+x.n; cl++ {
			if k > 0 {
				head.add(cl)
				k--
			} else {
				rest = append(rest, cl)
			}
		}
	}
	return head, rest
}

func (c *checker) isClaimed(cl uint32) bool { return c.claimed[cl/64]&(1<<(cl%64)) != 0 }
func (c *checker) claim(cl uint32)          { c.claimed[cl/64] |= 1 << (cl % 64) }
func (c *checker) unclaim(cl uint32)        { c.claimed[cl/64] &^= 1 << (cl % 64) }

// owner is the entry that claimed cl.
func (c *checker) owner(cl uint32) *node {
	for i, cs := range c.claims {
		if cs.contains(cl) {
			return c.nodes[i]
		}
	}
	panic(fmt.Sprintf("BUG: fat32: cluster %d is claimed by no entry", cl))
}

func (f *FS) check() ([]Problem, error) {
	if f.fat.dirty() || len(f.pending) > 0 || dirtyDir(f.root) || f.snap != nil {
		return nil, errUncommitted
	}
	c := &checker{f: f, claimed: make([]uint64, f.fat.len()/64+1)}
	if err := c.fats(); err != nil {
		return nil, err
	}
	if err := c.dir(f.root); err != nil {
		return nil, err
	}
	c.lost()
	c.freeCount()
	return c.problems, nil
}

func dirtyDir(d *node) bool {
	if d.dirty {
		return true
	}
	for _, c := range d.children {
		if c.isDir() && dirtyDir(c) {
			return true
		}
	}
	return false
}

func (c *checker) add(p Problem) { c.problems = append(c.problems, p) }

func (c *checker) name(n *node) string { return "/" + c.f.pathOf(n) }

// fats compares the FAT copies on disk, entry by entry.
func (c *checker) fats() error {
	f := c.f
	n := int64(f.fat.len()) * 4
	// A chunk at a time from each: a 64 GiB key's FATs are 15 MiB each,
	// and reading them whole cost a populate 30 MiB and a tenth of a second.
	const chunk = 1 << 20
	first, other := make([]byte, chunk), make([]byte, chunk)
	start := func(i int) int64 { return (int64(f.boot.RsvdSecCnt) + int64(i)*int64(f.g.FATSectors)) * SectorSize }
	for i := 1; i < int(f.boot.NumFATs); i++ {
		for done := int64(0); done < n; done += chunk {
			k := min(chunk, n-done)
			if _, err := f.v.ReadAt(first[:k], start(0)+done); err != nil {
				return fmt.Errorf("fat32: read FAT 1: %w", err)
			}
			if _, err := f.v.ReadAt(other[:k], start(i)+done); err != nil {
				return fmt.Errorf("fat32: read FAT %d: %w", i+1, err)
			}
			if bytes.Equal(first[:k], other[:k]) {
				continue
			}
			at := 0
			for first[at] == other[at] {
				at++
			}
			cl := (done + int64(at)) / 4
			c.add(Problem{Kind: FATsDiffer, Cluster: uint32(cl), Detail: fmt.Sprintf("FAT %d differs from FAT 1 from cluster %d on", i+1, cl), fix: f.fat.dirtyAll})
			break
		}
	}
	return nil
}

// chain follows the chain of n from start, claiming its clusters, up to
// where it goes wrong. It returns the clusters that are n's and, when the
// chain goes wrong, the problem, whose fix cuts the chain there.
func (c *checker) chain(n *node, start uint32) (spans, *Problem) {
	t := c.f.fat
	c.nodes = append(c.nodes, n)
	c.claims = append(c.claims, nil)
	id := len(c.nodes) - 1
	var cs spans
	defer func() { c.claims[id] = cs }()
	var p *Problem
	for cl := start; ; {
		if cl < 2 || cl >= t.len() {
			p = &Problem{Kind: ChainOutOfRange, Cluster: cl, Detail: fmt.Sprintf("cluster %d is not on the volume (clusters 2 to %d)", cl, t.len()-1)}
			break
		}
		if c.isClaimed(cl) {
			if cs.contains(cl) {
				p = &Problem{Kind: ChainLoop, Cluster: cl, Detail: fmt.Sprintf("cluster %d comes round again", cl)}
			} else {
				p = &Problem{Kind: CrossLinked, Cluster: cl, Detail: fmt.Sprintf("cluster %d is also %s's", cl, c.name(c.owner(cl)))}
			}
			break
		}
		v := t.get(cl) & entryMask
		if v == 0 {
			p = &Problem{Kind: ChainFree, Cluster: cl, Detail: fmt.Sprintf("cluster %d is free", cl)}
			break
		}
		if v == badClus {
			p = &Problem{Kind: ChainBad, Cluster: cl, Detail: fmt.Sprintf("cluster %d is marked bad", cl)}
			break
		}
		c.claim(cl)
		cs.add(cl)
		if v >= 0x0FFFFFF8 {
			return cs, nil
		}
		cl = v
	}
	p.Path = c.name(n)
	p.fix = c.cut(n, cs)
	return cs, p
}

// cut returns the repair that ends n's chain after the clusters cs; with
// none left, a file becomes empty and a directory keeps its first cluster
// (the caller drops a directory that has none).
func (c *checker) cut(n *node, cs spans) func() {
	t := c.f.fat
	if len(cs) == 0 {
		return func() {
			n.cluster, n.size = 0, 0
			n.parent.dirty = true
		}
	}
	last, kept := cs.last(), cs.len()
	return func() {
		t.set(last, eoc)
		if !n.isDir() {
			n.size = uint32(min(int64(n.size), int64(kept)*c.f.g.ClusterSize))
			n.parent.dirty = true
		}
	}
}

// dir checks directory d, whose own entry is sound, and what it holds.
func (c *checker) dir(d *node) error {
	f := c.f
	cs, p := c.chain(d, d.cluster)
	if p != nil {
		c.add(*p)
		fix := p.fix
		c.problems[len(c.problems)-1].fix = func() {
			fix()
			d.fault, d.dirty = nil, true
		}
	}
	if p != nil || d.children == nil {
		_, all := cs.split(0)
		if err := f.parse(d, all); err != nil {
			return err
		}
		if p != nil {
			d.fault = fmt.Errorf("fat32: directory %q: %s: the filesystem is damaged; run fsck.fat", f.pathOf(d), p.Detail)
		}
	}
	c.dots(d)
	for _, ch := range d.children {
		if !ch.isDir() {
			c.file(ch)
			continue
		}
		if a := c.ancestor(ch); a != nil {
			c.add(Problem{Kind: DirLoop, Path: c.name(ch), Cluster: ch.cluster, Detail: fmt.Sprintf("its cluster %d is %s's", ch.cluster, c.name(a)), fix: c.drop(ch)})
			continue
		}
		if ch.cluster >= 2 && ch.cluster < c.f.fat.len() && c.isClaimed(ch.cluster) {
			o := c.owner(ch.cluster)
			c.add(Problem{Kind: CrossLinked, Path: c.name(ch), Cluster: ch.cluster, Detail: fmt.Sprintf("cluster %d is also %s's", ch.cluster, c.name(o)), fix: c.drop(ch)})
			continue
		}
		if err := c.dirEntry(ch); err != nil {
			return err
		}
	}
	return nil
}

// dirEntry checks a subdirectory whose chain may be broken at its very
// start, in which case nothing of it can be read and it is dropped.
func (c *checker) dirEntry(ch *node) error {
	first := ch.cluster
	if first >= 2 && first < c.f.fat.len() {
		v := c.f.fat.get(first) & entryMask
		if v != 0 && v != badClus {
			return c.dir(ch)
		}
	}
	_, p := c.chain(ch, first)
	p.fix = c.drop(ch)
	c.add(*p)
	return nil
}

// ancestor returns the directory above d (or d's parent itself) whose
// cluster d names, if any.
func (c *checker) ancestor(d *node) *node {
	for a := d.parent; a != nil; a = a.parent {
		if a.cluster == d.cluster || (a == c.f.root && d.cluster == 0) {
			return a
		}
	}
	return nil
}

// drop returns the repair that removes n from its directory.
func (c *checker) drop(n *node) func() {
	return func() {
		d := n.parent
		for i, x := range d.children {
			if x == n {
				d.children = append(d.children[:i], d.children[i+1:]...)
				break
			}
		}
		d.dirty = true
	}
}

// dots checks the "." and ".." of a directory other than the root.
func (c *checker) dots(d *node) {
	if d == c.f.root {
		return
	}
	up := int64(d.parent.cluster)
	if d.parent == c.f.root {
		up = 0
	}
	if d.dots[0] == int64(d.cluster) && d.dots[1] == up {
		return
	}
	c.add(Problem{Kind: BadDots, Path: c.name(d), Cluster: d.cluster,
		Detail: fmt.Sprintf(`"." names %s and ".." %s, want %d and %d`, dotName(d.dots[0]), dotName(d.dots[1]), d.cluster, up),
		fix:    func() { d.dirty = true }})
}

func dotName(c int64) string {
	if c < 0 {
		return "nothing"
	}
	return fmt.Sprintf("cluster %d", c)
}

// file checks a file's chain against its size.
func (c *checker) file(n *node) {
	if n.cluster == 0 && n.size == 0 {
		return
	}
	var cs spans
	var p *Problem
	if n.cluster != 0 {
		cs, p = c.chain(n, n.cluster)
	}
	need := int(c.f.ClustersFor(int64(n.size)))
	if p == nil && cs.len() == need {
		return
	}
	// The clusters past the size are no one's: lost() frees them.
	head, rest := cs.split(need)
	for _, cl := range rest {
		c.unclaim(cl)
	}
	if n.cluster != 0 {
		c.claims[len(c.claims)-1] = head // the chain just followed is n's
	}
	fix := c.cut(n, head)
	if p == nil {
		p = &Problem{Kind: SizeMismatch, Path: c.name(n), Cluster: n.cluster,
			Detail: fmt.Sprintf("%d bytes need %d clusters, the chain has %d", n.size, need, cs.len())}
	}
	p.fix = fix
	c.add(*p)
}

// lost finds the clusters in use that no entry reaches.
func (c *checker) lost() {
	t := c.f.fat
	var lost []uint32
	for cl := uint32(2); cl < t.len(); cl++ {
		if t.empty(cl / pageEntries) {
			cl = (cl/pageEntries+1)*pageEntries - 1 // a page not held is all free
			continue
		}
		if v := t.get(cl) & entryMask; v != 0 && v != badClus && !c.isClaimed(cl) {
			lost = append(lost, cl)
		}
	}
	if len(lost) == 0 {
		return
	}
	c.add(Problem{Kind: LostClusters, Cluster: lost[0],
		Detail: fmt.Sprintf("%d clusters (%d bytes) in use that no file reaches, the first %d", len(lost), int64(len(lost))*c.f.g.ClusterSize, lost[0]),
		fix: func() {
			for _, cl := range lost {
				t.set(cl, 0)
			}
		}})
}

// freeCount compares FSInfo's free count, when it keeps one, with the FAT.
func (c *checker) freeCount() {
	f := c.f
	b := make([]byte, SectorSize)
	if _, err := f.v.ReadAt(b, int64(f.boot.FSInfo)*SectorSize); err != nil {
		return
	}
	info := fsInfoFree(b)
	if info == unknownFree || info == f.fat.free {
		return
	}
	// Repair needs no fix of its own: Commit rewrites a stale count.
	c.add(Problem{Kind: FreeCount, Detail: fmt.Sprintf("FSInfo says %d clusters are free, the FAT %d", info, f.fat.free)})
}

// fsInfoFree is FSInfo's free count, or unknownFree when the sector is not
// an FSInfo.
func fsInfoFree(b []byte) uint32 {
	le := func(o int) uint32 { return uint32(b[o]) | uint32(b[o+1])<<8 | uint32(b[o+2])<<16 | uint32(b[o+3])<<24 }
	if le(0) != fsInfoLeadSig || le(0x1E4) != fsInfoStructSig {
		return unknownFree
	}
	return le(0x1E8)
}
