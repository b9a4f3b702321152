package gztools

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"cntools/internal/tarx"
)

// checkStagedLinks follows every symlink the tarball put in the staged
// tree as the kernel will once the tree is swapped into dest: through the
// links kept from the live tree (keepOld) and through what dest holds
// beside the tarball's top-level names. tarx judged the archive's links
// against the archive alone, and a link the live tree kept changes where
// they lead: image A's lib/up -> .. makes image B's lib/x -> up/../etc
// point outside dest. A link that leaves dest refuses the tarball, as
// tarx would (tarx.ErrUnsafe); the links kept are the node's own and are
// not judged.
func checkStagedLinks(dest, tree string, tops, kept []string) error {
	isTop := map[string]bool{}
	for _, t := range tops {
		isTop[t] = true
	}
	isKept := map[string]bool{}
	for _, k := range kept {
		isKept[k] = true
	}
	// disk is where the entry at the dest-relative components rel is
	// now: in the staged tree for the names being swapped in, in dest
	// for the rest.
	disk := func(rel []string) string {
		if isTop[rel[0]] {
			return filepath.Join(append([]string{tree}, rel...)...)
		}
		return filepath.Join(append([]string{dest}, rel...)...)
	}
	return filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		rel = filepath.ToSlash(rel)
		if isKept[rel] {
			return nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		var dir []string
		if d := path.Dir(rel); d != "." {
			dir = strings.Split(d, "/")
		}
		if _, reason := tarx.Follow(dir, target, func(cur []string) (string, bool, error) {
			fi, err := os.Lstat(disk(cur))
			if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				return "", false, nil
			}
			next, err := os.Readlink(disk(cur))
			return next, true, err
		}); reason != "" {
			return &tarx.EntryError{Name: rel, Err: tarx.ErrUnsafe,
				Reason: fmt.Sprintf("symlink to %q %s once installed, through what %s already holds: remove that link from %s (or the entry from the tarball) and run again", target, reason, dest, dest)}
		}
		return nil
	})
}
