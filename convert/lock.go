package convert

import (
	"path"

	"cntools/internal/node"
	"cntools/usbkey/keycopy"
)

// LockDir is where a conversion or a finish takes its lock: one on a node
// at a time, since two would race on the key, the journal and the copy.
var LockDir = path.Join(node.StateDir, "convert-to-headnode")

// Lock takes the node's conversion lock for a run that changes something.
// A second run is refused with who holds the lock (pid, host, start time);
// a lock whose process is gone is taken over.
func Lock(n *node.Node) (unlock func(), err error) {
	return keycopy.LockRun(n.Path(LockDir), "convert-to-headnode", "wait for it to finish and see convert-to-headnode status")
}
