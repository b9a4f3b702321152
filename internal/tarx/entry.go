package tarx

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
)

// The entry types Extract and Walk accept.
const (
	TypeFile     = "file"
	TypeDir      = "dir"
	TypeSymlink  = "symlink"
	TypeHardlink = "hardlink"
)

// Entry is one archive entry that passed every check.
type Entry struct {
	Name    string      // clean, relative, slash-separated
	Type    string      // TypeFile, TypeDir, TypeSymlink or TypeHardlink
	Mode    fs.FileMode // permission, setuid, setgid and sticky bits
	Size    int64       // regular files only
	Link    string      // symlink target as written, or the clean name a hard link shares
	ModTime time.Time
}

// permBits are the mode bits an extracted entry keeps.
const permBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// reader yields validated entries of one archive.
type reader struct {
	ctx   context.Context
	drain func() error // checks what follows the tar stream
	stop  func()
	tail  *tailReader
	tr    *tar.Reader
	t     *tree

	headers int   // headers read, skipped ones too
	dataEnd int64 // where the last entry's content and padding end
}

func newReader(ctx context.Context, r io.Reader) (*reader, error) {
	gz, err := newGunzipper(r)
	if err != nil {
		return nil, err
	}
	return newTarReader(ctx, gz, gz.drain, gz.Close), nil
}

// newTarReader reads the uncompressed tar stream src; drain checks what
// follows its end blocks and stop releases src.
func newTarReader(ctx context.Context, src io.Reader, drain func() error, stop func()) *reader {
	tail := &tailReader{r: src}
	return &reader{ctx: ctx, drain: drain, stop: stop, tail: tail, tr: tar.NewReader(tail), t: newTree()}
}

func (r *reader) close() { r.stop() }

// endOfArchive refuses an archive that archive/tar would take as ended
// although it is not whole: one with no entry at all (an empty file
// gzip-ed, a tarball made of nothing), and one cut at an entry boundary,
// which lacks the two zero blocks that end every tar. Either would replace
// good tools with none or half of them.
func (r *reader) endOfArchive() error {
	if r.headers == 0 {
		return corrupt("tar", errors.New("the archive holds no entries: it is empty or was cut short; fetch or build it again"))
	}
	if r.dataEnd >= 0 && r.tail.n-r.dataEnd < 2*blockLen || !r.tail.zeros() {
		return corrupt("tar", errors.New("the archive ends without its two zero end blocks: it was cut short; fetch or build it again"))
	}
	return nil
}

// next returns the next entry, the directories above it that do not exist
// yet, and whether it replaces an earlier non-directory of the same name.
// At the end of the archive it checks the rest of the gzip stream and the
// symlinks, and returns io.EOF.
func (r *reader) next() (e *Entry, parents []string, replaces bool, err error) {
	for {
		if err := r.ctx.Err(); err != nil {
			return nil, nil, false, err
		}
		h, err := r.tr.Next()
		if errors.Is(err, io.EOF) {
			if err := r.endOfArchive(); err != nil {
				return nil, nil, false, err
			}
			if err := r.drain(); err != nil {
				return nil, nil, false, err
			}
			if err := r.t.checkLinks(); err != nil {
				return nil, nil, false, err
			}
			return nil, nil, false, io.EOF
		}
		if err != nil {
			if errors.Is(err, ErrCorrupt) {
				return nil, nil, false, err
			}
			return nil, nil, false, corrupt("tar", err)
		}
		r.headers++
		r.dataEnd = -1 // unknown
		if n := dataLen(h); n >= 0 {
			r.dataEnd = r.tail.n + n
		}
		e, parents, replaces, err := r.check(h)
		if err != nil || e != nil {
			return e, parents, replaces, err
		}
	}
}

