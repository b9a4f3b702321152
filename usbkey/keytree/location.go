package keytree

import (
	"errors"
	"fmt"
	"strings"

	"cntools/internal/sshconn"
)

// Kind is what a location names.
type Kind int

const (
	// KindLocal is a path on this node: a directory, a key device or
	// image, or a tarball; which one is decided when it is opened.
	KindLocal Kind = iota
	// KindSSH is a directory on another node, reached over SFTP.
	KindSSH
)

func (k Kind) String() string {
	switch k {
	case KindLocal:
		return "local"
	case KindSSH:
		return "ssh"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Location names a tree as the operator gave it.
type Location struct {
	Raw  string         // as given
	Kind Kind           // local or remote
	Path string         // KindLocal: a node path (resolved under --root when opened)
	SSH  sshconn.Target // KindSSH: where, Path included ("" when not given)
}

func (l Location) String() string { return l.Raw }

// Syntax is every form ParseLocation reads, as errors and help name them.
const Syntax = "a local path, " + sshconn.Syntax

var errEmpty = errors.New("empty location; want " + Syntax)

// ParseLocation reads a location, the one syntax every tool names a copy
// of the key content with:
//
//	ssh://[user@]host[:port][/path]   KindSSH
//	[user@]host[:port][:/path]        KindSSH
//	anything else                     KindLocal: a directory, a key device
//	                                  or image, or a tarball
//
// It is decided in this order:
//
//  1. "" and a string holding a NUL byte are refused.
//  2. A string starting with "/", "./", "../" or "~", and "." and "..",
//     are local, whatever follows (./backup@2026, /images/a:b.img).
//  3. A string with neither ':' nor '@' is local: a relative directory,
//     image or tarball name (usbkey, key.img).
//  4. Anything else is SSH, as sshconn.ParseTarget reads it: "scheme://"
//     must be ssh://; otherwise host:/path, host:port, user@host,
//     user@host:port:/path and [v6]:port:/path; ssh:/path, a URL missing
//     a slash, is refused rather than read as the host "ssh". What does
//     not parse is refused; nothing falls back to a local path.
//
// So a relative local path holding ':' or '@' is written with ./ first.
// The SSH user defaults to root and the port to 22; a path not given
// stays "", for the caller to default (usually node.StandbyDir); a path
// given must be absolute. A local path is kept as written: it is a node
// path, resolved under --root by whoever opens it, and ~ is the shell's
// to expand.
func ParseLocation(s string) (Location, error) {
	switch {
	case s == "":
		return Location{}, errEmpty
	case strings.IndexByte(s, 0) >= 0:
		return Location{}, fmt.Errorf("location %q holds a NUL byte", s)
	case isLocal(s):
		return Location{Raw: s, Kind: KindLocal, Path: s}, nil
	}
	t, err := sshconn.ParseTarget(s)
	if err != nil && !strings.Contains(s, "://") {
		return Location{}, fmt.Errorf("%w (a local path holding ':' or '@' starts with ./ or /)", err)
	}
	if err != nil {
		return Location{}, err
	}
	return Location{Raw: s, Kind: KindSSH, SSH: t}, nil
}

// isLocal is rules 2 and 3 of ParseLocation's grammar.
func isLocal(s string) bool {
	switch {
	case s == "." || s == "..":
		return true
	case strings.HasPrefix(s, "/"), strings.HasPrefix(s, "./"), strings.HasPrefix(s, "../"), strings.HasPrefix(s, "~"):
		return true
	}
	return !strings.ContainsAny(s, ":@")
}
