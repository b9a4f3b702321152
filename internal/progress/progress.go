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
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Meter counts the bytes of one piece of work.
type Meter struct {
	mu    sync.Mutex
	what  string
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
	m.done += n
	if m.bar != nil {
		m.bar.Add64(n)
		return
	}
	if now := m.now(); m.log != nil && now.Sub(m.last) >= m.every {
		m.last = now
		m.record(now, slog.LevelInfo, "progress")
	}
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
