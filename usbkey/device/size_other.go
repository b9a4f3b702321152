//go:build !illumos && !linux

package device

import (
	"fmt"
	"os"
	"runtime"
)

// deviceSize refuses: cn-tools reads a disk's size and logical sector size
// only on illumos (DKIOCGMEDIAINFO) and Linux (BLKSSZGET), and a guessed
// 512 would lay a 4Kn disk out wrong.
func deviceSize(f *os.File) (size, sector int64, err error) {
	return 0, 0, fmt.Errorf("reading a disk's size and sector size is not supported on %s: write an image file and copy it to the disk", runtime.GOOS)
}
