package gztools

import "cntools/internal/node"

// Tool is the command a Request prints.
const Tool = "gztools-install"

// Request is gztools-install's options as typed values: what the CLI
// builds from its flags and the conversion builds for its step, so a step
// and the command it prints are one value. Paths are node paths.
type Request struct {
	// From is a gz-tools image (gz-tools-<stamp>.tgz) or a usbkey copy
	// directory; "" is /usbkey.
	From string
	// Sdcadm is the sdcadm shar, or a tarball of an sdcadm tree when it
	// ends in .tgz; "" is the source's newest
	// extra/sdcadm/sdcadm-<version>.tgz, else its sdcadm-install.sh.
	Sdcadm string
	// Check compares the root with the source and changes nothing.
	Check bool
	// SkipUsbkey leaves /usbkey and the mounted key alone: a conversion
	// builds its usbkey copy elsewhere, and a CN's /usbkey is on its
	// ramdisk.
	SkipUsbkey bool
	// Yes answers the confirmation.
	Yes bool
}

// SourcePath is From, defaulted: the node path the tools come from.
func (r Request) SourcePath() string {
	if r.From == "" {
		return node.UsbkeyDir
	}
	return r.From
}

// Args is the request as gztools-install's flags, in the order the tool
// documents them.
func (r Request) Args() []string {
	a := []string{"--from", r.SourcePath()}
	if r.Sdcadm != "" {
		a = append(a, "--sdcadm", r.Sdcadm)
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{r.Check, "--check"}, {r.SkipUsbkey, "--skip-usbkey"}, {r.Yes, "-y"}} {
		if f.on {
			a = append(a, f.name)
		}
	}
	return a
}

// CommandLine is the command that carries out the request on n.
func (r Request) CommandLine(n *node.Node) string { return n.ToolLine(Tool, r.Args()...) }
