package tarx

import (
	"path"
	"strings"
)

// maxHops bounds symlink resolution, as the kernel's MAXSYMLINKS does.
const maxHops = 40

// cleanName turns an archive name into a clean relative slash path, or
// refuses it. It returns "" for the archive's own root ("./").
func cleanName(name string) (string, error) {
	switch {
	case name == "":
		return "", unsafeEntry(name, "empty name")
	case strings.ContainsRune(name, 0):
		return "", unsafeEntry(name, "name holds a NUL byte")
	case strings.HasPrefix(name, "/"):
		return "", unsafeEntry(name, "absolute name")
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", unsafeEntry(name, `name has a ".." component`)
		}
	}
	c := path.Clean(name)
	if c == "." {
		return "", nil
	}
	return c, nil
}

// kind is what an extracted path is, as far as the archive made it.
type kind byte

const (
	kindDir kind = iota + 1
	kindFile
	kindSymlink
)

// tree is the archive's own view of what it has made so far. The
// destination starts empty, so this is also what is on disk, and checks
// against it need no system calls.
type tree struct {
	kinds map[string]kind
	links map[string]string // symlink name -> target
}

func newTree() *tree {
	return &tree{kinds: map[string]kind{}, links: map[string]string{}}
}

// parents returns the directories above name that do not exist yet, top
// first, or refuses name when one of its parents is a symlink or a file:
// writing below a symlink is how an archive reaches outside its tree.
func (t *tree) parents(orig, name string) ([]string, error) {
	var missing []string
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		p := name[:i]
		switch t.kinds[p] {
		case kindSymlink:
			return nil, unsafeEntry(orig, "it lies below the symlink %q", p)
		case kindFile:
			return nil, unsafeEntry(orig, "it lies below the file %q", p)
		case 0:
			missing = append(missing, p)
		}
	}
	return missing, nil
}

// checkLinks refuses the archive if any of its symlinks, followed through
// the archive's other symlinks as the kernel would follow them once the
// tree is in place, leaves the tree. It runs once every entry is known:
// a later symlink can change where an earlier one leads.
func (t *tree) checkLinks() error {
	for name, target := range t.links {
		if reason := t.escapes(name, target); reason != "" {
			return unsafeEntry(name, "symlink to %q %s", target, reason)
		}
	}
	return nil
}

func (t *tree) escapes(name, target string) string {
	dir := strings.Split(path.Dir(name), "/")
	if path.Dir(name) == "." {
		dir = nil
	}
	_, reason := Follow(dir, target, func(cur []string) (string, bool, error) {
		next, ok := t.links[strings.Join(cur, "/")]
		return next, ok, nil
	})
	return reason
}

// Follow walks the symlink target from the directory whose slash-path
// components are dir, as the kernel would, and returns where it ends, or
// why it cannot stay inside the tree: absolute, empty, above the top, or a
// loop past MAXSYMLINKS. readlink says whether the path cur is a symlink
// and where it points; a name it does not know is taken as a plain
// directory, so a dangling link inside the tree is allowed (the gz-tools
// man pages have them). The archive's links and gztools-install's links on
// disk are both judged by it.
func Follow(dir []string, target string, readlink func(cur []string) (next string, isLink bool, err error)) ([]string, string) {
	hops := 0
	return follow(dir, target, &hops, readlink)
}

func follow(dir []string, target string, hops *int, readlink func([]string) (string, bool, error)) ([]string, string) {
	if strings.HasPrefix(target, "/") {
		return nil, "is absolute"
	}
	if target == "" {
		return nil, "is empty"
	}
	cur := append([]string(nil), dir...)
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return nil, "points outside the tree"
			}
			cur = cur[:len(cur)-1]
			continue
		}
		cur = append(cur, c)
		next, ok, err := readlink(cur)
		if err != nil {
			return nil, "leads through " + strings.Join(cur, "/") + ", which cannot be read: " + err.Error()
		}
		if !ok {
			continue
		}
		if *hops++; *hops > maxHops {
			return nil, "is part of a symlink loop"
		}
		var reason string
		if cur, reason = follow(cur[:len(cur)-1], next, hops, readlink); reason != "" {
			return nil, reason
		}
	}
	return cur, ""
}
