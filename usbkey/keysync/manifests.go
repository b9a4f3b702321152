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
//     finished.

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
func (x *executor) lastManifest(ctx context.Context) (*manifest.Manifest, []byte, error) {
	b, err := x.lastBytes(ctx)
	if b == nil || err != nil {
		return nil, nil, err
	}
	m, err := manifest.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w; remove it on the target and sync again (every file is then hashed there)", x.r.abs(ManifestFile), err)
	}
	return m, b, nil
}

// lastBytes returns the target's manifest: this host's copy when the
// target's hashes the same, else read over SFTP.
func (x *executor) lastBytes(ctx context.Context) ([]byte, error) {
	if local := x.o.localCopy(x.res.Target); local != "" && x.res.Verified != VerifyReadBack {
		if b, err := os.ReadFile(local); err == nil {
			sum := sha256.Sum256(b)
			got, err := x.r.runHash(ctx, x.res.Verified, []string{ManifestFile})
			if err == nil && got[ManifestFile] == hex.EncodeToString(sum[:]) {
				return b, nil
			}
		}
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
func (x *executor) putManifest(m *manifest.Manifest) (int64, error) {
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		return 0, err
	}
	var n int64
	if !bytes.Equal(b.Bytes(), x.lastRaw) {
		if err := x.r.putManifest(b.Bytes()); err != nil {
			return 0, err
		}
		n = int64(b.Len())
	}
	if local := x.o.localCopy(x.res.Target); local != "" {
		old, _ := os.ReadFile(local)
		if !bytes.Equal(old, b.Bytes()) {
			err := os.MkdirAll(filepath.Dir(local), 0o755)
			if err == nil {
				// 0600: it holds the hash of every file, private/'s too.
				err = atomicfile.WriteFile(local, b.Bytes(), 0o600)
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
