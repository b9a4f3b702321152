package benchtable

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// warmTree reads every regular file at or under p, so that a side starts
// with its input in memory. This machine runs DAMON with a pageout scheme
// (kdamond, /sys/kernel/mm/damon/admin), which pages out memory it samples
// as cold, a few pages of a file read seconds before among them: a
// populate was seen waiting 122 ms for eight such reads of its source,
// and the peer pays the same at random. Both sides are warmed alike.
func warmTree(p string) error {
	buf := make([]byte, 1<<20)
	return filepath.WalkDir(p, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		// A bare Reader hides *os.File's WriteTo, which would hand the
		// copy to io.Discard's pooled 8 KiB reads instead of buf.
		_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
		return err
	})
}
