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
	"strings"

	"cntools/internal/atomicfile"
	"cntools/usbkey/manifest"
)

// A target's manifest is about 190 bytes a file: reading and writing it
// whole on every sync was most of what a sync with nothing to do sent.
// So this host keeps a copy of the manifest it last left on each target
// (beside the hash cache, 0600), and a sync
//   - hashes the target's manifest on the target (one command, with the
//     verification method) and uses the copy only when the hashes match,
//     reading the target's otherwise: what the target holds decides,
//     never the copy alone;
//   - writes the target's manifest only when its bytes change, under a
//     temporary name renamed into place, still last: a cut sync leaves the
//     last complete manifest, which never claims more than the last sync
//     finished;
//   - sends only the lines that changed when it can (putDelta), as a sed
//     script that makes the new manifest from the old on the target; the
//     result takes the manifest's name only if it hashes as the manifest
//     meant does, else the manifest is written whole.

// localCopy is where this host keeps the manifest it last left on the
// target name; "" when there is no hash cache to keep it beside.
func (o Options) localCopy(name string) string {
	if o.CachePath == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimSuffix(o.CachePath, ".json") + ".target-" + hex.EncodeToString(sum[:8]) + ".json"
}

// lastManifest reads the manifest the last sync left, and its bytes; nil
// when there is none (the first sync).
//
// A manifest that holds the source's manifest byte for byte is the
// source's: it is not decoded (a no-op sync's most costly step was
// decoding a manifest identical to the one it had just built).
func (x *executor) lastManifest(ctx context.Context, st targetState, stOK bool) (*manifest.Manifest, []byte, error) {
	b, err := x.lastBytes(ctx, st, stOK)
	if b == nil || err != nil {
		return nil, nil, err
	}
	if src, err := x.source.bytes(); err == nil && bytes.Equal(src, b) {
		return x.source.m, b, nil
	}
	m, err := manifest.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w; remove it on the target and sync again (every file is then hashed there)", x.r.abs(ManifestFile), err)
	}
	return m, b, nil
}

// lastBytes returns the target's manifest: this host's copy when the
// target's hashes the same (as its state says, or a hashing command
// there), else read over SFTP.
func (x *executor) lastBytes(ctx context.Context, st targetState, stOK bool) ([]byte, error) {
	if stOK && st.manifest == "-" {
		return nil, nil
	}
	if local := x.o.localCopy(x.res.Target); local != "" && (stOK || x.method != VerifyReadBack) {
		if b, err := os.ReadFile(local); err == nil {
			h := sha256.Sum256(b)
			sum := hex.EncodeToString(h[:])
			if stOK && st.manifest == sum {
				x.lastLocal = true
				return b, nil
			}
			if !stOK {
				got, err := x.r.runHash(ctx, x.method, []string{ManifestFile})
				if err == nil && got[ManifestFile] == sum {
					x.lastLocal = true
					return b, nil
				}
			}
		}
	}
	if err := x.r.need(); err != nil {
		return nil, err
	}
	f, err := x.r.tree.Open(ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, x.r.explain(err)
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, f); err != nil {
		return nil, x.r.wrap("read", x.r.abs(ManifestFile), err)
	}
	return b.Bytes(), nil
}

// putManifest writes m as the target's manifest unless the target's
// already holds those bytes, and keeps this host's copy of it. It returns
// the bytes written to the target.
func (x *executor) putManifest(ctx context.Context, m *manifest.Manifest) (int64, error) {
	var b []byte
	if m == x.source.m {
		var err error
		if b, err = x.source.bytes(); err != nil {
			return 0, err
		}
	} else {
		var buf bytes.Buffer
		if err := m.Encode(&buf); err != nil {
			return 0, err
		}
		b = buf.Bytes()
	}
	same := bytes.Equal(b, x.lastRaw)
	if same && x.lastLocal {
		return 0, nil // the target's and this host's copy hold it already
	}
	var n int64
	if !same {
		if err := x.r.need(); err != nil {
			return 0, err
		}
		var ok bool
		if n, ok = x.putDelta(ctx, b); !ok {
			if err := x.r.putManifest(b); err != nil {
				return 0, err
			}
			n = int64(len(b))
		}
	}
	if local := x.o.localCopy(x.res.Target); local != "" {
		old, _ := os.ReadFile(local)
		if !bytes.Equal(old, b) {
			err := os.MkdirAll(filepath.Dir(local), 0o755)
			if err == nil {
				// 0600: it holds the hash of every file, private/'s too.
				err = atomicfile.WriteFile(local, b, 0o600)
			}
			if err != nil {
				x.o.Log.Warn("local copy of the target's manifest not saved: the next sync reads the target's", "target", x.res.Target, "path", local, "err", err)
			}
		}
	}
	return n, nil
}

