//go:build linux

package device

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback has the kernel start writing [off, off+n) of f to the
// disk now rather than when its flusher gets to it, so that the flush
// that follows (a commit's, or the last one) waits for the tail of the
// copy, not for the whole of it. SYNC_FILE_RANGE_WRITE alone is
// WB_SYNC_NONE writeback that waits for no I/O (Linux fs/sync.c,
// ksys_sync_file_range; commits 23d0127096cb and c553ea4fdf27): it makes
// nothing durable and orders nothing, so every ordering still rests on
// Sync. A failure is left for Sync to report.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
