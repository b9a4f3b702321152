package config

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Kind says how config.sh treats a line.
type Kind int

const (
	// Blank is empty or spaces only; config.sh drops it.
	Blank Kind = iota
	// Comment starts with # after leading spaces; config.sh drops it.
	Comment
	// Ignored starts, after leading spaces, with something other than a
	// letter (a tab, a digit, an underscore, ...); config.sh drops it.
	Ignored
	// Assignment is `key=value` with a key that starts with a letter.
	Assignment
	// Command starts with a letter but is not a simple assignment. config.sh
	// evals it, this package carries it untouched and does not interpret it.
	Command
)

var kindNames = [...]string{"blank", "comment", "ignored", "assignment", "command"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// line is one line of the file exactly as read, plus what parsing learned.
type line struct {
	// text and value are Secrets so that no fmt verb, even on a File in an
	// unexported field where fmt cannot call File.Format, shows them.
	text Secret // without the terminating "\n"; a "\r" before it is content, as bash sees it
	nl   bool   // whether a "\n" followed; only the last line can lack it
	kind Kind

	// Assignment lines only.
	key      string
	valStart int    // index in text just after '='
	valEnd   int    // index in text just after the value word
	value    Secret // decoded value, best effort when !exact
	exact    bool   // value is what bash would assign
	clean    bool   // only blanks and a comment follow the value word
}

// File is a parsed config file. It keeps every line as read, so writing it
// back gives the same bytes, and edits touch only the lines they change.
// The zero File is empty and ready to use.
type File struct {
	lines []*line
}

// ParseError is a line that would make config.sh's eval read beyond it.
type ParseError struct {
	Line int    // 1-based
	Key  string // the key assigned on the line, if any
	Err  error
}

func (e *ParseError) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("line %d: %s: %v", e.Line, e.Key, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a config file. It fails on a line that config.sh evals and that
// bash would not read as simple commands ending on that line: a quote or
// substitution left open, a trailing backslash, a subshell, pipe, redirection
// or compound command, a syntax error. Bash would then read the following
// lines into it, or stop the eval there and drop them, and this package
// could not say what the file means.
func Parse(b []byte) (*File, error) {
	f := &File{}
	s := string(b)
	for n := 1; len(s) > 0; n++ {
		text, rest, nl := strings.Cut(s, "\n")
		s = rest
		l, err := parseLine(text)
		if err != nil {
			return nil, &ParseError{Line: n, Key: l.key, Err: err}
		}
		l.nl = nl
		f.lines = append(f.lines, &l)
	}
	return f, nil
}

// parseLine classifies one line the way config.sh's sed and grep do, then
// reads an assignment's value the way bash's eval would.
func parseLine(text string) (line, error) {
	l := line{text: NewSecret(text)}
	// config.sh strips leading spaces only; a tab is left and then the
	// line is dropped for not starting with a letter.
	indent := len(text) - len(strings.TrimLeft(text, " "))
	body := text[indent:]
	switch {
	case body == "":
		l.kind = Blank
		return l, nil
	case body[0] == '#':
		l.kind = Comment
		return l, nil
	case !isLetter(body[0]):
		l.kind = Ignored
		return l, nil
	}
	k := 1
	for k < len(body) && isNameChar(body[k]) {
		k++
	}
	if k == len(body) || body[k] != '=' {
		l.kind = Command
		_, err := scanRest(body, 0, true)
		return l, err
	}
	l.kind = Assignment
	l.key = body[:k]
	l.valStart = indent + k + 1
	w, err := scanWord(text, l.valStart)
	if err != nil {
		return l, err
	}
	clean, err := scanRest(text, w.end, false)
	if err != nil {
		return l, err
	}
	l.valEnd, l.value, l.clean = w.end, NewSecret(w.text), clean
	// Anything after the value other than a comment is another word or
	// command: `k=a b` even runs b with k set only in its environment.
	l.exact = w.exact && clean
	return l, nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Bytes returns the file as it would be written.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range f.lines {
		b.WriteString(l.text.Reveal())
		if l.nl {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// WriteTo writes the file to w.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(f.Bytes())
	return int64(n), err
}

// Clone returns an independent copy of f.
func (f *File) Clone() *File {
	g := &File{lines: make([]*line, len(f.lines))}
	for i, l := range f.lines {
		c := *l
		g.lines[i] = &c
	}
	return g
}

// String describes f without its values, so that printing a File by
// mistake cannot show a secret. String, GoString and Format have value
// receivers so that a File printed by value is covered too.
func (f File) String() string {
	return fmt.Sprintf("config.File{lines: %d, keys: %d}", len(f.lines), len(f.Keys()))
}

// GoString is String: %#v must not show values either.
func (f File) GoString() string { return f.String() }

// Format prints String for every verb.
func (f File) Format(s fmt.State, verb rune) { io.WriteString(s, f.String()) }

// last returns the index of the line that assigns key last, or -1.
func (f *File) last(key string) int {
	for i := len(f.lines) - 1; i >= 0; i-- {
		if l := f.lines[i]; l.kind == Assignment && l.key == key {
			return i
		}
	}
	return -1
}

// Get returns the value bash would give key: the last assignment wins. exact
// is false when the value depends on an expansion or a command at eval time;
// value is then the text with quotes removed and expansions left as written.
func (f *File) Get(key string) (value string, exact, ok bool) {
	i := f.last(key)
	if i < 0 {
		return "", false, false
	}
	l := f.lines[i]
	return l.value.Reveal(), l.exact, true
}

// Raw returns the text after `key=` on the line that assigns key last,
// exactly as written with its quotes, without a trailing comment.
func (f *File) Raw(key string) (string, bool) {
	i := f.last(key)
	if i < 0 {
		return "", false
	}
	return f.lines[i].raw(), true
}

// raw is the value as written: the value word, or everything after `=` when
// more than a comment follows the word, since that is part of its meaning.
func (l *line) raw() string {
	if l.clean {
		return l.text.Reveal()[l.valStart:l.valEnd]
	}
	return l.text.Reveal()[l.valStart:]
}

// Entry is what a File knows about one key. Value and Raw are masked when
// IsSecret says so; Reveal gives their text.
type Entry struct {
	Key   string
	Value Value // decoded; see File.Get
	Raw   Value // the value's text as written; see File.Raw
	Exact bool  // Value is what bash would assign
	Line  int   // 1-based number of the line that assigns it last
}

// Lookup returns key's entry, from the line that assigns it last.
func (f *File) Lookup(key string) (Entry, bool) {
	i := f.last(key)
	if i < 0 {
		return Entry{}, false
	}
	return f.entry(i), true
}

func (f *File) entry(i int) Entry {
	l := f.lines[i]
	raw := l.raw()
	value := l.value.Reveal()
	// A line that does more than one assignment (`mantapw=1; moray_pass=…`)
	// shows its whole rest as the first key's raw value: any secret
	// assigned on it masks it.
	secret := IsSecret(l.key, value) || IsSecret(l.key, raw) || !l.clean && assignsSecret(raw)
	return Entry{
		Key:   l.key,
		Value: newValue(value, secret),
		Raw:   newValue(raw, secret),
		Exact: l.exact,
		Line:  i + 1,
	}
}

// Entries returns one entry per key, in the order of the lines that assign
// them last, which is the order bash leaves them in.
func (f *File) Entries() []Entry {
	seen := map[string]bool{}
	var rev []Entry
	for i := len(f.lines) - 1; i >= 0; i-- {
		l := f.lines[i]
		if l.kind != Assignment || seen[l.key] {
			continue
		}
		seen[l.key] = true
		rev = append(rev, f.entry(i))
	}
	out := make([]Entry, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

// Keys returns the keys that Entries returns, in the same order.
func (f *File) Keys() []string {
	var keys []string
	for _, e := range f.Entries() {
		keys = append(keys, e.Key)
	}
	return keys
}

// Commands returns the 1-based numbers of the lines config.sh would eval
// that do more than one simple assignment (`export k=v`, `k+=v`, `a=1; b=2`,
// `k=a b`); what they do is not known here.
func (f *File) Commands() []int {
	var out []int
	for i, l := range f.lines {
		if l.kind == Command || l.kind == Assignment && !l.clean {
			out = append(out, i+1)
		}
	}
	return out
}

// Set gives key the value, so that config.sh reads back exactly value. If key
// is assigned already, only the line that assigns it last is rewritten: its
// leading spaces and trailing comment stay, and earlier assignments, which
// that line overrides, are left alone. Otherwise `key=value` is appended.
func (f *File) Set(key, value string) error {
	if !ValidKey(key) {
		return fmt.Errorf("set %q: key must match [A-Za-z][A-Za-z0-9_]*, since config.sh drops lines that do not start with a letter", key)
	}
	quoted, err := quoteFor(key, value)
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	i := f.last(key)
	var text string
	if i >= 0 {
		l := f.lines[i]
		if !l.clean {
			return fmt.Errorf("set %s: line %d holds more than this assignment; edit that line by hand", key, i+1)
		}
		old := l.text.Reveal()
		text = old[:l.valStart] + quoted + old[l.valEnd:]
	} else {
		text = key + "=" + quoted
	}
	l, err := parseLine(text)
	if err != nil || l.key != key || l.value.Reveal() != value || !l.exact {
		return fmt.Errorf("BUG: set %s: the new line does not read back as the value", key)
	}
	l.nl = true
	if i >= 0 {
		l.nl = f.lines[i].nl
		f.lines[i] = &l
		return nil
	}
	if n := len(f.lines); n > 0 {
		f.lines[n-1].nl = true
	}
	f.lines = append(f.lines, &l)
	return nil
}

// Delete removes every line that assigns key, since removing only the last
// would bring back an earlier value, and reports how many it removed.
// It removes nothing if one of those lines holds more than the assignment.
func (f *File) Delete(key string) (int, error) {
	return f.DeleteFunc(func(k string) bool { return k == key })
}

// DeleteFunc removes every line that assigns a key for which del is true,
// and reports how many it removed. It removes nothing if one of those lines
// holds more than the assignment.
func (f *File) DeleteFunc(del func(key string) bool) (int, error) {
	for i, l := range f.lines {
		if l.kind == Assignment && !l.clean && del(l.key) {
			return 0, fmt.Errorf("delete %s: line %d holds more than this assignment; edit that line by hand", l.key, i+1)
		}
	}
	kept := f.lines[:0]
	n := 0
	for _, l := range f.lines {
		if l.kind == Assignment && del(l.key) {
			n++
			continue
		}
		kept = append(kept, l)
	}
	clear(f.lines[len(kept):])
	f.lines = kept
	return n, nil
}

// ValidKey reports whether key can be written so that config.sh reads it:
// a shell name that starts with a letter.
func ValidKey(key string) bool {
	if key == "" || !isLetter(key[0]) {
		return false
	}
	for i := 1; i < len(key); i++ {
		if !isNameChar(key[i]) {
			return false
		}
	}
	return true
}
