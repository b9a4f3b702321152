//go:build linux

package device

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// deviceSize returns the size of a block device, which Linux reports as the
// offset of the end, and its logical sector size (BLKSSZGET, what
// `blockdev --getss` prints): 4096 on a 4Kn disk. Linux block devices are
// buffered and take any I/O, but a key is laid out in logical sectors, so
// the caller must know them.
func deviceSize(f *os.File) (size, sector int64, err error) {
	size, err = f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, err
	}
	if size == 0 {
		return 0, 0, nil // no media, or not a disk: the caller says so
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var ss int
	var serr error
	if err := rc.Control(func(fd uintptr) { ss, serr = unix.IoctlGetInt(int(fd), unix.BLKSSZGET) }); err != nil {
		return 0, 0, err
	}
	if serr != nil {
		return 0, 0, fmt.Errorf("BLKSSZGET: %w: not a disk?", serr)
	}
	return size, int64(ss), nil
}
