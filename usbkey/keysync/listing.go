package keysync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"cntools/internal/atomicfile"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// Listing a target over SFTP costs about 110 bytes and a share of a round
// trip a file (sftp-server sends an ls -l line with every entry), which
// was nearly all a sync with nothing to send moved. So a sync that left a
// target as it foresaw keeps, beside its copy of the target's manifest,
// the listing the target then had, in the canonical form below; the next
// sync asks the target for the SHA-256 of its own listing in that form
// (`usbkey-sync state DIR`, which cn_tools.tar.gz installs on every CN),
// and uses the kept listing only when the two hashes are equal. The
// target's answer decides, never the kept copy: a listing foreseen wrong,
// a file changed on the target, a leftover temporary file or an older
// toolkit there all make the hashes differ or the command fail, and the
// sync lists over SFTP as before. Every field the plan reads from a
// listing (path, type, mode, size, mtime to the second, symlink target) is
// in the form, so equal hashes leave nothing for SFTP to tell.

// listingHeader starts the canonical form; a target printing another
// version is listed over SFTP.
const listingHeader = "cntools-listing 1\n"

// stateTag starts the line State prints.
const stateTag = "cntools-state/1"

// encodeListing writes a listing in canonical form: sorted by path, one
// entry a line, `TYPE MODE SIZE MTIME "PATH" "TARGET"`, Go-quoted, so
// any name is one line; temporary files as type temp. The target's lock
// is left out: a sync holds it while the target lists itself.
func encodeListing(now map[string]*manifest.Entry, temps []string) []byte {
	es := make([]*manifest.Entry, 0, len(now)+len(temps))
	for _, e := range now {
		if e.Path != keytree.LockName {
			es = append(es, e)
		}
	}
	for _, t := range temps {
		es = append(es, &manifest.Entry{Path: t, Type: "temp", MTime: time.Unix(0, 0)})
	}
	slices.SortFunc(es, func(a, b *manifest.Entry) int { return strings.Compare(a.Path, b.Path) })
	b := make([]byte, 0, len(listingHeader)+len(es)*96)
	b = append(b, listingHeader...)
	for _, e := range es {
		b = append(b, e.Type...)
		b = append(b, ' ')
		b = append(b, manifest.FormatMode(e.Mode)...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, e.Size, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, e.MTime.Unix(), 10)
		b = append(b, ' ')
		b = strconv.AppendQuote(b, e.Path)
		b = append(b, ' ')
		b = strconv.AppendQuote(b, e.Target)
		b = append(b, '\n')
	}
	return b
}

// decodeListing reads what encodeListing wrote, keyed as a listing is.
func decodeListing(b []byte) (map[string]*manifest.Entry, error) {
	rest, ok := bytes.CutPrefix(b, []byte(listingHeader))
	if !ok {
		return nil, errors.New("not a cntools listing")
	}
	now := map[string]*manifest.Entry{}
	for n := 2; len(rest) > 0; n++ {
		line, after, ok := bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return nil, fmt.Errorf("line %d: no newline", n)
		}
		rest = after
		e, err := decodeEntry(string(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		now[key(e.Path)] = e
	}
	return now, nil
}

func decodeEntry(l string) (*manifest.Entry, error) {
	f := strings.SplitN(l, " ", 5)
	if len(f) != 5 {
		return nil, errors.New("too few fields")
	}
	e := &manifest.Entry{Type: f[0]}
	switch e.Type {
	case manifest.TypeFile, manifest.TypeDir, manifest.TypeSymlink, "special":
	default:
		return nil, fmt.Errorf("type %q", e.Type)
	}
	var err error
	if e.Mode, err = manifest.ParseMode(f[1]); err != nil {
		return nil, err
	}
	if e.Size, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return nil, fmt.Errorf("size: %w", err)
	}
	sec, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("mtime: %w", err)
	}
	e.MTime = time.Unix(sec, 0).UTC()
	q, err := strconv.QuotedPrefix(f[4])
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	e.Path, _ = strconv.Unquote(q)
	tq, ok := strings.CutPrefix(f[4][len(q):], " ")
	if !ok {
		return nil, errors.New("no target")
	}
	if e.Target, err = strconv.Unquote(tq); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return e, nil
}

