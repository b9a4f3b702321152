package tool

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed reorders a command line so that options may follow
// operands, as operators type them (`usbkey-status key.img -j`): urfave/cli
// v2 stops reading options at the first operand. Within each command's
// scope its options go first, in their order, then its operands, in
// theirs; a command's name starts the next scope. An option a subcommand
// does not know but its parent does (`convert-to-headnode finish --root
// R`) moves up to the parent. "--" ends the options; everything after it
// is kept as typed. An unknown option stays where urfave will name it.
func interspersed(app *cli.App, args []string) []string {
	if len(args) == 0 {
		return args
	}
	s := &scope{flags: app.Flags, cmds: app.Commands}
	s.read(args[1:])
	return append([]string{args[0]}, s.line()...)
}

type scope struct {
	flags   []cli.Flag
	cmds    []*cli.Command
	parent  *scope
	opts    []string
	operand []string
	cmd     string
	child   *scope
	rest    []string // after "--"
}

func (s *scope) read(args []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			s.rest = append([]string{"--"}, args[i+1:]...)
			return
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			owner, takes := s.owner(flagName(a))
			opt := []string{a}
			if takes && !strings.Contains(a, "=") && i+1 < len(args) {
				opt = append(opt, args[i+1])
				i++
			}
			owner.opts = append(owner.opts, opt...)
			continue
		}
		if len(s.operand) == 0 {
			for _, c := range s.cmds {
				if c.HasName(a) {
					s.cmd = a
					s.child = &scope{flags: c.Flags, cmds: c.Subcommands, parent: s}
					s.child.read(args[i+1:])
					return
				}
			}
		}
		s.operand = append(s.operand, a)
	}
}

// owner is the nearest scope, from s up, that defines the option name,
// and whether it takes a value; s itself when none does.
func (s *scope) owner(name string) (*scope, bool) {
	for o := s; o != nil; o = o.parent {
		for _, f := range o.flags {
			for _, n := range f.Names() {
				if n == name {
					d, ok := f.(cli.DocGenerationFlag)
					return o, ok && d.TakesValue()
				}
			}
		}
	}
	return s, false
}

func (s *scope) line() []string {
	out := append([]string(nil), s.opts...)
	if s.child != nil {
		out = append(out, s.cmd)
		out = append(out, s.child.line()...)
	}
	out = append(out, s.operand...)
	return append(out, s.rest...)
}

// flagName is the option's name without dashes or "=value".
func flagName(a string) string {
	a = strings.TrimLeft(a, "-")
	name, _, _ := strings.Cut(a, "=")
	return name
}
