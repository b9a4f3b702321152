package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRecordsAboutOnceASecond drives a meter with a fake clock: off a
// terminal it logs where the work stands once a second, not per write.
func TestRecordsAboutOnceASecond(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
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
