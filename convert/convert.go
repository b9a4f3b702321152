package convert

import (
	"path/filepath"
	"strings"
	"time"

	"log/slog"

	"cntools/internal/node"
	"cntools/internal/sshconn"
)

// Node paths a conversion reads and writes, under the root.
const (
	StandbyPath = "/zones/usbkey-standby" // the default source: this node's standby copy
	UsbkeyPath  = "/usbkey"               // the usbkey copy a headnode keeps; here only its config
	// CopyPath is where the conversion builds the usbkey copy: on the
	// zones pool, since a CN's /usbkey would be on its ramdisk root, which
	// a platform image fills. After the reboot headnode.sh creates the
	// zones/usbkey dataset and fs-joyent fills it from the key.
	CopyPath       = "/zones/usbkey-copy"
	NodeConfigPath = "/opt/smartdc/config/node.config"
	SdcBin         = "/opt/smartdc/bin/sdc"
	SdcadmDir      = "/opt/smartdc/sdcadm"
)

// Options say what to convert and how.
type Options struct {
	Root     string // the node's root; every node path resolves under it
	Facts    node.Facts
	Key      string // key device or image (a node path); "" finds a removable disk
	BootPool string // put the key content in /POOL/boot instead of on a key
	From     string // key content source; "" is the standby copy
	Force    bool   // format a disk that holds a Triton key already
	Restart  bool   // start over, ignoring an earlier run's journal
	Log      *slog.Logger
	Now      func() time.Time
	SSH      sshconn.Options
	// Confirm is asked once, before the first step that changes anything.
	Confirm func(plan *Plan) (bool, error)
	// Progress hears of each step as it starts and ends.
	Progress func(s StepResult)
}

func (o *Options) path(p string) string {
	if o.Root == "" || o.Root == "/" {
		return p
	}
	return filepath.Join(o.Root, p)
}

func (o *Options) from() string {
	switch {
	case o.From == "":
		return o.path(StandbyPath)
	case strings.HasPrefix(o.From, "ssh://"), !filepath.IsAbs(o.From):
		return o.From
	}
	return o.path(o.From)
}

// journalPath is the journal's place under the root.
func (o *Options) journalPath() string { return o.path(JournalPath) }

func (o *Options) ctxNow() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
