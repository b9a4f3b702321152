package benchtable

import (
	"fmt"
	"slices"
	"time"
)

// Side runs one side of a row once: it prepares what the round needs
// (untimed), measures the processes and checks what they printed. Rounds
// count from 0, the warm-up, which is not counted.
type Side func(round int) (Sample, error)

// Row is one line of the table.
type Row struct {
	Work string // the work, as an operator would name it
	Peer string // the peer command line, "" when there is none
	// Bytes makes the row compare Sample.Value (bytes on the wire), not time.
	Bytes bool
	// Goal says what the row must reach; Met judges a result by it.
	Goal string
	Met  func(Result) bool
	// Before runs before each round's pair, untimed (a file changed for
	// both sides to find).
	Before func(round int) error
	// Warm runs before each side's run, untimed: it reads what both
	// sides read (warmTree), so that neither pays for the pages this
	// machine paged out since the other side read them.
	Warm   func() error
	Ours   Side
	Theirs Side // nil when there is no peer
}

// Result is a row's counted rounds, ours[i] and peer[i] run back to back.
type Result struct {
	Row  *Row
	Ours []Sample
	Peer []Sample
}

// Alternate runs the row's warm-up and then rounds pairs, ours first
// within each pair: A B A B …
func Alternate(row *Row, rounds int) (Result, error) {
	res := Result{Row: row}
	for r := 0; r <= rounds; r++ {
		if row.Before != nil {
			if err := row.Before(r); err != nil {
				return res, fmt.Errorf("%s: round %d: %w", row.Work, r, err)
			}
		}
		if err := row.warm(); err != nil {
			return res, fmt.Errorf("%s: warming for ours, round %d: %w", row.Work, r, err)
		}
		a, err := row.Ours(r)
		if err != nil {
			return res, fmt.Errorf("%s: ours, round %d: %w", row.Work, r, err)
		}
		var b Sample
		if row.Theirs != nil {
			if err := row.warm(); err != nil {
				return res, fmt.Errorf("%s: warming for the peer, round %d: %w", row.Work, r, err)
			}
			if b, err = row.Theirs(r); err != nil {
				return res, fmt.Errorf("%s: peer, round %d: %w", row.Work, r, err)
			}
		}
		if r > 0 {
			res.Ours, res.Peer = append(res.Ours, a), append(res.Peer, b)
		}
	}
	return res, nil
}

func (row *Row) warm() error {
	if row.Warm == nil {
		return nil
	}
	return row.Warm()
}

// metric is what a row compares in one sample.
func (r Result) metric(s Sample) float64 {
	if r.Row.Bytes {
		return s.Value
	}
	return s.Wall.Seconds()
}

// Ratios are ours/peer for each pair, in the order run.
func (r Result) Ratios() []float64 {
	if r.Row.Theirs == nil {
		return nil
	}
	var out []float64
	for i := range r.Ours {
		out = append(out, r.metric(r.Ours[i])/r.metric(r.Peer[i]))
	}
	return out
}

// Ratio is the median of the per-pair ratios.
func (r Result) Ratio() float64 { return median(r.Ratios()) }

// Spread is the lowest and highest per-pair ratio.
func (r Result) Spread() (lo, hi float64) {
	rs := r.Ratios()
	if len(rs) == 0 {
		return 0, 0
	}
	return slices.Min(rs), slices.Max(rs)
}

// OursMedian and PeerMedian are each side's median of what the row compares.
func (r Result) OursMedian() float64 { return r.medianOf(r.Ours) }
func (r Result) PeerMedian() float64 { return r.medianOf(r.Peer) }

func (r Result) medianOf(ss []Sample) float64 {
	var xs []float64
	for _, s := range ss {
		xs = append(xs, r.metric(s))
	}
	return median(xs)
}

// CPU is each side's median CPU time.
func (r Result) CPU() (ours, peer time.Duration) {
	return medianDuration(r.Ours), medianDuration(r.Peer)
}

// PeakRSS is each side's highest peak resident memory over the rounds.
func (r Result) PeakRSS() (ours, peer int64) {
	for _, s := range r.Ours {
		ours = max(ours, s.MaxRSS)
	}
	for _, s := range r.Peer {
		peer = max(peer, s.MaxRSS)
	}
	return ours, peer
}

func medianDuration(ss []Sample) time.Duration {
	var xs []float64
	for _, s := range ss {
		xs = append(xs, float64(s.CPU))
	}
	return time.Duration(median(xs))
}

// median of xs; the mean of the middle two for an even count; 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
