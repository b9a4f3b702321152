package progress

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRecordsAboutOnceASecond drives a meter with a fake clock: off a
// terminal it logs where the work stands once a second, not per write.
func TestRecordsAboutOnceASecond(t *testing.T) {
	var logs bytes.Buffer
	log := recordLog(&logs)
	now := time.Unix(0, 0)
	m := New("copying platform", 100<<20, Options{Log: log, Now: func() time.Time { return now }})
	for i := 0; i < 50; i++ { // 2 MiB every 100 ms: 20 MiB/s
		now = now.Add(100 * time.Millisecond)
		m.Add(2 << 20)
	}
	m.Done()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d records over 5 s, want 5 and a last one:\n%s", len(lines), logs.String())
	}
	if want := `level=INFO msg=progress what="copying platform" bytes=20971520 total=104857600 percent=20 mib_per_s=20 eta_s=4`; lines[0] != want {
		t.Errorf("first record:\n%s\nwant\n%s", lines[0], want)
	}
	if !strings.HasPrefix(lines[5], `level=INFO msg=done what="copying platform" bytes=104857600`) {
		t.Errorf("last record %q, want done with every byte", lines[5])
	}
}

// TestBarOnATerminal draws to a writer standing in for a terminal: bytes,
// the total, a rate and an ETA, on one line redrawn with \r.
func TestBarOnATerminal(t *testing.T) {
	var tty bytes.Buffer
	m := New("usbkey-sync cn1", 8<<20, Options{Terminal: true, W: &tty})
	for i := 0; i < 8; i++ {
		m.Add(1 << 20)
		time.Sleep(120 * time.Millisecond) // past the bar's 100 ms throttle
	}
	m.Done()
	out := tty.String()
	for _, want := range []string{"usbkey-sync cn1", "8.0 MiB", "MiB/s", "\r"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output lacks %q: %q", want, out)
		}
	}
}

func TestNilMeterIsSilent(t *testing.T) {
	var m *Meter
	m.Add(10)
	m.Write([]byte("abc"))
	m.Done()
}

// A run too short to log progress ends with a debug record, not an info
// line on every quick run's stderr.
func TestShortRunEndsQuietly(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := New("syncing", 0, Options{Log: log})
	m.Add(100)
	m.Done()
	if logs.Len() != 0 {
		t.Errorf("a short run logged at info: %s", logs.String())
	}
}

// TestPartsOnATerminal: one bar for the whole sync whose description
// gives each target's share.
func TestPartsOnATerminal(t *testing.T) {
	var tty lockedBuffer // the bar redraws from a goroutine of its own too
	m := New("usbkey-sync", 0, Options{Terminal: true, W: &tty})
	cn1, cn2 := m.Part("cn1"), m.Part("cn2")
	cn1.SetTotal(4 << 20)
	cn2.SetTotal(2 << 20)
	cn1.Add(2 << 20)
	cn2.Add(2 << 20)
	time.Sleep(120 * time.Millisecond) // past the bar's 100 ms throttle
	cn1.Add(1 << 20)
	time.Sleep(250 * time.Millisecond)
	m.Done()
	out := tty.String()
	if want := "usbkey-sync cn1 75% cn2 100%"; !strings.Contains(out, want) {
		t.Errorf("bar output lacks %q: %q", want, out)
	}
	if !strings.Contains(out, "6.0 MiB") {
		t.Errorf("bar output lacks the total of both parts, 6.0 MiB: %q", out)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPartsInRecords: off a terminal each record names every part's
// bytes, and its total once known.
func TestPartsInRecords(t *testing.T) {
	var logs bytes.Buffer
	log := recordLog(&logs)
	now := time.Unix(0, 0)
	m := New("usbkey-sync", 0, Options{Log: log, Now: func() time.Time { return now }})
	cn1, cn2 := m.Part("cn1"), m.Part("cn2")
	cn1.SetTotal(100)
	now = now.Add(time.Second)
	cn1.Add(40)
	now = now.Add(time.Second)
	cn2.Add(10)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	want := []string{
		`level=INFO msg=progress what=usbkey-sync bytes=40 parts="cn1=40/100 cn2=0" total=100 percent=40 mib_per_s=0 eta_s=2`,
		`level=INFO msg=progress what=usbkey-sync bytes=50 parts="cn1=40/100 cn2=10" total=100 percent=50 mib_per_s=0 eta_s=2`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(lines), len(want), logs.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("record %d:\n%s\nwant\n%s", i, lines[i], want[i])
		}
	}
}

// recordLog logs text records without their time to w.
func recordLog(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}
