package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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

// bunyanOracle is how records were encoded before appendJSON: every
// name and value through json.Marshal, from a map (the last of a name
// kept), names sorted. The handler must write the same bytes.
func bunyanOracle(h *bunyanHandler, r slog.Record) string {
	fields := map[string]any{}
	for _, f := range h.fields(r) {
		fields[f.key] = jsonValue(f.val)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	field := func(k string, v any) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(v)
		if err != nil {
			vb, _ = json.Marshal(fmt.Sprint(v))
		}
		b.Write(vb)
	}
	field("name", h.name)
	field("hostname", h.hostname)
	field("pid", h.pid)
	field("level", bunyanLevel(r.Level))
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field(k, fields[k])
	}
	field("msg", r.Message)
	field("time", r.Time.UTC().Format("2006-01-02T15:04:05.000Z"))
	field("v", 0)
	b.WriteString("}\n")
	return b.String()
}

func TestBunyanEncodesAsJSONMarshal(t *testing.T) {
	odd := []string{"", "plain path/a-b_c.txt", "a<b", "a>b", "a&b", `quote " back \ slash`, "<html> & co", "tab\there\nnew", "\x7f del", "ünïcødé", "\u2028\u2029", "bad \xff utf8", "nul \x00"}
	var vals []slog.Attr
	for i, s := range odd {
		vals = append(vals, slog.String(fmt.Sprintf("s%d", i), s), slog.String(s, "as a name"))
	}
	vals = append(vals,
		slog.Int("int", -42), slog.Int64("i64", math.MinInt64), slog.Uint64("u64", math.MaxUint64),
		slog.Float64("float", 1e21), slog.Float64("small", 0.000001), slog.Bool("ok", true),
		slog.Duration("took", 1500*time.Millisecond), slog.Time("at", time.Date(2026, 12, 2, 14, 0, 0, 5, time.FixedZone("x", 3600))),
		slog.Any("err", errors.New("boom <x>")), slog.Any("nil", nil), slog.Any("list", []int{1, 2}),
		slog.Any("map", map[string]string{"b": "1", "a": "<2>"}), slog.Any("nan", math.NaN()),
		slog.Group("g", slog.String("k", "v"), slog.Group("h", slog.Int("n", 1))),
		slog.String("dup", "first"), slog.String("dup", "second"), slog.String("msg", "clash"), slog.String("", "no name"),
	)
	at := time.Date(2026, 12, 2, 14, 0, 0, 123456789, time.UTC)
	for _, h := range []*bunyanHandler{
		newBunyanHandler(nil, "usbkey-sync", "cn7", 4242),
		newBunyanHandler(nil, "a\"b", "<h>", 1).WithAttrs([]slog.Attr{slog.String("dup", "handler's"), slog.String("target", "cn8")}).(*bunyanHandler),
		newBunyanHandler(nil, "x", "y", 2).WithGroup("grp").(*bunyanHandler),
	} {
		for _, msg := range odd {
			var b bytes.Buffer
			h.w = &b
			r := slog.NewRecord(at, slog.LevelWarn, msg, 0)
			r.AddAttrs(vals...)
			if err := h.Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if want := bunyanOracle(h, r); b.String() != want {
				t.Errorf("record %q:\n got %s\nwant %s", msg, b.String(), want)
			}
		}
	}
}

// A populate or a sync writes one of these a file.
func BenchmarkBunyanRecord(b *testing.B) {
	l := slog.New(newBunyanHandler(io.Discard, "usbkey-populate", "cn7", 4242))
	b.ReportAllocs()
	for b.Loop() {
		l.LogAttrs(context.Background(), slog.LevelDebug, "copied", slog.String("path", "os/20260301T000000Z/platform/i86pc/amd64/boot_archive.hash"),
			slog.Int64("bytes", 12345), slog.String("sha256", "808eb56ae0c27759beb5b322f23dcce701007e40a8d0e9ba1c3cb63978de303a"), slog.Bool("committed", false))
	}
}
