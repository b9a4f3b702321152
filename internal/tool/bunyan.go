package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Bunyan's levels (node-bunyan lib/bunyan.js: TRACE 10 ... FATAL 60).
const (
	bunyanTrace = 10
	bunyanDebug = 20
	bunyanInfo  = 30
	bunyanWarn  = 40
	bunyanError = 50
)

// bunyanLevel maps slog's levels onto Bunyan's.
func bunyanLevel(l slog.Level) int {
	switch {
	case l < slog.LevelDebug:
		return bunyanTrace
	case l < slog.LevelInfo:
		return bunyanDebug
	case l < slog.LevelWarn:
		return bunyanInfo
	case l < slog.LevelError:
		return bunyanWarn
	default:
		return bunyanError
	}
}

// bunyanCore are the fields node-bunyan writes on every record; an
// attribute of the same name is written with a trailing "_" so that
// `bunyan` still reads the record.
var bunyanCore = map[string]bool{"v": true, "level": true, "name": true, "hostname": true, "pid": true, "time": true, "msg": true}

// bunyanHandler writes slog records as Bunyan records, one JSON object a
// line, at every level: the log file is for the post-mortem.
type bunyanHandler struct {
	mu       *sync.Mutex
	w        io.Writer
	name     string
	hostname string
	pid      int
	prefix   string // the open groups, "a.b."
	attrs    []slog.Attr
}

func newBunyanHandler(w io.Writer, name, hostname string, pid int) *bunyanHandler {
	return &bunyanHandler{mu: &sync.Mutex{}, w: w, name: name, hostname: hostname, pid: pid}
}

func (h *bunyanHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *bunyanHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), prefixed(h.prefix, as)...)
	return &c
}

func (h *bunyanHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

func prefixed(prefix string, as []slog.Attr) []slog.Attr {
	if prefix == "" {
		return as
	}
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = slog.Attr{Key: prefix + a.Key, Value: a.Value}
	}
	return out
}

func (h *bunyanHandler) Handle(_ context.Context, r slog.Record) error {
	fields := map[string]any{}
	var add func(prefix string, a slog.Attr)
	add = func(prefix string, a slog.Attr) {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			for _, g := range v.Group() {
				add(prefix+a.Key+".", g)
			}
			return
		}
		if a.Key == "" {
			return
		}
		key := prefix + a.Key
		if bunyanCore[key] {
			key += "_"
		}
		fields[key] = jsonValue(v)
	}
	for _, a := range h.attrs {
		add("", a)
	}
	r.Attrs(func(a slog.Attr) bool { add(h.prefix, a); return true })

	t := r.Time
	if t.IsZero() {
		t = time.Now()
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
	// node-bunyan writes toISOString(): UTC, milliseconds, "Z".
	field("time", t.UTC().Format("2006-01-02T15:04:05.000Z"))
	field("v", 0)
	b.WriteString("}\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b.Bytes())
	return err
}

// jsonValue is what a record's field is written as: errors as their
// message, durations as seconds, times in UTC, the rest as JSON has them.
func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindDuration:
		return v.Duration().Seconds()
	case slog.KindTime:
		return v.Time().UTC().Format(time.RFC3339Nano)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return x.Error()
		case fmt.Stringer:
			return x.String()
		case json.Marshaler:
			return x
		}
		return v.Any()
	default:
		return v.Any()
	}
}

// LogFileName is a run's log file in dir, as sdcadm names its own
// (sdcadm lib/logging.js:192-193, "%s/%s-%06d-%s.log": milliseconds since
// the epoch, the pid, the command).
func LogFileName(dir string, now time.Time, pid int, tool string) string {
	return filepath.Join(dir, fmt.Sprintf("%d-%06d-%s.log", now.UnixMilli(), pid, tool))
}

// KeepLogs is how many run logs a log directory keeps: opening a new one
// removes the oldest beyond it, so a node that converts and syncs for
// years does not fill /var (sdcadm relies on a logadm rollup for that).
const KeepLogs = 200

// pruneLogs removes the oldest run logs in dir beyond keep. Names sort by
// their millisecond stamp; files that are not run logs are left alone.
func pruneLogs(dir string, keep int) error {
	es, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	type log struct {
		ms   int64
		name string
	}
	var logs []log
	for _, e := range es {
		var ms int64
		var rest string
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		if n, _ := fmt.Sscanf(e.Name(), "%d-%s", &ms, &rest); n != 2 {
			continue
		}
		logs = append(logs, log{ms, e.Name()})
	}
	if len(logs) <= keep {
		return nil
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i].ms < logs[j].ms })
	var errs []error
	for _, l := range logs[:len(logs)-keep] {
		if err := os.Remove(filepath.Join(dir, l.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
