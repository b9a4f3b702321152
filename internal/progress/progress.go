// Package progress shows where the time of a long copy goes: on a
// terminal a bar on stderr with bytes, rate and ETA, redrawn as bytes move
// (github.com/schollz/progressbar); anywhere else a log record about once a
// second, so that a log file or a pipe still says how far a run got.
//
// It owns the drawing and the pacing. It refuses stdout, which is for
// results: the bar goes to the writer it is given, the records to the
// logger. A nil *Meter is a meter that shows nothing, so libraries can
// take one without checking.
package progress

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Meter counts the bytes of one piece of work, which may be split into
// parts (Part): the targets of a sync.
type Meter struct {
	mu    sync.Mutex
	what  string
	parts []*Part
	total int64
	done  int64
	start time.Time
	last  time.Time // the last log record
	now   func() time.Time
	bar   *progressbar.ProgressBar
	log   *slog.Logger
	every time.Duration
}

// Options are how a meter shows itself.
type Options struct {
	// Terminal draws a bar on W; otherwise Log gets a record about once a
	// second (Every).
	Terminal bool
	W        io.Writer
	Log      *slog.Logger
	Every    time.Duration    // default 1 s
	Now      func() time.Time // default time.Now
}

// New starts a meter for what, total bytes (0 when unknown).
func New(what string, total int64, o Options) *Meter {
	m := &Meter{what: what, total: total, now: o.Now, log: o.Log, every: o.Every}
	if m.now == nil {
		m.now = time.Now
	}
	if m.every == 0 {
		m.every = time.Second
	}
	m.start = m.now()
	m.last = m.start
	if o.Terminal && o.W != nil {
		max := total
		if max <= 0 {
			max = -1 // a spinner: the size is unknown
		}
		m.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(o.W),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionOnCompletion(func() { io.WriteString(o.W, "\n") }),
			progressbar.OptionUseANSICodes(true),
			progressbar.OptionFullWidth(),
		)
	}
	return m
}

// Add counts n more bytes done.
func (m *Meter) Add(n int64) {
	if m == nil || n == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.add(n)
}

func (m *Meter) add(n int64) {
	m.done += n
	if m.bar != nil {
		if len(m.parts) > 0 {
			m.bar.Describe(m.describe())
		}
		m.bar.Add64(n)
		return
	}
	if now := m.now(); m.log != nil && now.Sub(m.last) >= m.every {
		m.last = now
		m.record(now, slog.LevelInfo, "progress")
	}
}

// Part is one named share of a meter's work (a target of a sync), shown
// beside the others: on a terminal in the bar's description ("cn1 45%
// cn2 60%"), elsewhere in each record. A nil *Part counts nothing.
type Part struct {
	m     *Meter
	name  string
	total int64 // -1 until SetTotal
	done  int64
}

// Part adds a part named name, its total not yet known.
func (m *Meter) Part(name string) *Part {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p := &Part{m: m, name: name, total: -1}
	m.parts = append(m.parts, p)
	return p
}

// SetTotal says how many bytes the part will count; the meter's total
// grows by as much.
func (p *Part) SetTotal(n int64) {
	if p == nil {
		return
	}
	m := p.m
	m.mu.Lock()
	defer m.mu.Unlock()
	p.total = n
	m.total += n
	if m.bar != nil {
		m.bar.ChangeMax64(max(m.total, 1))
		m.bar.Describe(m.describe())
	}
}

// Add counts n more bytes of the part done.
func (p *Part) Add(n int64) {
	if p == nil || n == 0 {
		return
	}
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.done += n
	p.m.add(n)
}

// share is "name 45%", or "name 1.2 MiB" while the total is unknown.
func (p *Part) share() string {
	switch {
	case p.total < 0:
		return p.name + " " + humanBytes(p.done)
	case p.total == 0:
		return p.name + " 100%"
	}
	return fmt.Sprintf("%s %d%%", p.name, min(p.done*100/p.total, 100))
}

// describe is the bar's description: what, then each part's share.
func (m *Meter) describe() string {
	d := m.what
	for _, p := range m.parts {
		d += " " + p.share()
	}
	return d
}

func humanBytes(n int64) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/(1<<10), "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1<<10 {
			break
		}
		v, unit = v/(1<<10), u
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

// Write counts len(p) bytes: a Meter can sit in an io.MultiWriter or
// under an io.TeeReader of the copy it measures.
func (m *Meter) Write(p []byte) (int, error) {
	m.Add(int64(len(p)))
	return len(p), nil
}

// Done ends the meter: the bar is completed, or one last record logged.
func (m *Meter) Done() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bar != nil {
		if m.total > 0 && m.done < m.total {
			m.bar.Exit() // stopped short: leave the bar where it got to
			return
		}
		m.bar.Finish()
		return
	}
	if m.log != nil {
		// A run short enough to have logged no progress ends quietly
		// (debug, for the log file); a long one says where it ended.
		level := slog.LevelDebug
		if m.last.After(m.start) {
			level = slog.LevelInfo
		}
		m.record(m.now(), level, "done")
	}
}

// record logs where the work stands: bytes, percent, rate and ETA.
func (m *Meter) record(now time.Time, level slog.Level, msg string) {
	elapsed := now.Sub(m.start).Seconds()
	attrs := []any{"what", m.what, "bytes", m.done}
	if len(m.parts) > 0 {
		// Each part's bytes, by name: which target is behind.
		var b strings.Builder
		for i, p := range m.parts {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s=%d", p.name, p.done)
			if p.total >= 0 {
				fmt.Fprintf(&b, "/%d", p.total)
			}
		}
		attrs = append(attrs, "parts", b.String())
	}
	if m.total > 0 {
		attrs = append(attrs, "total", m.total, "percent", m.done*100/m.total)
	}
	if elapsed > 0 {
		rate := float64(m.done) / elapsed
		attrs = append(attrs, "mib_per_s", float64(int(rate/(1<<20)*10))/10)
		if m.total > 0 && rate > 0 && m.done < m.total {
			attrs = append(attrs, "eta_s", int(float64(m.total-m.done)/rate+0.5))
		}
	}
	m.log.Log(context.Background(), level, msg, attrs...)
}
