package benchtable

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// Machine is what the table says about where it was measured.
type Machine struct {
	When        time.Time
	Cores       int
	LoadBefore  string // /proc/loadavg's first three fields
	LoadAfter   string
	Rounds      int
	Description string // Go version, kernel
}

// WriteTable writes results as the README's benchmark section: a sentence
// on the machine, then one Markdown row per result.
func WriteTable(w io.Writer, m Machine, results []Result) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Measured by `make bench` on %s: %d cores, load average %s before and %s after, %s; %d alternating rounds (ours, then the peer) after one warm-up pair. Times are whole processes, wall clock, medians; the ratio is the median of the per-pair ratios ours/peer (below 1 is faster, or fewer bytes), with the lowest and highest pair in brackets; memory is the highest peak resident set of any round (processes run at once added up).\n\n",
		m.When.UTC().Format("2006-01-02 15:04 MST"), m.Cores, m.LoadBefore, m.LoadAfter, m.Description, m.Rounds)
	b.WriteString("| work | peer | ours | peer | ratio [spread] | CPU ours / peer | memory ours / peer | goal | met |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		row := r.Row
		peer, theirs, ratio, cpuPeer, memPeer := "none", "—", "—", "—", "—"
		cpuOurs, cpuTheirs := r.CPU()
		memOurs, memTheirs := r.PeakRSS()
		if row.Theirs != nil {
			peer = "`" + row.Peer + "`"
			theirs = r.format(r.PeerMedian())
			lo, hi := r.Spread()
			ratio = fmt.Sprintf("%.2f× [%.2f–%.2f]", r.Ratio(), lo, hi)
			cpuPeer = seconds(cpuTheirs.Seconds())
			memPeer = mib(memTheirs)
		}
		met := "no"
		if row.Met(r) {
			met = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s |\n",
			row.Work, peer, r.format(r.OursMedian()), theirs, ratio,
			seconds(cpuOurs.Seconds()), cpuPeer, mib(memOurs), memPeer, row.Goal, met)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// format prints a median of what the row compares.
func (r Result) format(v float64) string {
	if r.Row.Bytes {
		return bytesText(v)
	}
	return seconds(v)
}

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func bytesText(v float64) string {
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.2f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

// The README's benchmark section lies between these lines, which Splice
// keeps.
const (
	BeginMarker = "<!-- make bench: begin (generated; do not edit) -->"
	EndMarker   = "<!-- make bench: end -->"
)

// Splice returns readme with what lies between the markers replaced by
// table. A README without exactly one pair of markers, in order, is an
// error, and nothing is replaced.
func Splice(readme, table []byte) ([]byte, error) {
	s := string(readme)
	if strings.Count(s, BeginMarker) != 1 || strings.Count(s, EndMarker) != 1 {
		return nil, fmt.Errorf("README: want one %q line and one %q line around the benchmark table: put them back", BeginMarker, EndMarker)
	}
	i := strings.Index(s, BeginMarker) + len(BeginMarker)
	j := strings.Index(s, EndMarker)
	if j < i {
		return nil, fmt.Errorf("README: %q comes before %q: put the begin line first", EndMarker, BeginMarker)
	}
	return []byte(s[:i] + "\n" + strings.TrimSpace(string(table)) + "\n" + s[j:]), nil
}
