package keytree

import (
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

// Location names a tree as the operator gave it.
type Location struct {
	Raw  string         // as given
	Kind Kind           // local or remote
	Path string         // KindLocal: a node path (resolved under --root when opened)
	SSH  sshconn.Target // KindSSH: where, Path included
}

func (l Location) String() string { return l.Raw }
