package keysync

import (
	"path"
	"strings"
)

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
