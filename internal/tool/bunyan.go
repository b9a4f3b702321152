package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
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

// bunyanField is one attribute of a record, named as it is written.
type bunyanField struct {
	key string
	val slog.Value
}

// bunyanLines are the buffers records are encoded into: a populate or a
// sync writes a record a file, thousands a run, and encoding each through
// a map and json.Marshal was 46 allocations and 6 us a record.
var bunyanLines = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// fields flattens the handler's and the record's attributes into the
// record's fields, groups as "a.b.", in the order they were added.
func (h *bunyanHandler) fields(r slog.Record) []bunyanField {
	fields := make([]bunyanField, 0, len(h.attrs)+r.NumAttrs())
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
		fields = append(fields, bunyanField{key, v})
	}
	for _, a := range h.attrs {
		add("", a)
	}
	r.Attrs(func(a slog.Attr) bool { add(h.prefix, a); return true })
	return fields
}

func (h *bunyanHandler) Handle(_ context.Context, r slog.Record) error {
	fields := h.fields(r)
	// In the order of their names; of two with one name, the later.
	slices.SortStableFunc(fields, func(a, b bunyanField) int { return strings.Compare(a.key, b.key) })

	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	bp := bunyanLines.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 { // a record with a huge field is not kept
			bunyanLines.Put(bp)
		}
	}()
	b := append((*bp)[:0], `{"name":`...)
	b = appendJSON(b, h.name)
	b = append(b, `,"hostname":`...)
	b = appendJSON(b, h.hostname)
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(h.pid), 10)
	b = append(b, `,"level":`...)
	b = strconv.AppendInt(b, int64(bunyanLevel(r.Level)), 10)
	for i, f := range fields {
		if i+1 < len(fields) && fields[i+1].key == f.key {
			continue
		}
		b = append(b, ',')
		b = appendJSON(b, f.key)
		b = append(b, ':')
		b = appendJSON(b, jsonValue(f.val))
	}
	b = append(b, `,"msg":`...)
	b = appendJSON(b, r.Message)
	// node-bunyan writes toISOString(): UTC, milliseconds, "Z".
	b = append(b, `,"time":"`...)
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","v":0}`+"\n"...)
	*bp = b
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b)
	return err
}

// appendJSON appends v as json.Marshal writes it, or, when it cannot,
// its fmt.Sprint as a JSON string. Strings of printable ASCII that JSON
// (and encoding/json's HTML escaping) leaves alone, integers and booleans
// are written here; the rest by json.Marshal.
func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		if plainJSON(x) {
			b = append(b, '"')
			b = append(b, x...)
			return append(b, '"')
		}
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case bool:
		return strconv.AppendBool(b, x)
	}
	j, err := json.Marshal(v)
	if err != nil {
		j, _ = json.Marshal(fmt.Sprint(v))
	}
	return append(b, j...)
}

// plainJSON reports whether json.Marshal writes s as it is, quoted.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
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
