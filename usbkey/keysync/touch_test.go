package keysync

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSharedMTimes: files sharing an mtime get it from one touch on the
// target, the others over SFTP; every target file ends with its source's
// mtime, and the next sync finds nothing to do.
func TestSharedMTimes(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	files := map[string]string{}
	for i := range 2 * touchMin {
		files[fmt.Sprintf("extra/shared/f%d", i)] = fmt.Sprint(i)
	}
	writeTree(t, src, files)
	other := time.Date(1999, 12, 31, 23, 59, 58, 0, time.UTC)
	for i := range 3 {
		p := filepath.Join(src, fmt.Sprintf("extra/shared/f%d", i))
		if err := os.Chtimes(p, other, other.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	r := syncOnce(t, s, src, dst, func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	if !r.InStep() || r.Sent != len(files) {
		t.Fatalf("sync = %+v, want %d sent", r, len(files))
	}
	if want := fmt.Sprintf(`msg="mtimes set by touch" target=%s files=%d`, r.Target, len(files)-3); !strings.Contains(logs.String(), want) {
		t.Errorf("logs lack %q:\n%s", want, logs.String())
	}
	for p := range files {
		want, _ := os.Stat(filepath.Join(src, p))
		got, err := os.Stat(filepath.Join(dst, p))
		if err != nil || !got.ModTime().Equal(want.ModTime()) {
			t.Errorf("%s: target mtime %v (%v), want %v", p, got.ModTime(), err, want.ModTime())
		}
	}
	if r := syncOnce(t, s, src, dst, nil); !r.InStep() || r.Sent != 0 || r.Skipped != len(files) {
		t.Errorf("second sync = %+v, want all %d skipped", r, len(files))
	}
}
