package tool

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

// TableFlags are on every command that lists rows, as sdcadm's are: -H
// leaves out the header, -o picks and orders the columns.
func TableFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "H", Usage: "omit the header of a table"},
		&cli.StringFlag{Name: "o", Usage: "show only the columns `COL,...` of a table, in that order"},
	}
}

// Table is rows under named columns (lower-case, snake_case: what -o takes).
type Table struct {
	Columns []string
	Rows    [][]string
	Indent  string // before every line, for a table inside a report
}

// Print writes the table aligned in columns, as -H and -o say. A column
// -o names that the table lacks is a usage error listing the ones it has.
func (t Table) Print(w io.Writer, c *cli.Context) error {
	cols, err := t.columns(c)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	line := func(cells []string) {
		var out []string
		for _, i := range cols {
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			out = append(out, cell)
		}
		fmt.Fprintln(tw, t.Indent+strings.TrimRight(strings.Join(out, "\t"), "\t"))
	}
	if !anyBool(c, "H") {
		var head []string
		for _, col := range t.Columns {
			head = append(head, strings.ToUpper(col))
		}
		line(head)
	}
	for _, r := range t.Rows {
		line(r)
	}
	return tw.Flush()
}

// Check says whether -o names only columns the table has, so that a
// command can refuse before it prints anything.
func (t Table) Check(c *cli.Context) error {
	_, err := t.columns(c)
	return err
}

func (t Table) columns(c *cli.Context) ([]int, error) {
	cols := make([]int, len(t.Columns))
	for i := range cols {
		cols[i] = i
	}
	if o := anyString(c, "o"); o != "" {
		cols = cols[:0]
		for _, name := range strings.Split(o, ",") {
			i := index(t.Columns, strings.TrimSpace(name))
			if i < 0 {
				return nil, Usage("-o %s: no such column; the columns are %s", name, strings.Join(t.Columns, ","))
			}
			cols = append(cols, i)
		}
	}
	return cols, nil
}

func index(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// anyString and anyBool read a flag set on the command or any parent:
// -H and -o may be given before or after a command's name.
func anyString(c *cli.Context, name string) string {
	for _, l := range c.Lineage() {
		if l.IsSet(name) {
			return l.String(name)
		}
	}
	return ""
}

func anyBool(c *cli.Context, name string) bool {
	for _, l := range c.Lineage() {
		if l.IsSet(name) {
			return l.Bool(name)
		}
	}
	return false
}