// State prints what a sync asks of a target, run there on its standby copy
// dir: stateTag, the SHA-256 of the copy's listing in canonical form, and
// the SHA-256 of its manifest ("-" when it has none).
func State(ctx context.Context, dir string, w io.Writer) error {
	t := keytree.Dir(dir)
	now, temps, err := listTree(ctx, t.ReadDir, scope{}, DefaultFiles)
	if err != nil {
		return err
	}
	listing := sha256.Sum256(encodeListing(now, temps))
	man := "-"
	f, err := t.Open(ManifestFile)
	switch {
	case err == nil:
		man, err = sumOf(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	_, err = fmt.Fprintf(w, "%s %x %s\n", stateTag, listing, man)
	return err
}

// targetState is what State printed: hex hashes, manifest "-" for none.
type targetState struct{ listing, manifest string }

// parseState reads the line State printed; ok is false for anything
// else (an older or newer toolkit on the target).
func parseState(l string) (st targetState, ok bool) {
	f := strings.Fields(l)
	if len(f) != 3 || f[0] != stateTag || !isSHA256Hex(f[1]) || f[2] != "-" && !isSHA256Hex(f[2]) {
		return st, false
	}
	return targetState{listing: f[1], manifest: f[2]}, true
}

func isSHA256Hex(s string) bool { return len(s) == 64 && isHex(s) }

// listingCopy is where this host keeps the listing it foresaw for the
// target name, beside its copy of the manifest.
func (o Options) listingCopy(name string) string {
	local := o.localCopy(name)
	if local == "" {
		return ""
	}
	return strings.TrimSuffix(local, ".json") + ".listing"
}

// keptListing decodes b, the listing kept here for the target, when the
// target says it still lists so (st), filtered to what sc looks at; nil
// otherwise.
func (x *executor) keptListing(st targetState, b []byte) map[string]*manifest.Entry {
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != st.listing {
		x.o.Log.Debug("target changed since the last sync: listing it", "target", x.res.Target)
		return nil
	}
	now, err := decodeListing(b)
	if err != nil {
		x.o.Log.Warn("kept listing unreadable: listing the target", "target", x.res.Target, "err", err)
		return nil
	}
	for k, e := range now {
		if !x.sc.walk(e.Path) {
			delete(now, k)
		}
	}
	x.o.Log.Debug("target unchanged since the last sync: its listing is the one kept", "target", x.res.Target, "entries", len(now))
	return now
}

// keepListing saves the listing the target has once this sync is done,
// when the sync can tell it (settled), and forgets the last one otherwise.
func (x *executor) keepListing() {
	local := x.o.listingCopy(x.res.Target)
	if local == "" || x.nowKept && x.idle() {
		return // a target left as it was still lists as kept
	}
	after := x.settled()
	if after == nil {
		if err := os.Remove(local); err != nil && !errors.Is(err, fs.ErrNotExist) {
			x.o.Log.Warn("stale listing not removed (harmless: the target's hash decides)", "path", local, "err", err)
		}
		return
	}
	b := encodeListing(after, nil)
	if bytes.Equal(x.keptRaw, b) {
		return
	}
	err := os.MkdirAll(filepath.Dir(local), 0o755)
	if err == nil {
		// 0600: it names every file, private/'s too.
		err = atomicfile.WriteFile(local, b, 0o600)
	}
	if err != nil {
		x.o.Log.Warn("listing not kept: the next sync lists the target", "target", x.res.Target, "path", local, "err", err)
	}
}

// idle reports whether the sync changed nothing on the target.
func (x *executor) idle() bool {
	return x.abort == nil && len(x.res.Failed) == 0 && len(x.p.lines()) == 0 && len(x.touched) == 0 && !x.dirsSet
}

// settled is the listing the target has after this sync, foreseen from
// what it listed and what the sync did: the source's entries take the
// source's type, mode, size and mtime (files are written so, directories
// set so last), made symlinks are as they were read back, deletions are
// gone, the rest is as listed. nil when the sync cannot tell: it looked
// at part of the tree, or something failed, conflicted or was kept.
func (x *executor) settled() map[string]*manifest.Entry {
	if x.sc.paths != nil || x.abort != nil || len(x.res.Failed) > 0 || len(x.res.Conflicting) > 0 || len(x.res.Kept) > 0 {
		return nil
	}
	out := make(map[string]*manifest.Entry, len(x.now)+len(x.src.Entries))
	for k, e := range x.now {
		if !x.deleted[k] {
			out[k] = e
		}
	}
	for i := range x.src.Entries {
		s := &x.src.Entries[i]
		k := key(s.Path)
		t := x.now[k]
		if t != nil && t.Path != s.Path {
			return nil // the target's name differs in case: it keeps its own
		}
		if s.Type == manifest.TypeSymlink {
			if made := x.madeLinks[k]; made != nil {
				out[k] = made
				continue
			}
			if t == nil || t.Type != manifest.TypeSymlink || t.Target != s.Target {
				return nil
			}
			continue // in step and untouched: as listed
		}
		e := manifest.Entry{Path: s.Path, Type: s.Type, Mode: s.Mode, MTime: s.MTime.UTC().Truncate(time.Second)}
		if s.Type == manifest.TypeFile {
			e.Size = s.Size
		}
		out[k] = &e
	}
	return out
}
