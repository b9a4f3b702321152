package keysync

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"cntools/usbkey/manifest"
)

// A plan is what one target needs, from comparing the source's manifest
// (src), the manifest the last sync left on the target (last) and what the
// target holds now (now, from listing it: no hashes).
type plan struct {
	mkdirs []*manifest.Entry // parents before children
	links  []*manifest.Entry // symlinks to make
	send   []*manifest.Entry // files to write
	meta   []*manifest.Entry // content in step, mode or mtime not
	check  []*manifest.Entry // files whose target content must be hashed to decide
	// keep and clear name what is in the way of a path: keep moves the
	// target's version aside as a conflict copy (Force), clear removes
	// what the last sync put there (a type change).
	keep, clear map[string]bool
	conflicts   []string
	failed      map[string]string // path: why
	deletes     []manifest.Entry  // children before parents
	// changed are what Delete leaves: the last sync put them there, and
	// they changed on the target since.
	changed []string
	// blocked are the target's non-directories (symlinks, files) that
	// source paths would go under: writing there would follow a link
	// out of the tree, so the target fails unless Force moves them aside.
	blocked []string
	skipped int
	bytes   int64
}

func key(p string) string { return strings.ToLower(p) }

func index(m *manifest.Manifest) map[string]*manifest.Entry {
	out := map[string]*manifest.Entry{}
	if m == nil {
		return out
	}
	for i := range m.Entries {
		out[key(m.Entries[i].Path)] = &m.Entries[i]
	}
	return out
}

// sameStat reports whether the target's entry t still looks as the
// manifest entry m describes it, without reading it: type, size, mode,
// mtime to the second, symlink target.
func sameStat(t, m *manifest.Entry) bool {
	if t.Type != m.Type || t.Target != m.Target {
		return false
	}
	if t.Type == manifest.TypeDir {
		return true
	}
	return t.Size == m.Size && t.Mode == m.Mode && t.MTime.Unix() == m.MTime.Unix()
}

// makePlan classifies every path. force turns conflicts into sends that
// keep the target's version; del removes what the last sync put on the
// target (it is in last), the source no longer has, and the target still
// holds as the last sync left it: never anything else.
func makePlan(src, last *manifest.Manifest, now map[string]*manifest.Entry, sc scope, force, del bool) *plan {
	p := &plan{keep: map[string]bool{}, clear: map[string]bool{}, failed: map[string]string{}}
	lastOf := index(last)
	inSrc := map[string]bool{}
	for i := range src.Entries {
		s := &src.Entries[i]
		k := key(s.Path)
		inSrc[k] = true
		t, l := now[k], lastOf[k]
		switch {
		case t == nil:
			p.add(s)
		case t.Type == manifest.TypeDir && s.Type != manifest.TypeDir:
			p.failed[s.Path] = "a directory on the target, a " + s.Type + " in the source: remove the directory on the target"
		case s.Type == manifest.TypeDir && t.Type == manifest.TypeDir:
			// In step; its mode and mtime are set after its entries.
		case s.Type == manifest.TypeFile && t.Type == manifest.TypeFile:
			p.file(s, t, l)
		case s.Type == manifest.TypeSymlink && t.Type == manifest.TypeSymlink && s.Target == t.Target:
			p.skipped++
		case l != nil && sameStat(t, l):
			// The target holds what the last sync left, and the source
			// has something else there now.
			p.clear[k] = true
			p.add(s)
		default:
			p.conflict(s, force)
		}
	}
	p.parents(src, now)
	// A standby copy may hold recovery material the headnode does not
	// (private/, images/, zones/, extra/ from a key or an older
	// headnode): under those, only what the source still has a place for
	// is its to delete.
	owned := map[string]bool{}
	for k := range inSrc {
		top, _, _ := strings.Cut(k, "/")
		owned[top] = true
	}
	for k, l := range lastOf {
		t := now[k]
		top, _, _ := strings.Cut(k, "/")
		if !del || inSrc[k] || t == nil || !sc.in(t.Path) || never(t.Path) || recovery[top] && !owned[top] {
			continue
		}
		if !sameStat(t, l) {
			p.changed = append(p.changed, t.Path)
			continue
		}
		p.deletes = append(p.deletes, *t)
	}
	slices.Sort(p.changed)
	// Children before parents: a directory is removed once it is empty.
	slices.SortFunc(p.deletes, func(a, b manifest.Entry) int { return strings.Compare(key(b.Path), key(a.Path)) })
	return p
}

// parents finds the target's non-directories that source paths would go
// under. Listing the target does not follow them, so nothing below them
// is known; one the plan already moves aside (Force) or removes (the last
// sync's own entry) is made a directory before anything goes into it.
func (p *plan) parents(src *manifest.Manifest, now map[string]*manifest.Entry) {
	seen := map[string]bool{}
	for _, s := range src.Entries {
		for d := path.Dir(s.Path); d != "."; d = path.Dir(d) {
			k := key(d)
			t := now[k]
			if t == nil || t.Type == manifest.TypeDir || p.keep[k] || p.clear[k] || seen[k] {
				continue
			}
			seen[k] = true
			what := "a " + t.Type
			if t.Type == manifest.TypeSymlink {
				what += " to " + t.Target
			}
			p.blocked = append(p.blocked, fmt.Sprintf("%s is %s on the target, and the source has %s under it", t.Path, what, s.Path))
		}
	}
	slices.Sort(p.blocked)
}

