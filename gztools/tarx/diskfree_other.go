//go:build !illumos

package tarx

import "syscall"

// diskFree is the space available to us on the filesystem holding dir.
func diskFree(dir string) (int64, error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return 0, err
	}
	return int64(s.Bavail) * int64(s.Bsize), nil
}
