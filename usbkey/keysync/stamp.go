package keysync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"cntools/internal/atomicfile"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/manifest"
)

// A whole-tree sync needs the source's manifest only to compare it with
// each target's, and when nothing changed, only its hash: the target's
// state and the finding kept (idle.go) decide the rest. Building it loads
// the hash cache and makes, sorts and encodes an entry a file: on the
// 2-core test machine, 5,000 files, about half of a no-op sync's CPU on
// this host, much of it faulting in fresh memory. So a sync that built
// it keeps, beside the hash cache, the source's stamp: the SHA-256 of
// every lstat field a manifest of the source depends on (path, type and
// mode, size, mtime and ctime to the nanosecond, inode, symlink target),
// walked as keycopy.Walk walks a copy, and the hash of the manifest it
// built. The next sync walks the source again (one fstatat an entry) and,
// when the stamps are equal, takes the manifest's hash from it; the
// manifest itself is built only if something asks for it (a target not
// in step).
//
// The stamp is taken before the manifest is built, so a file changed
// between the two makes the next stamp differ. It is not kept when an
// entry's mtime or ctime is within manifest.RacyWindow of the walk, for
// the reason the hash cache does not trust such a file; and it names the
// executable (size and mtime) and manifest.Version, so another build of
// the toolkit, which might encode a manifest differently, never takes an
// old hash.

// stampHeader starts the stamp kept; another version is not read.
const stampHeader = "cntools-stamp 1"

// stampCopy is where this host keeps the source's stamp.
func (o Options) stampCopy() string {
	if o.CachePath == "" {
		return ""
	}
	return strings.TrimSuffix(o.CachePath, ".json") + ".stamp"
}

// stamp is a stamp kept: the source's stamp and the hash of the manifest
// built from the source it describes, by the build (binary) named.
type stamp struct {
	binary, source, manifest string
}

func (s stamp) encode() []byte {
	return fmt.Appendf(nil, "%s %s %s %s\n", stampHeader, s.binary, s.source, s.manifest)
}

func parseStamp(b []byte) (s stamp, ok bool) {
	rest, ok := strings.CutPrefix(string(b), stampHeader+" ")
	if !ok {
		return s, false
	}
	v := strings.Fields(rest)
	if len(v) != 3 || !isSHA256Hex(v[1]) || !isSHA256Hex(v[2]) || strings.ContainsAny(rest, "\r") || !strings.HasSuffix(rest, "\n") {
		return s, false
	}
	return stamp{binary: v[0], source: v[1], manifest: v[2]}, true
}

// thisBinary names this build of the toolkit: the manifest version it
// writes, the VCS revision it was built from (and whether the tree was
// modified), and the executable's size, inode, mtime and ctime (a tar
// upgrade keeps mtimes to the second; a new file has a new inode and
// ctime). "" when it cannot tell, which keeps no stamp.
func thisBinary() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	var st unix.Stat_t
	if err := unix.Stat(exe, &st); err != nil {
		return ""
	}
	rev := "norev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" && s.Value == "true" {
				rev += ":" + s.Value
			}
		}
	}
	return fmt.Sprintf("v%d:%s:%d:%d:%d:%d", manifest.Version, rev, st.Size, st.Ino, st.Mtim.Nano(), st.Ctim.Nano())
}

// stampSource walks the source dir as a whole-tree manifest of it does
// (less what a sync keeps for itself) and returns its stamp, hex, and
// whether an entry changed within manifest.RacyWindow of now.
func stampSource(ctx context.Context, dir string, now time.Time) (sum string, racy bool, err error) {
	h := sha256.New()
	limit := now.Add(-manifest.RacyWindow).UnixNano()
	buf := make([]byte, 0, 256)
	err = keycopy.Walk(ctx, dir, func(p string, st *unix.Stat_t, target string) bool {
		if keycopy.Ours(p) {
			return false
		}
		buf = binary.LittleEndian.AppendUint32(buf[:0], uint32(len(p)))
		buf = append(buf, p...)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(st.Mode))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(st.Size))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(st.Mtim.Nano()))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(st.Ctim.Nano()))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(st.Ino))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(target)))
		buf = append(buf, target...)
		h.Write(buf)
		if st.Mtim.Nano() > limit || st.Ctim.Nano() > limit {
			racy = true
		}
		return true
	})
	if err != nil {
		return "", false, fmt.Errorf("source %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), racy, nil
}

// keptStamp is the manifest hash the stamp kept at p gives for the
// source stamped sum by this build, if it does.
func keptStamp(p, binary, sum string) (string, bool) {
	if p == "" || binary == "" {
		return "", false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", false
	}
	s, ok := parseStamp(b)
	if !ok || s.binary != binary || s.source != sum {
		return "", false
	}
	return s.manifest, true
}

// keepStamp keeps s at p, unless it is kept already.
func keepStamp(p string, s stamp) error { return keepFile(p, s.encode()) }

// keepFile keeps b at p, this host's record of a sync (the source's
// stamp, a finding), unless p holds it already: atomically, and 0600, as
// it names the source's files, private/'s too.
func keepFile(p string, b []byte) error {
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, b, 0o600)
}
