package drift

import "fmt"

// Rows is the report as a table, a row per copy: for `-o` and `-H`.
func (r *Report) Rows() (columns []string, rows [][]string) {
	columns = []string{"copy", "state", "differences"}
	for _, p := range r.Pairs {
		state := "in step"
		if len(p.Drifts) > 0 {
			state = "drift"
		}
		rows = append(rows, []string{p.Copy, state, fmt.Sprint(len(p.Drifts))})
	}
	return columns, rows
}

// Rows is the DC report as a table, a row per node.
func (r *DCReport) Rows() (columns []string, rows [][]string) {
	columns = []string{"hostname", "uuid", "state", "differences"}
	for _, n := range r.Nodes {
		d := 0
		if n.Pair != nil {
			d = len(n.Pair.Drifts)
		}
		rows = append(rows, []string{n.Hostname, n.UUID, n.Status, fmt.Sprint(d)})
	}
	return columns, rows
}
