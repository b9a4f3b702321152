package tool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBunyanRecord(t *testing.T) {
	var b bytes.Buffer
	l := slog.New(newBunyanHandler(&b, "usbkey-sync", "cn7", 4242)).With("target", "cn8")
	l.Warn("target behind", "err", errors.New("boom"), "took", 1500*time.Millisecond, "name", "clash", slog.Group("g", "k", 1))
	var rec map[string]any
	if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
		t.Fatalf("%q: %v", b.String(), err)
	}
	for k, want := range map[string]any{
		"v": 0.0, "level": 40.0, "name": "usbkey-sync", "hostname": "cn7", "pid": 4242.0,
		"msg": "target behind", "target": "cn8", "err": "boom", "took": 1.5, "name_": "clash", "g.k": 1.0,
	} {
		if rec[k] != want {
			t.Errorf("field %s = %#v, want %#v (record %s)", k, rec[k], want, b.String())
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", rec["time"].(string)); err != nil {
		t.Errorf("time %q is not node-bunyan's toISOString: %v", rec["time"], err)
	}
}

// TestBunyanCLIReadsIt hands a log written by the handler to the real
// bunyan CLI (installed by make test): it must render every record and
// filter by level.
func TestBunyanCLIReadsIt(t *testing.T) {
	bunyan, err := exec.LookPath("bunyan")
	if err != nil {
		t.Fatalf("bunyan: %v: make deps installs it (npm install -g bunyan)", err)
	}
	var b bytes.Buffer
	l := slog.New(newBunyanHandler(&b, "convert-to-headnode", "cn7", 99))
	l.Debug("planning", "step", "format-key")
	l.Info("step done", "step", "format-key")
	l.Error("failed", "err", "the key is gone")
	f := filepath.Join(t.TempDir(), "run.log")
	if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bunyan, "-o", "short", f).CombinedOutput()
	if err != nil {
		t.Fatalf("bunyan: %v: %s", err, out)
	}
	for _, want := range []string{"DEBUG convert-to-headnode: planning (step=format-key)", "INFO convert-to-headnode: step done (step=format-key)", "ERROR convert-to-headnode: failed (err=\"the key is gone\")"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("bunyan -o short does not show %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(bunyan, "-l", "warn", f).CombinedOutput()
	if err != nil {
		t.Fatalf("bunyan -l warn: %v: %s", err, out)
	}
	if strings.Contains(string(out), "planning") || strings.Contains(string(out), "step done") || !strings.Contains(string(out), "failed") {
		t.Errorf("bunyan -l warn does not filter the records by level:\n%s", out)
	}
}

func TestPruneLogsKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 12; i++ {
		os.WriteFile(LogFileName(dir, time.UnixMilli(int64(1000+i)), 7, "usbkey-sync"), nil, 0o600)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o600)
	if err := pruneLogs(dir, 5); err != nil {
		t.Fatal(err)
	}
	es, _ := os.ReadDir(dir)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	want := []string{}
	for i := 7; i < 12; i++ {
		want = append(want, fmt.Sprintf("%d-000007-usbkey-sync.log", 1000+i))
	}
	want = append(want, "notes.txt")
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("after pruning to 5: %v, want %v", names, want)
	}
}
