package gztools

import "golang.org/x/sys/unix"

// syncAll flushes every filesystem before a swap, so that a power loss
// after the renames cannot leave renamed but empty files: the extractor
// does not sync file by file (neither does tar), and one sync is far
// cheaper than thousands.
func syncAll() error {
	unix.Sync()
	return nil
}
