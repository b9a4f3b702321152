package keysync

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cntools/internal/atomicfile"
	"cntools/usbkey/keycopy"
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

// encodeListing writes a listing in canonical form
// (keycopy.EncodeListing): the form a target's usbkey-state hashes its
// own listing in (keycopy.List). The target's lock is left out.
func encodeListing(now map[string]*manifest.Entry, temps []string) []byte {
	lines := make([]keycopy.Line, 0, len(now)+len(temps))
	for _, e := range now {
		lines = append(lines, keycopy.Line{Type: e.Type, Mode: e.Mode, Size: e.Size, MTime: e.MTime.Unix(), Path: e.Path, Target: e.Target})
	}
	for _, t := range temps {
		lines = append(lines, keycopy.Line{Type: keycopy.TypeTemp, Path: t})
	}
	return keycopy.EncodeListing(lines)
}

// decodeListing reads what encodeListing wrote, keyed as a listing is.
func decodeListing(b []byte) (map[string]*manifest.Entry, error) {
	lines, err := keycopy.DecodeListing(b)
	if err != nil {
		return nil, err
	}
	now := make(map[string]*manifest.Entry, len(lines))
	for _, l := range lines {
		now[key(l.Path)] = &manifest.Entry{Type: l.Type, Mode: l.Mode, Size: l.Size, MTime: time.Unix(l.MTime, 0).UTC(), Path: l.Path, Target: l.Target}
	}
	return now, nil
}

// targetState is what State printed: hex hashes, manifest "-" for none.
type targetState struct{ listing, manifest string }

// parseState reads the line State printed; ok is false for anything
// else (an older or newer toolkit on the target).
func parseState(l string) (st targetState, ok bool) {
	f := strings.Fields(l)
	if len(f) != 3 || f[0] != keycopy.StateTag || !isSHA256Hex(f[1]) || f[2] != "-" && !isSHA256Hex(f[2]) {
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
