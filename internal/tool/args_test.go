package tool

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestInterspersed(t *testing.T) {
	app := &cli.App{
		Flags: append(CommonFlags(), DestructiveFlags()...),
		Commands: []*cli.Command{{
			Name:  "finish",
			Flags: []cli.Flag{&cli.StringFlag{Name: "from"}, &cli.BoolFlag{Name: "restart"}},
		}, {
			Name: "hook",
			Subcommands: []*cli.Command{{
				Name: "platform-install",
			}},
		}},
	}
	app.Flags = append(app.Flags, &cli.StringSliceFlag{Name: "target", Aliases: []string{"t"}})
	for _, c := range []struct{ in, want string }{
		{"tool key.img -j", "tool -j key.img"},
		{"tool key.img --root R -n", "tool --root R -n key.img"},
		{"tool -t cn1 key.img -t cn2", "tool -t cn1 -t cn2 key.img"},
		{"tool --root=R key.img", "tool --root=R key.img"},
		// Options of the tool after a command move up to it; the
		// command's own stay with it.
		{"tool finish --root R --from /x -y", "tool --root R -y finish --from /x"},
		{"tool hook platform-install 2026 -n", "tool -n hook platform-install 2026"},
		// "--" ends the options; an unknown option stays for urfave to name.
		{"tool a -- -j b", "tool a -- -j b"},
		{"tool a --bogus b", "tool --bogus a b"},
		// A command word after an operand is an operand.
		{"tool a finish", "tool a finish"},
		{"tool", "tool"},
	} {
		got := strings.Join(interspersed(app, strings.Fields(c.in)), " ")
		if got != c.want {
			t.Errorf("interspersed(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
