package populate

import (
	"strings"

	"cntools/internal/node"
)

// Tool is the command a Request prints.
const Tool = "usbkey-populate"

// Request is usbkey-populate's options as typed values: what the CLI
// builds from its flags and the conversion builds for its steps, so a
// step and the command it prints are one value.
type Request struct {
	// From is the key content's location (keytree.ParseLocation): a
	// directory, a usbkey-base tarball, or a standby copy on another node.
	// "" is /usbkey.
	From string
	// Target is a key device or image, or a directory (a node path).
	Target string
	// Platforms narrows os/ to these stamps; nil keeps every platform.
	Platforms []string
	// Include adds more top-level paths of the source.
	Include []string
	// NoVerify skips reading written files back.
	NoVerify bool
	// NodeConfig writes this node's own identity into the config.
	NodeConfig bool
	// Headnode makes the content boot this node as headnode: its
	// boot/loader.conf gets headnode, ipxe, os_console and the platform.
	Headnode bool
	// BootPlatform, with Headnode, is the platform the content boots; ""
	// is the one the source's loader.conf names, else the newest kept.
	BootPlatform string
	// BootPool, with Headnode, is the pool whose /POOL/boot the content
	// boots from instead of a key.
	BootPool string
	// Mkdir creates a directory target that does not exist yet.
	Mkdir bool
	// Force writes a device that is mounted, in a zpool or the boot disk.
	Force bool
	// Yes answers the confirmation.
	Yes bool
}

// From returns the source location, defaulted.
func (r Request) from() string {
	if r.From == "" {
		return node.UsbkeyDir
	}
	return r.From
}

// Args is the request as usbkey-populate's flags and operand, in the order
// the tool documents them.
func (r Request) Args() []string {
	a := []string{"--from", r.from()}
	if len(r.Platforms) > 0 {
		a = append(a, "--platforms", strings.Join(r.Platforms, ","))
	}
	for _, in := range r.Include {
		a = append(a, "--include", in)
	}
	flag := func(on bool, name string) {
		if on {
			a = append(a, name)
		}
	}
	flag(r.NoVerify, "--no-verify")
	flag(r.NodeConfig, "--node-config")
	flag(r.Headnode, "--headnode")
	if r.BootPlatform != "" {
		a = append(a, "--boot-platform", r.BootPlatform)
	}
	if r.BootPool != "" {
		a = append(a, "--bootpool", r.BootPool)
	}
	flag(r.Mkdir, "--mkdir")
	flag(r.Force, "--force")
	flag(r.Yes, "-y")
	return append(a, r.Target)
}

// CommandLine is the command that carries out the request on n.
func (r Request) CommandLine(n *node.Node) string { return n.ToolLine(Tool, r.Args()...) }
