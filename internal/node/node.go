package node

import (
	"path/filepath"
)

// Paths on a Triton node that more than one tool reads or writes. They are
// node paths: Node.Path resolves them under the root.
const (
	// UsbkeyDir is the usbkey copy a headnode keeps (dataset zones/usbkey).
	UsbkeyDir = "/usbkey"
	// KeyMount is where sdc-usbkey mounts the key, and where a boot pool's
	// /POOL/boot is lofs-mounted.
	KeyMount = "/mnt/usbkey"
	// StandbyDir is a core CN's standby copy of the key content. Never
	// /usbkey on a CN: /lib/sdc/config.sh would prefer /usbkey/config over
	// the CN's own node.config.
	StandbyDir = "/zones/usbkey-standby"
	// CopyDir is where a conversion builds the usbkey copy: on the zones
	// pool, since a CN's /usbkey would be on its ramdisk root.
	CopyDir = "/zones/usbkey-copy"
	// NodeConfig is a CN's own config, which a headnode does not have.
	NodeConfig = "/opt/smartdc/config/node.config"
	// SdcBin and SdcadmDir are what headnode.sh looks for to decide
	// whether to install gz-tools and sdcadm.
	SdcBin    = "/opt/smartdc/bin/sdc"
	SdcadmDir = "/opt/smartdc/sdcadm"
	// CacheDir holds hash caches; LogDir the logs of destructive runs;
	// TmpDir scratch space on disk (not the ramdisk's /tmp).
	CacheDir = "/var/cache/cn-tools"
	LogDir   = "/var/log/cn-tools"
	TmpDir   = "/var/tmp"
	// StateDir holds the journals of multi-step runs.
	StateDir = "/var/cn-tools"
)

// ToolsPATH starts a command run on another node over SSH that calls one
// of our tools: cn_tools.tar.gz is made from the proto's /opt/smartdc
// (sdc-headnode Makefile:410-413) and a CN extracts it there
// (scripts/agentsetup.sh:30, 203), so they are in /opt/smartdc/bin, which
// a non-interactive ssh session's PATH need not hold.
const ToolsPATH = `PATH="$PATH:/opt/smartdc/bin"; export PATH; `

// Node is the node a tool runs on: its root, its facts, and the illumos
// commands it runs. Root "/" (or "") is the live node; any other root is a
// simulated one whose facts are files and whose commands are recorded.
type Node struct {
	Root  string
	Facts Facts
	Cmd   Commander
}

// New returns the node at root.
func New(root string) *Node {
	if root == "" {
		root = "/"
	}
	return &Node{Root: root, Facts: NewFacts(root), Cmd: NewCommander(root)}
}

// Live reports whether the node is the one this process runs on.
func (n *Node) Live() bool { return isLive(n.Root) }

// Path resolves a node path (/usbkey, /dev/rdsk/c1t0d0p0) under the root.
// A relative path is the operator's, relative to the working directory,
// and stays as it is.
func (n *Node) Path(p string) string {
	if isLive(n.Root) || !filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(n.Root, p)
}

func isLive(root string) bool { return root == "" || filepath.Clean(root) == "/" }
