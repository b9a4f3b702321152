package gztools

import "cntools/usbkey/manifest"

// The kinds of Diff, the same words manifest uses, and one of our own.
const (
	Missing    = manifest.Missing  // in the source, not installed
	Extra      = manifest.Extra    // installed, not in the source
	Content    = manifest.Content  // type, size, content or link target differ
	Metadata   = manifest.Metadata // only the mode differs
	Incomplete = "incomplete"      // an interrupted install waits to be finished
)

// Diff is one way an installed root differs from its source.
type Diff struct {
	Path   string `json:"path"`   // node path, such as /opt/smartdc/bin/sdc
	Kind   string `json:"kind"`   // Missing, Extra, Content, Metadata or Incomplete
	Detail string `json:"detail"` // what differs, for a person
}
