package convert

import (
	"log/slog"
	"time"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/keytree"
)

// Options say what to convert and how.
type Options struct {
	Node     *node.Node // the node to convert: its root, facts and commands
	Key      string     // key device or image (a node path); "" finds a removable disk
	BootPool string     // put the key content in /POOL/boot instead of on a key
	From     string     // key content source (a keytree location); "" is the standby copy
	// Platforms are the platforms the key carries; nil is the one it
	// boots and the one this node runs.
	Platforms []string
	Force     bool // format a disk that holds a Triton key already, or convert with other keys plugged in
	Restart   bool // start over, ignoring an earlier run's journal
	Log       *slog.Logger
	Now       func() time.Time
	SSH       sshconn.Options
	// Confirm is asked once, before the first step that changes anything.
	Confirm func(plan *Plan) (bool, error)
	// Progress hears of each step as it starts and ends.
	Progress func(s StepResult)

	opener *keytree.Opener
	unlock func() // releases the source's lock
	fresh  bool   // no journal: the scratch copy is emptied first
}

// from is the source location, defaulted to the standby copy.
func (o *Options) from() string {
	if o.From == "" {
		return node.StandbyDir
	}
	return o.From
}

// keyDir is where the key content goes: the key, or /POOL/boot.
func (o *Options) keyDir(key string) string {
	if o.BootPool != "" {
		return "/" + o.BootPool + "/boot"
	}
	return key
}

// journalPath is the journal's place under the root.
func (o *Options) journalPath() string { return o.Node.Path(JournalPath) }

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.New(slog.DiscardHandler)
}

// trees is the one opener every step reads through, so a tarball source
// is extracted once for the whole conversion.
func (o *Options) trees() *keytree.Opener {
	if o.opener == nil {
		o.opener = &keytree.Opener{Node: o.Node, SSH: o.SSH, Share: true}
	}
	return o.opener
}

// Close releases what the conversion opened: a source connection, a
// tarball's scratch copy.
func (o *Options) Close() error {
	if o.unlock != nil {
		o.unlock()
		o.unlock = nil
	}
	if o.opener == nil {
		return nil
	}
	err := o.opener.Close()
	o.opener = nil
	return err
}
