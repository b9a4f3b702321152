package convert

import (
	"errors"
	"fmt"
	"os"
	"path"

	"cntools/internal/node"
	"cntools/usbkey/keytree"
)

// LockDir is where a conversion or a finish takes its lock: one on a node
// at a time, since two would race on the key, the journal and the copy.
var LockDir = path.Join(node.StateDir, "convert-to-headnode")

// Lock takes the node's conversion lock for a run that changes something.
// A second run is refused with who holds the lock (pid, host, start time);
// a lock whose process is gone is taken over.
func Lock(n *node.Node) (unlock func(), err error) {
	dir := n.Path(LockDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("conversion lock: %w; check that %s is writable", err, dir)
	}
	unlock, err = keytree.LockDir(dir, "this node's conversion", "convert-to-headnode")
	var le *keytree.LockedError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("another convert-to-headnode is running on this node (%s): wait for it to finish and see convert-to-headnode status; if it is gone, remove %s", le.Holder, le.Path)
	}
	return unlock, err
}
