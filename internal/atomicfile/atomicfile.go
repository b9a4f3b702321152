package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// File is a file being written under a temporary name. Nothing is visible
// under the final name until Commit returns nil.
type File struct {
	f       *os.File
	path    string // final name
	tmp     string // temporary name, removed by Abort
	written int64
	mtime   time.Time
	done    bool
}

// Create starts writing the file that will be called path. The file gets
// exactly perm, whatever the umask: the callers install tools and key files
// whose modes are part of what is verified afterwards.
//
// Callers defer Abort, so that every early return removes the temporary file.
func Create(path string, perm fs.FileMode) (*File, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s: is a directory: remove it or choose another name", path)
	}
	dir, base := filepath.Split(path)
	if base == "" {
		return nil, fmt.Errorf("%q: no file name", path)
	}
	if err := CheckName(base); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	// Temporary files of this name that a killed writer left behind go
	// now: the file is being written again, and nothing else would ever
	// remove them. (Concurrent writers of one file are not supported.)
	if stale, err := filepath.Glob(filepath.Join(dir, escapeGlob(tempPrefix(base))+"*")); err == nil {
		for _, p := range stale {
			if IsTemp(filepath.Base(p)) {
				os.Remove(p)
			}
		}
	}
	// O_EXCL with a random suffix: two writers of the same file never share
	// a temporary file, and a leftover from a crash is never reused.
	for range 10 {
		tmp := filepath.Join(dir, TempName(base))
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: create temporary file: %w", path, err)
		}
		af := &File{f: f, path: path, tmp: tmp}
		if err := f.Chmod(perm); err != nil {
			af.Abort()
			return nil, fmt.Errorf("%s: chmod temporary file: %w", path, err)
		}
		return af, nil
	}
	return nil, fmt.Errorf("%s: create temporary file: ten random names already taken: remove the .%s.tmp-* files beside it", path, base)
}

// escapeGlob quotes the characters filepath.Match treats specially.
func escapeGlob(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(s)
}

// IsTemp reports whether name (a base name) is one of Create's temporary
// files: one a killed writer left behind, never a file of its own. It
// matches what the regular expression `^\..+\.tmp-[0-9a-f]{12}$` does
// (a test holds it to that), written out: every entry of a listing is
// asked, and compiling the expression was a quarter of the start of a
// target's usbkey-state.
func IsTemp(name string) bool {
	const tail = len(".tmp-") + 12
	if len(name) < 2+tail || name[0] != '.' || name[len(name)-tail:len(name)-12] != ".tmp-" {
		return false
	}
	for _, c := range []byte(name[len(name)-12:]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	// The expression's "." is any character but a newline.
	return !strings.Contains(name[1:len(name)-tail], "\n")
}

// TempName is the name a write of the slash-separated path p goes under
// until it is renamed into place: beside it, hidden, holding its name, and
// unguessable so two writers never share one. IsTemp knows it, so what a
// killed writer left is never taken for content; every writer of a tree,
// local or over SFTP, uses it.
func TempName(p string) string {
	var b [6]byte
	rand.Read(b[:]) // crypto/rand.Read never returns an error
	dir, base := path.Split(p)
	return dir + tempPrefix(base) + hex.EncodeToString(b[:])
}

// MaxName is the longest file name, in bytes, that the filesystems a copy
// lives on hold: NAME_MAX of ZFS, UFS, tmpfs and ext4. A FAT key holds
// longer ones (255 UTF-16 units can be 765 bytes of UTF-8).
const MaxName = 255

// tempSuffix is what TempName adds after the name: ".tmp-" and 12 hex
// digits; the name gets a leading dot too.
const tempSuffix = len(".tmp-") + 12

// tempPrefix is the temporary name of base without its random part:
// ".NAME.tmp-", NAME cut (at a character, so the name stays UTF-8) so that
// the whole temporary name fits in MaxName. A name near the limit could
// otherwise never be written: its temporary name would be too long (over
// SFTP the error is a bare "Bad message").
func tempPrefix(base string) string {
	limit := MaxName - 1 - tempSuffix
	if len(base) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = base[:cut]
	}
	return "." + base + ".tmp-"
}

// CheckName refuses a file name (a base name) longer than MaxName, which
// no write could ever create, with what to do about it.
func CheckName(base string) error {
	if len(base) > MaxName {
		return fmt.Errorf("file name %q is %d bytes, over the %d a file name can have on this filesystem: rename it in the source (or leave it out) and run again", shorten(base), len(base), MaxName)
	}
	return nil
}

// shorten keeps an error about a long name readable.
func shorten(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 60
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.f == nil {
		return 0, fmt.Errorf("BUG: %s: write after commit or abort", f.path)
	}
	n, err := f.f.Write(p)
	f.written += int64(n)
	if err != nil {
		return n, fmt.Errorf("%s: write: %w", f.path, err)
	}
	return n, nil
}

// Name returns the final name.
func (f *File) Name() string { return f.path }

// SetModTime makes Commit give the file modification time t before it is
// renamed, so the final name never shows the right content with the wrong
// time (which a manifest comparison would report as drift).
func (f *File) SetModTime(t time.Time) { f.mtime = t }

// Commit makes the written content visible under the final name.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("BUG: %s: commit after commit or abort", f.path)
	}
	defer f.Abort()
	// The size check catches a filesystem that took fewer bytes than it
	// acknowledged (a full pcfs key has done this) before the rename makes
	// the short file the real one.
	fi, err := f.f.Stat()
	if err != nil {
		return fmt.Errorf("%s: stat temporary file: %w", f.path, err)
	}
	if fi.Size() != f.written {
		return fmt.Errorf("%s: temporary file holds %d bytes, %d were written: check free space", f.path, fi.Size(), f.written)
	}
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("%s: sync: %w", f.path, err)
	}
	// Close before rename: some filesystems report write errors only at
	// close, and a rename must not publish a file whose close failed.
	err = f.f.Close()
	f.f = nil
	if err != nil {
		return fmt.Errorf("%s: close: %w", f.path, err)
	}
	if !f.mtime.IsZero() {
		if err := os.Chtimes(f.tmp, f.mtime, f.mtime); err != nil {
			return fmt.Errorf("%s: set modification time: %w", f.path, err)
		}
	}
	if err := os.Rename(f.tmp, f.path); err != nil {
		return fmt.Errorf("%s: rename into place: %w", f.path, err)
	}
	f.done = true
	return syncDir(filepath.Dir(f.path))
}

// Abort removes the temporary file. It does nothing after Commit succeeded,
// so it can always be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.f != nil {
		f.f.Close()
		f.f = nil
	}
	os.Remove(f.tmp)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("%s: open directory to sync: %w", dir, err)
	}
	defer d.Close()
	// Some filesystems cannot sync a directory and say so; the rename has
	// happened and there is nothing more a caller could do about it.
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("%s: sync directory: %w", dir, err)
	}
	return nil
}

// WriteFile writes data to path atomically with mode perm.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}
