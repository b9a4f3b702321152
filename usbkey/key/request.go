package key

import (
	"strings"

	"cntools/internal/node"
)

// FormatTool is the command a FormatRequest prints.
const FormatTool = "usbkey-format"

// FormatRequest is usbkey-format's options as typed values: what the CLI
// builds from its flags and the conversion builds for its format step, so a
// step and the command it prints are one value. Paths are node paths.
type FormatRequest struct {
	// Target is the device or image file to format.
	Target string
	// BootTarball and BootDir name where the boot files come from (at most
	// one); with neither, they come from the usbkey copy (/usbkey).
	BootTarball string
	BootDir     string
	// Size, as the operator wrote it ("4gb", "8G"), creates Target as an
	// image file of that size when it does not exist; when it does, Size
	// must match it.
	Size string
	// ESPImage is written raw as the loader partition instead of one built
	// from the boot files.
	ESPImage string
	// Force formats a target that the safety checks refuse.
	Force bool
	// OverwriteKey formats a target that holds a Triton key, and
	// overrides no other refusal: a conversion's own key on a resumed run.
	OverwriteKey bool
	// Yes answers the confirmation.
	Yes bool
}

// Args is the request as usbkey-format's flags and operand, in the order
// the tool documents them.
func (r FormatRequest) Args() []string {
	var a []string
	for _, f := range []struct{ name, value string }{
		{"--boot-tarball", r.BootTarball},
		{"--boot-dir", r.BootDir},
		{"--esp-image", r.ESPImage},
		{"--size", r.Size},
	} {
		if f.value != "" {
			a = append(a, f.name, f.value)
		}
	}
	if r.OverwriteKey {
		a = append(a, "--overwrite-key")
	}
	if r.Force {
		a = append(a, "--force")
	}
	if r.Yes {
		a = append(a, "-y")
	}
	// A target that starts with a dash would be read as a flag.
	if strings.HasPrefix(r.Target, "-") {
		a = append(a, "--")
	}
	return append(a, r.Target)
}

// CommandLine is the command that carries out the request on n.
func (r FormatRequest) CommandLine(n *node.Node) string { return n.ToolLine(FormatTool, r.Args()...) }
