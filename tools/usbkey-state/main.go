// usbkey-state tells a sync from another node the state of a standby
// copy on this node, and holds its lock for that sync (keycopy.Command).
// It is a binary of its own, not a link to the multi-call cn-tools: it
// imports keycopy alone, so it starts in about a third of the time.
package main

import "cntools/usbkey/keycopy"

func main() { keycopy.Main() }
