package node

import "golang.org/x/sys/unix"

// FreeSpace is the free and total space of the filesystem holding dir.
func FreeSpace(dir string) (free, total int64, err error) {
	var s unix.Statvfs_t
	if err := unix.Statvfs(dir, &s); err != nil {
		return 0, 0, err
	}
	return int64(s.Bavail) * int64(s.Frsize), int64(s.Blocks) * int64(s.Frsize), nil
}
