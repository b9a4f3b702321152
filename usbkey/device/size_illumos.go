//go:build illumos

package device

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// From illumos <sys/dkio.h> and <sys/syscall.h>. Seek to the end does not
// work on illumos disk devices (specfs reports no size), so ask the driver as
// disk_size(1) does.
const (
	dkioc           = 0x04 << 8
	dkiocGMediaInfo = dkioc | 42 // DKIOCGMEDIAINFO
	sysIoctl        = 54         // SYS_ioctl
)

// dkMinfo is struct dk_minfo.
type dkMinfo struct {
	MediaType uint32 // dki_media_type
	LBSize    uint32 // dki_lbsize: logical block size in bytes
	Capacity  uint64 // dki_capacity: size in logical blocks
}

// deviceSize returns dki_capacity * dki_lbsize, and dki_lbsize as the sector
// size that raw I/O must be made of. x/sys/unix has no ioctl that takes an
// arbitrary pointer on illumos, so this goes through syscall(2).
func deviceSize(f *os.File) (size, sector int64, err error) {
	mi := new(dkMinfo) // on the heap, so it cannot move during the call
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(sysIoctl, fd, dkiocGMediaInfo, uintptr(unsafe.Pointer(mi)))
	})
	runtime.KeepAlive(mi)
	if err != nil {
		return 0, 0, err
	}
	if errno != 0 {
		return 0, 0, fmt.Errorf("DKIOCGMEDIAINFO: %w", errno)
	}
	if mi.LBSize == 0 || mi.Capacity > math.MaxInt64/uint64(mi.LBSize) {
		return 0, 0, fmt.Errorf("DKIOCGMEDIAINFO: implausible %d blocks of %d bytes", mi.Capacity, mi.LBSize)
	}
	return int64(mi.Capacity) * int64(mi.LBSize), int64(mi.LBSize), nil
}
