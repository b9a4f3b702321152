package keytree

import (
	"fmt"
	"io/fs"
	"strings"
)

// DefaultFileMode is what a file gets when its source has no permission
// bits to carry: generated content, a marker.
const DefaultFileMode fs.FileMode = 0o644

// FileMode is the mode a Writer gives the file p whose source has mode
// src: the source's permission bits, so a script keeps its exec bit and a
// 0600 file stays 0600; DefaultFileMode when the source has none. A file
// that holds secrets keeps only the owner's bits: a FAT key (whose files
// all read 0644) or an older copy must not make the copy world-readable,
// and only root reads it.
func FileMode(p string, src fs.FileMode) fs.FileMode {
	perm := src.Perm()
	if perm == 0 {
		perm = DefaultFileMode
	}
	if Secret(p) {
		perm &= 0o700
	}
	return perm
}

// DirMode is the mode a Writer gives a directory it makes at p: private/
// only for its owner, every other directory 0755.
func DirMode(p string) fs.FileMode {
	if Secret(p) {
		return 0o700
	}
	return 0o755
}

// secretDirs calls chmod for p and each of its parents that holds
// secrets, outermost first: MkdirAll leaves a directory that already
// existed as it was, and the umask can widen none but narrow the mode a
// new one got; a private/ made 0755 by an older run is closed here.
func secretDirs(p string, chmod func(string) error) error {
	cur := ""
	for _, part := range strings.Split(p, "/") {
		if cur == "" {
			cur = part
		} else {
			cur += "/" + part
		}
		if !Secret(cur) {
			return nil
		}
		if err := chmod(cur); err != nil {
			return fmt.Errorf("%s: chmod %o: %w", cur, DirMode(cur), err)
		}
	}
	return nil
}