func (p *plan) add(s *manifest.Entry) {
	switch s.Type {
	case manifest.TypeDir:
		p.mkdirs = append(p.mkdirs, s)
	case manifest.TypeSymlink:
		p.links = append(p.links, s)
	default:
		p.send = append(p.send, s)
		p.bytes += s.Size
	}
}

func (p *plan) conflict(s *manifest.Entry, force bool) {
	if force {
		p.keep[key(s.Path)] = true
		p.add(s)
		return
	}
	p.conflicts = append(p.conflicts, s.Path)
}

// file decides a file the target has, when listing is enough.
func (p *plan) file(s, t, l *manifest.Entry) {
	switch {
	case l == nil || l.Type != manifest.TypeFile || !sameStat(t, l):
		// New to the last sync's manifest, or changed since it was
		// written: what it holds decides.
		p.check = append(p.check, s)
	case l.SHA256 != s.SHA256:
		p.send = append(p.send, s)
		p.bytes += s.Size
	case !sameMeta(t, s):
		p.meta = append(p.meta, s)
	default:
		p.skipped++
	}
}

func sameMeta(t, s *manifest.Entry) bool {
	return t.Mode == s.Mode && t.MTime.Unix() == s.MTime.Unix()
}

// resolve decides the files in check from their target hashes (path:
// sha256, "" when it could not be read).
func (p *plan) resolve(hashes map[string]string, now map[string]*manifest.Entry, last *manifest.Manifest, force bool) {
	lastOf := index(last)
	for _, s := range p.check {
		k := key(s.Path)
		h, t, l := hashes[s.Path], now[k], lastOf[k]
		switch {
		case h == "":
			p.failed[s.Path] = "could not hash the target's copy"
		case h == s.SHA256 && sameMeta(t, s):
			p.skipped++
		case h == s.SHA256:
			p.meta = append(p.meta, s)
		case l != nil && h == l.SHA256:
			// Only touched on the target: the content is the last
			// sync's.
			p.send = append(p.send, s)
			p.bytes += s.Size
		default:
			p.conflict(s, force)
		}
	}
	p.check = nil
}

// lines describes the plan for --dry-run, one action a line.
func (p *plan) lines() []string {
	var out []string
	for _, e := range p.mkdirs {
		out = append(out, "mkdir "+e.Path)
	}
	for _, e := range p.links {
		out = append(out, "symlink "+e.Path+" -> "+e.Target)
	}
	for _, e := range p.send {
		how := "send"
		if p.keep[key(e.Path)] {
			how = "send (keeping the target's as a conflict copy)"
		}
		out = append(out, fmt.Sprintf("%s %s (%d bytes)", how, e.Path, e.Size))
	}
	for _, e := range p.meta {
		out = append(out, fmt.Sprintf("chmod/touch %s (%s)", e.Path, fs.FileMode(e.Mode)))
	}
	for _, e := range p.deletes {
		out = append(out, "delete "+e.Path)
	}
	for _, c := range p.conflicts {
		out = append(out, "conflict "+c)
	}
	return out
}

// nextManifest is what the target holds once the plan ran: the source's
// entries where the target is now in step, the last manifest's where it is
// not (conflicts, failures) or where the sync did not look (outside the
// paths), so that the next sync still sees those differences.
func nextManifest(src, last *manifest.Manifest, now map[string]*manifest.Entry, sc scope, bad map[string]bool, deleted map[string]bool) *manifest.Manifest {
	out := map[string]manifest.Entry{}
	lastOf := index(last)
	for k, l := range lastOf {
		if !sc.in(l.Path) {
			out[k] = *l
		}
	}
	for _, s := range src.Entries {
		k := key(s.Path)
		if !bad[k] {
			out[k] = s
			continue
		}
		delete(out, k)
		if l := lastOf[k]; l != nil {
			out[k] = *l
		}
	}
	// Extras kept on the target stay as the last sync saw them, when
	// they still look so.
	for k, t := range now {
		if _, ok := out[k]; ok || deleted[k] || !sc.in(t.Path) {
			continue
		}
		if l := lastOf[k]; l != nil && sameStat(t, l) {
			out[k] = *l
		}
	}
	m := &manifest.Manifest{}
	for _, e := range out {
		m.Entries = append(m.Entries, e)
	}
	slices.SortFunc(m.Entries, func(a, b manifest.Entry) int { return strings.Compare(key(a.Path), key(b.Path)) })
	return m
}

// next is the manifest the target holds once the plan ran
// (nextManifest): the source's own when the last sync left the source's
// and this one looked at the whole tree and kept every entry in step, as
// a no-op sync does.
func (x *executor) next() *manifest.Manifest {
	if x.last == x.src && x.sc.paths == nil && len(x.bad) == 0 && len(x.deleted) == 0 {
		return x.src
	}
	return nextManifest(x.src, x.last, x.now, x.sc, x.bad, x.deleted)
}

// recovery are the top-level directories a standby copy keeps for a
// recovery whether or not the headnode's /usbkey has them now.
var recovery = map[string]bool{"private": true, "images": true, "zones": true, "extra": true}
