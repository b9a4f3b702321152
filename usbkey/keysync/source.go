package keysync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"

	"golang.org/x/sys/unix"
)

// SourceManifest manifests the part of o.Source that o.Paths names, using
// and updating the hash cache at o.CachePath, so that an unchanged source
// is listed but not read.
func SourceManifest(ctx context.Context, o Options) (*manifest.Manifest, error) {
	o = o.withDefaults()
	if err := checkSource(o.Source); err != nil {
		return nil, err
	}
	sc := newScope(o.Paths)
	var cache *manifest.Cache
	if o.CachePath != "" {
		var err error
		if cache, err = manifest.LoadCache(o.CachePath); err != nil {
			o.Log.Warn("hash cache ignored", "err", err)
			cache = &manifest.Cache{}
		}
	}
	m, err := manifest.Build(ctx, keytree.Dir(o.Source), manifest.Options{
		Cache:   cache,
		Exclude: func(p string) bool { return keycopy.Ours(p) || !sc.walk(p) },
	})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", o.Source, err)
	}
	if cache != nil && cache.Changed() {
		err := os.MkdirAll(filepath.Dir(o.CachePath), 0o755)
		if err == nil {
			err = cache.Save(o.CachePath)
		}
		if err != nil {
			o.Log.Warn("hash cache not saved", "path", o.CachePath, "err", err)
		}
	}
	return m, nil
}

// checkSource refuses a source that is not a directory.
func checkSource(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("source: %w; pass --from with the headnode's usbkey copy", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("source %s is not a directory", dir)
	}
	return nil
}

// sourceWait is the source's manifest, made while the targets are
// prepared; or, when the source's stamp is the one kept (stamp.go), only
// its hash, and the manifest made when something asks for it.
type sourceWait struct {
	done chan struct{}
	m    *manifest.Manifest
	err  error
	bad  atomic.Bool // the source could not be manifested

	stamped  bool   // only stampSum is known until build runs
	stampSum string // the manifest's hash, hex, from the stamp kept
	build    func() (*manifest.Manifest, error)
	built    sync.Once
	made     atomic.Bool // build ran and made m

	encoded sync.Once
	b       []byte // m as a manifest file holds it, once encoded
	sum     string // b's SHA-256, hex
	encErr  error
}

// get waits for the source's manifest, making it if only its stamp was
// read.
func (s *sourceWait) get() (*manifest.Manifest, error) {
	<-s.done
	if s.stamped {
		s.built.Do(func() {
			s.m, s.err = s.build()
			s.bad.Store(s.err != nil)
			s.made.Store(s.err == nil)
		})
	}
	return s.m, s.err
}

// bytes is the source's manifest as a target's manifest file holds it,
// encoded once for every target: a target whose manifest holds these bytes
// needs its own neither decoded nor rewritten.
func (s *sourceWait) bytes() ([]byte, error) {
	m, err := s.get()
	if err != nil {
		return nil, err
	}
	s.encoded.Do(func() {
		var b bytes.Buffer
		s.encErr = m.Encode(&b)
		s.b = b.Bytes()
		h := sha256.Sum256(s.b)
		s.sum = hex.EncodeToString(h[:])
	})
	return s.b, s.encErr
}

// sumIs reports whether the source's manifest, encoded, hashes as sum
// (hex): whether a target whose manifest hashes so holds it. Once a
// stamped source's manifest is made, that manifest answers: the source
// may have changed since it was stamped.
func (s *sourceWait) sumIs(sum string) bool {
	<-s.done
	if s.stamped && !s.made.Load() {
		return s.stampSum == sum
	}
	_, err := s.bytes()
	return err == nil && s.sum == sum
}

// failed reports whether the source could not be manifested: the targets
// stopped for it need not say so, Run's error does.
func (s *sourceWait) failed() bool { return s.bad.Load() }

// error is why the source could not be manifested, once every target is
// done with it; it makes nothing.
func (s *sourceWait) error() error {
	<-s.done
	if s.bad.Load() {
		return s.err
	}
	return nil
}

// deletableSource refuses Delete from a source without config: that is
// not the headnode's key (an unmounted /usbkey is an empty directory), and
// deleting what it lacks would empty every standby copy.
func deletableSource(src string) error {
	fi, err := os.Stat(filepath.Join(src, "config"))
	if err == nil && fi.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("--delete refused: source %s has no config, so it is not the headnode's usbkey (is the key mounted?) and deleting what it lacks would empty every standby copy: mount the key (sdc-usbkey mount) or pass --from with the headnode's usbkey copy", src)
}

// openSource opens the source's file p to send it: O_NOFOLLOW, so a file
// replaced by a symlink since it was manifested is refused rather than
// read through (a FIFO is refused too, without blocking: O_NONBLOCK,
// which a regular file ignores). Its content is still hashed on the
// target against the manifest before it takes its name.
func openSource(src, p string) (*os.File, error) {
	fd, err := unix.Open(filepath.Join(src, filepath.FromSlash(p)), unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w: sync again (it changed since it was listed)", p, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("source %s: no longer a regular file: sync again", p)
	}
	return os.NewFile(uintptr(fd), p), nil
}