// check validates one header against the rules in the package comment and
// records it in the tree. A nil entry with a nil error is one to skip.
func (r *reader) check(h *tar.Header) (*Entry, []string, bool, error) {
	e := &Entry{Mode: h.FileInfo().Mode() & permBits, ModTime: h.ModTime}
	switch h.Typeflag {
	case tar.TypeReg, '\x00':
		e.Type, e.Size = TypeFile, h.Size
	case tar.TypeDir:
		e.Type = TypeDir
	case tar.TypeSymlink:
		e.Type, e.Link = TypeSymlink, h.Linkname
	case tar.TypeLink:
		e.Type = TypeHardlink
	case tar.TypeXGlobalHeader:
		return nil, nil, false, nil // pax metadata for the whole archive, no file
	case tar.TypeChar, tar.TypeBlock:
		return nil, nil, false, unsupported(h.Name, "device node")
	case tar.TypeFifo:
		return nil, nil, false, unsupported(h.Name, "fifo")
	case tar.TypeGNUSparse:
		return nil, nil, false, unsupported(h.Name, "sparse file")
	default:
		return nil, nil, false, unsupported(h.Name, "entry type %q", h.Typeflag)
	}
	name, err := cleanName(h.Name)
	if err != nil {
		return nil, nil, false, err
	}
	if name == "" {
		if e.Type == TypeDir {
			return nil, nil, false, nil // "./": the destination itself
		}
		return nil, nil, false, unsafeEntry(h.Name, "a %s in place of the tree's root", e.Type)
	}
	e.Name = name
	parents, err := r.t.parents(h.Name, name)
	if err != nil {
		return nil, nil, false, err
	}
	for _, p := range parents {
		r.t.kinds[p] = kindDir
	}
	switch e.Type {
	case TypeSymlink:
		if e.Link == "" {
			return nil, nil, false, unsafeEntry(h.Name, "symlink with an empty target")
		}
		if e.Link[0] == '/' {
			return nil, nil, false, unsafeEntry(h.Name, "symlink to the absolute path %q", e.Link)
		}
	case TypeHardlink:
		link, err := cleanName(h.Linkname)
		if err != nil || link == "" {
			return nil, nil, false, unsafeEntry(h.Name, "hard link to %q, outside the tree", h.Linkname)
		}
		if r.t.kinds[link] != kindFile || link == name {
			return nil, nil, false, unsafeEntry(h.Name, "hard link to %q, which is not a regular file earlier in the archive", h.Linkname)
		}
		e.Link = link
	}
	old := r.t.kinds[name]
	switch {
	case old == kindDir && e.Type != TypeDir:
		return nil, nil, false, unsupported(h.Name, "a %s in place of a directory", e.Type)
	case old != 0 && old != kindDir && e.Type == TypeDir:
		return nil, nil, false, unsupported(h.Name, "a directory in place of a non-directory")
	}
	delete(r.t.links, name)
	switch e.Type {
	case TypeDir:
		r.t.kinds[name] = kindDir
	case TypeSymlink:
		r.t.kinds[name] = kindSymlink
		r.t.links[name] = e.Link
	default:
		r.t.kinds[name] = kindFile
	}
	return e, parents, old != 0 && old != kindDir, nil
}

// Walk reads the gzip-compressed tar r and calls fn for each entry, with
// the content of regular files, applying the same checks as Extract and
// writing nothing. It returns the first refusal, read error or fn error.
func Walk(ctx context.Context, r io.Reader, fn func(e *Entry, content io.Reader) error) error {
	rd, err := newReader(ctx, r)
	if err != nil {
		return err
	}
	defer rd.close()
	for {
		e, _, _, err := rd.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var content io.Reader = eofReader{}
		if e.Type == TypeFile {
			content = rd.tr
		}
		if err := fn(e, content); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return corrupt(fmt.Sprintf("entry %q", e.Name), err)
			}
			return err
		}
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// dataLen is how many bytes of the stream follow h's header as its
// content, padding included. archive/tar reads none for the header-only
// types, whatever their size field says. For a PAX sparse file the stream
// holds less than its size; then where its data ends is not known here,
// and only the zero end blocks are checked.
func dataLen(h *tar.Header) int64 {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return -1
		}
	}
	switch h.Typeflag {
	case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
		return 0
	}
	return (h.Size + blockLen - 1) / blockLen * blockLen
}