// putManifest writes b as the target's manifest under a temporary name
// and renames it into place: the last write of a sync.
func (r *remote) putManifest(b []byte) error {
	n := int64(len(b))
	tmp := atomicfile.TempName(ManifestFile)
	f, err := r.sftp.OpenFile(r.abs(tmp), os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return r.wrap("create", r.abs(tmp), err)
	}
	// err is the function's: the write error must reach the check below,
	// or a short manifest would be renamed over the real one.
	// 0600: the manifest holds the hash of every file, private/'s too.
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.ReadFrom(sized{bytes.NewReader(b), n})
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.sftp.PosixRename(r.abs(tmp), r.abs(ManifestFile))
	}
	if err != nil {
		r.sftp.Remove(r.abs(tmp))
		return r.wrap("write", r.abs(ManifestFile), r.explainWrite(err, n))
	}
	return nil
}

// maxDelta bounds the sed script sent in place of a whole manifest.
const maxDelta = 64 << 10

// putDelta makes b the target's manifest from the one it holds
// (x.lastRaw), sending only the lines between the first and the last that
// differ, as a sed script run on the target into a temporary file that is
// renamed into place only if it hashes as b does. It reports false, having
// changed nothing, when it could not, and the caller writes b whole.
func (x *executor) putDelta(ctx context.Context, b []byte) (int64, bool) {
	if x.lastRaw == nil || x.method == VerifyReadBack {
		return 0, false
	}
	script, ok := sedScript(x.lastRaw, b)
	if !ok || len(script) > maxDelta {
		return 0, false
	}
	tmp := atomicfile.TempName(ManifestFile)
	// umask 077: the manifest holds the hash of every file, so 0600.
	cmd := "cd " + quote(x.r.root) + " && umask 077 && sed -e " + quote(script) + " ./" + ManifestFile + " > " + quote("./"+tmp)
	sum := sha256.Sum256(b)
	err := x.r.client.Run(ctx, cmd, io.Discard)
	if err == nil {
		var got map[string]string
		if got, err = x.r.runHash(ctx, x.method, []string{tmp}); err == nil && got[tmp] != hex.EncodeToString(sum[:]) {
			err = errors.New("the result does not hash as the manifest meant")
		}
	}
	if err == nil {
		err = x.r.sftp.PosixRename(x.r.abs(tmp), x.r.abs(ManifestFile))
	}
	if err != nil {
		x.r.remove(manifest.Entry{Path: tmp})
		x.o.Log.Debug("manifest delta not applied: writing it whole", "target", x.res.Target, "err", err)
		return 0, false
	}
	// The manifest bytes sent are the script's; the command around it
	// (the target's path) is counted with the rest in the wire bytes.
	return int64(len(script)), true
}

// sedScript is the POSIX sed script that turns the lines of old into those
// of new by replacing the lines between the first and the last that
// differ. illumos sed reads a/c text a line of up to _POSIX2_LINE_MAX
// (2048) bytes at a time and drops its leading blanks (illumos-joyent
// usr/src/cmd/sed/compile.c:718-753): a manifest line is some 200 bytes
// and starts with '{', and putDelta hashes the result before using it. It reports false when old and new share no first line (the
// manifest's header), which the script needs as its anchor.
func sedScript(old, new []byte) (string, bool) {
	o, n := lines(old), lines(new)
	p := 0
	for p < len(o) && p < len(n) && o[p] == n[p] {
		p++
	}
	q := 0
	for q < len(o)-p && q < len(n)-p && o[len(o)-1-q] == n[len(n)-1-q] {
		q++
	}
	gone, added := o[p:len(o)-q], n[p:len(n)-q]
	text := func() string {
		var t strings.Builder
		for i, l := range added {
			if i > 0 {
				t.WriteString("\\\n")
			}
			t.WriteString(strings.ReplaceAll(l, `\`, `\\`))
		}
		return t.String()
	}
	switch {
	case p == 0 || len(gone) == 0 && len(added) == 0:
		return "", false
	case len(gone) == 0:
		return fmt.Sprintf("%da\\\n%s", p, text()), true
	case len(added) == 0:
		return fmt.Sprintf("%d,%dd", p+1, p+len(gone)), true
	}
	return fmt.Sprintf("%d,%dc\\\n%s", p+1, p+len(gone), text()), true
}

// lines splits b into its lines, without their newlines; a last line
// without one is a line too.
func lines(b []byte) []string {
	s := strings.Split(string(b), "\n")
	if s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}
