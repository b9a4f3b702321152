package benchtable

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestAlternate(t *testing.T) {
	var order []string
	side := func(name string, wall time.Duration) Side {
		return func(round int) (Sample, error) {
			order = append(order, name)
			return Sample{Wall: wall * time.Duration(round+1)}, nil
		}
	}
	row := &Row{Work: "w", Peer: "p", Ours: side("A", time.Second), Theirs: side("B", 2*time.Second),
		Warm: func() error { order = append(order, "w"); return nil },
		Met:  func(r Result) bool { return r.Ratio() < 1 }}
	res, err := Alternate(row, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ""); got != "wAwBwAwBwAwBwAwB" {
		t.Errorf("order %s, want wAwB four times (a warm-up pair and three, each side warmed)", got)
	}
	if len(res.Ours) != 3 || res.Ours[0].Wall != 2*time.Second {
		t.Errorf("counted %v: want rounds 1-3, the warm-up dropped", res.Ours)
	}
	if r := res.Ratio(); r != 0.5 {
		t.Errorf("ratio %v, want 0.5", r)
	}
	if got := res.OursMedian(); got != 3 {
		t.Errorf("ours median %v s, want 3", got)
	}
}

func TestSpreadAndMedian(t *testing.T) {
	row := &Row{Ours: func(int) (Sample, error) { return Sample{}, nil }, Theirs: func(int) (Sample, error) { return Sample{}, nil }}
	res := Result{Row: row,
		Ours: []Sample{{Wall: 1 * time.Second}, {Wall: 3 * time.Second}, {Wall: 2 * time.Second}, {Wall: 8 * time.Second}},
		Peer: []Sample{{Wall: 2 * time.Second}, {Wall: 2 * time.Second}, {Wall: 2 * time.Second}, {Wall: 2 * time.Second}}}
	if lo, hi := res.Spread(); lo != 0.5 || hi != 4 {
		t.Errorf("spread %v-%v, want 0.5-4", lo, hi)
	}
	if r := res.Ratio(); r != 1.25 {
		t.Errorf("median of 0.5 1 1.5 4 = %v, want 1.25", r)
	}
}

func TestWriteTable(t *testing.T) {
	row := &Row{Work: "sync", Peer: "rsync -a", Goal: "< 1.0×", Bytes: true,
		Ours: func(int) (Sample, error) { return Sample{}, nil }, Theirs: func(int) (Sample, error) { return Sample{}, nil },
		Met: func(r Result) bool { return r.Ratio() < 1 }}
	res := Result{Row: row, Ours: []Sample{{Value: 3 << 20, MaxRSS: 10 << 20}}, Peer: []Sample{{Value: 1 << 20, MaxRSS: 5 << 20}}}
	solo := &Row{Work: "compare", Goal: "< 1 s", Ours: row.Ours, Met: func(r Result) bool { return r.OursMedian() < 1 }}
	var b bytes.Buffer
	err := WriteTable(&b, Machine{Cores: 2, LoadBefore: "0.1 0.2 0.3", LoadAfter: "1 1 1", Rounds: 1}, []Result{res,
		{Row: solo, Ours: []Sample{{Wall: 400 * time.Millisecond}}, Peer: []Sample{{}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| sync | `rsync -a` | 3.00 MiB | 1.00 MiB | 3.00× [3.00–3.00] | 0 ms / 0 ms | 10 MiB / 5 MiB | < 1.0× | no |",
		"| compare | none | 400 ms | — | — | 0 ms / — | 0 MiB / — | < 1 s | yes |",
		"2 cores, load average 0.1 0.2 0.3 before and 1 1 1 after",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestSplice(t *testing.T) {
	readme := "# x\n## Benchmarks\n" + BeginMarker + "\nold table\n" + EndMarker + "\nafter\n"
	got, err := Splice([]byte(readme), []byte("new table\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "# x\n## Benchmarks\n" + BeginMarker + "\nnew table\n" + EndMarker + "\nafter\n"; string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{"no markers", EndMarker + "\n" + BeginMarker, BeginMarker + BeginMarker + EndMarker} {
		if _, err := Splice([]byte(bad), nil); err == nil {
			t.Errorf("Splice(%q) succeeded", bad)
		}
	}
}
