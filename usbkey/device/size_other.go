//go:build !illumos

package device

import (
	"io"
	"os"
)

// deviceSize returns the size of a block device, which Linux and the BSDs
// report as the offset of the end, and a sector size of 512. Their block
// devices are buffered and take any I/O; whole 512-byte sectors cost a little
// reading and keep one I/O path for every device.
func deviceSize(f *os.File) (size, sector int64, err error) {
	size, err = f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, err
	}
	return size, 512, nil
}
