package keysync

import (
	"path"
	"regexp"
	"strings"

	"cntools/internal/atomicfile"
)

// oldTmpInfix marked the files a sync was writing before every writer
// took atomicfile's names; such leftovers on a target are still known.
const oldTmpInfix = ".cntools-tmp-"

// conflictSuffix starts the name a conflict copy gets: NAME.conflict-<stamp>.
const conflictSuffix = ".conflict-"

var conflictRE = regexp.MustCompile(`\.conflict-\d{8}T\d{6}Z$`)

// isTemp reports whether the base name is a sync's temporary file.
func isTemp(base string) bool {
	return atomicfile.IsTemp(base) || strings.HasPrefix(base, ".") && strings.Contains(base, oldTmpInfix)
}

// isConflictCopy reports whether the base name is a kept conflict copy.
func isConflictCopy(base string) bool { return conflictRE.MatchString(base) }

// ours reports whether p is something a sync leaves in a target's
// directory for itself, never content: the manifest, temporary files and
// conflict copies. Such paths are neither sent, compared nor deleted.
// A target lists itself with these rules too (State): a change to them,
// to isTemp or to what listTree keeps changes the canonical listing, and
// must bump listingHeader, so that an older toolkit's hash never matches.
func ours(p string) bool {
	if strings.EqualFold(p, ManifestFile) {
		return true
	}
	base := path.Base(p)
	return isTemp(base) || isConflictCopy(base)
}

// never is what Delete never removes: a target without config cannot
// become a headnode, and a headnode boot without it drops into the
// interactive prompt-config.sh.
func never(p string) bool { return strings.EqualFold(p, "config") }

// scope is the part of the tree a sync looks at.
type scope struct {
	paths []string // folded; nil: everything
}

func newScope(paths []string) scope {
	if paths == nil {
		return scope{}
	}
	s := scope{paths: []string{}}
	for _, p := range paths {
		p = strings.Trim(path.Clean("/"+p), "/")
		if p == "" {
			return scope{} // the root is everything
		}
		s.paths = append(s.paths, strings.ToLower(p))
	}
	return s
}

// in reports whether p is one of the paths or under one.
func (s scope) in(p string) bool {
	if s.paths == nil {
		return true
	}
	l := strings.ToLower(p)
	for _, q := range s.paths {
		if l == q || strings.HasPrefix(l, q+"/") {
			return true
		}
	}
	return false
}

// walk reports whether a directory p must be read: it is in scope or one
// of the paths is under it.
func (s scope) walk(p string) bool {
	if s.in(p) {
		return true
	}
	l := strings.ToLower(p)
	for _, q := range s.paths {
		if strings.HasPrefix(q, l+"/") {
			return true
		}
	}
	return false
}
