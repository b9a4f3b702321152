//go:build !illumos

package device

import (
	"io"
	"os"
)

// deviceSize returns the size of a block device: Linux and the BSDs report it
// as the offset of the end.
func deviceSize(f *os.File) (int64, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return size, nil
}
