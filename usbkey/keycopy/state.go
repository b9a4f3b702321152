package keycopy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// StateTag starts the line State prints.
const StateTag = "cntools-state/1"

// LockedTag starts the line Hold prints when another run holds the lock.
const LockedTag = "cntools-locked/1"

// State prints what a sync asks of a target, run there on its standby copy
// dir: StateTag, the SHA-256 of the copy's listing in canonical form, and
// the SHA-256 of its manifest ("-" when it has none).
func State(ctx context.Context, dir string, w io.Writer) error {
	listing, err := listingSum(ctx, dir)
	if err != nil {
		return err
	}
	man, err := manifestSum(dir)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s %x %s\n", StateTag, listing, man)
	return err
}

// manifestSum is the SHA-256 (hex) of the copy's manifest, "-" when it has
// none. A manifest that is not a regular file (a symlink, a FIFO) is
// refused, not read through.
func manifestSum(dir string) (string, error) {
	p := filepath.Join(dir, ManifestFile)
	var before, after unix.Stat_t
	switch err := unix.Lstat(p, &before); {
	case err == unix.ENOENT:
		return "-", nil
	case err != nil:
		return "", fmt.Errorf("%s: %w", p, err)
	case before.Mode&unix.S_IFMT != unix.S_IFREG:
		return "", fmt.Errorf("%s is not a regular file: move it away and sync again", p)
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("%s: %w: sync again", p, err)
	}
	f := os.NewFile(uintptr(fd), p)
	defer f.Close()
	if err := unix.Fstat(fd, &after); err != nil || after.Dev != before.Dev || after.Ino != before.Ino {
		return "", fmt.Errorf("%s was replaced while it was read: sync again", p)
	}
	sum, err := SumOf(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return sum, nil
}

// SumOf is the SHA-256 (hex) of what r holds, read through a small
// buffer: a manifest is read to be hashed, never held whole.
func SumOf(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Hold is what a sync runs on its target (`usbkey-state --hold DIR`, or
// `usbkey-sync state --hold DIR` where cn_tools is older): it refuses a
// dir CheckRoot refuses or that is not a directory, makes it when it is
// missing, takes the lock in dir (a lock left by a process gone from this
// node is taken over), prints the state line State prints, and holds the
// lock until stdin ends or ctx is done. When the lock is held by another
// run it prints LockedTag and the holder, quoted, and fails.
func Hold(ctx context.Context, dir string, stdin io.Reader, stdout io.Writer) error {
	if err := CheckRoot(Local{}, dir, dir); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// The first sync to this node: made as a sync over SFTP
		// makes it.
		if err = os.MkdirAll(dir, 0o755); err == nil {
			fi, err = os.Stat(dir)
		}
	}
	if err != nil {
		return fmt.Errorf("standby copy %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory: move it away, or sync to a directory of its own", dir)
	}
	unlock, err := LockDir(dir, dir, "usbkey-sync")
	var le *LockedError
	if errors.As(err, &le) {
		fmt.Fprintf(stdout, "%s %s\n", LockedTag, strconv.Quote(le.Holder))
		return err
	}
	if err != nil {
		return err
	}
	defer unlock()
	if err := State(ctx, dir, stdout); err != nil {
		return err
	}
	ended := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(ended)
	}()
	select {
	case <-ended:
	case <-ctx.Done():
	}
	return nil
}
