package cmd

import (
	"bytes"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// HelpWidth is the width --help is wrapped to: a serial console's.
const HelpWidth = 80

func init() {
	// urfave/cli v2 wraps help only where its templates call wrap, and
	// never the option lines; every tool's -h is drawn through
	// wrapHelp instead, so that nothing is wider than a console.
	cli.HelpPrinter = func(w io.Writer, templ string, data any) {
		var b bytes.Buffer
		cli.HelpPrinterCustom(&b, templ, data, nil)
		io.WriteString(w, wrapHelp(b.String(), HelpWidth))
	}
}

// wrapHelp wraps rendered help to width columns. A paragraph is a run of
// non-blank lines with one indentation ("- " starts a new one); a paragraph
// with a line too wide is reflowed whole, at its indentation. Each line of
// USAGE is a synopsis of its own. An option line ("   --name value  usage")
// wraps its usage beside itself, or under itself when the option is long.
func wrapHelp(s string, width int) string {
	lines := strings.Split(s, "\n")
	var out []string
	section := ""
	for i := 0; i < len(lines); {
		l := lines[i]
		if strings.TrimSpace(l) == "" {
			out = append(out, l)
			i++
			continue
		}
		ind := indentOf(l)
		if ind == 0 {
			section = l
		}
		if section == "USAGE:" && ind > 0 {
			// Each synopsis stands alone; one too wide continues
			// indented under itself.
			pad := strings.Repeat(" ", ind)
			out = append(out, wrapWords(l, pad, pad+"    ", width)...)
			i++
			continue
		}
		if col := usageColumn(l); col > 0 {
			if col <= maxUsageColumn {
				out = append(out, wrapWords(l[col:], l[:col], strings.Repeat(" ", col), width)...)
			} else {
				// An option too long to align beside: its usage goes
				// under it, as a man page lays out a tagged paragraph.
				pad := strings.Repeat(" ", ind+4)
				out = append(out, strings.TrimRight(l[:col], " "))
				out = append(out, wrapWords(l[col:], pad, pad, width)...)
			}
			i++
			continue
		}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) != "" && indentOf(lines[j]) == ind &&
			!strings.HasPrefix(strings.TrimSpace(lines[j]), "- ") && usageColumn(lines[j]) == 0 {
			j++
		}
		para := lines[i:j]
		wide := false
		for _, p := range para {
			if len(p) > width {
				wide = true
			}
		}
		if !wide {
			out = append(out, para...)
		} else {
			var words []string
			for _, p := range para {
				words = append(words, strings.Fields(p)...)
			}
			pad := strings.Repeat(" ", ind)
			hang := pad
			if strings.HasPrefix(strings.TrimSpace(para[0]), "- ") {
				hang += "  "
			}
			out = append(out, wrapWords(strings.Join(words, " "), pad, hang, width)...)
		}
		i = j
	}
	return strings.Join(out, "\n")
}

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// usageColumn is where an option line's usage starts (after the option and
// a gap of two spaces or more, as urfave's tabwriter aligns it), or 0.
func usageColumn(l string) int {
	t := strings.TrimLeft(l, " ")
	if !strings.HasPrefix(t, "-") || indentOf(l) == 0 {
		return 0
	}
	start := indentOf(l)
	gap := strings.Index(l[start:], "  ")
	if gap < 0 {
		return 0
	}
	col := start + gap
	for col < len(l) && l[col] == ' ' {
		col++
	}
	if col >= len(l) {
		return 0
	}
	return col
}

// maxUsageColumn is the widest an option may be for its usage to sit
// beside it.
const maxUsageColumn = 40

// wrapWords fills text into lines of width, the first starting with first
// and the rest with rest. A word longer than a line stands alone.
func wrapWords(text, first, rest string, width int) []string {
	var out []string
	line := first
	empty := true
	for _, w := range strings.Fields(text) {
		if !empty && len(line)+1+len(w) > width {
			out = append(out, line)
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	return append(out, line)
}
