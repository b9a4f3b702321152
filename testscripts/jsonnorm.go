package testscripts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	builtins["jsonnorm"] = jsonnorm
}

// jsonnorm [-vary NAME,...] IN OUT: check every line of IN (stdout and
// stderr name what the last command printed) against the -j contract and
// write it to OUT with what varies from run to run replaced by
// placeholders, so that a golden file compares the rest byte for byte.
//
// The contract, for every line: one JSON object, "type" its first key,
// every key at every depth snake_case and a name, not a sentence, and no
// null (a field that does not apply is left out; a list is [] when empty).
// An empty IN is no line and passes.
//
// What varies: the value of a field named in varyingFields (times,
// durations, the lock holder, bytes on the wire), whatever its depth,
// becomes "<kind>", and so does that of a field -vary names for this run
// only (the free space of a directory on the test machine's disk); where
// another string of the line quotes such a value, it becomes the
// placeholder there too. In every string $WORK's value becomes "$WORK",
// and a test sshd's USER@127.0.0.1:PORT "$SSHD_X_USER@127.0.0.1:$SSHD_X_PORT".
func jsonnorm(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: jsonnorm [-vary NAME,...] IN OUT"
	vary := map[string]string{}
	if len(args) > 1 && args[0] == "-vary" {
		for _, n := range strings.Split(args[1], ",") {
			vary[n] = "<varies>"
		}
		args = args[2:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf(usage)
	}
	subs := []string{ts.Getenv("WORK"), "$WORK"}
	// The test sshds (sshd start NAME) listen on a port of their own and
	// let in the user running the tests.
	for c := 'A'; c <= 'Z'; c++ {
		v := "SSHD_" + string(c) + "_"
		if port := ts.Getenv(v + "PORT"); port != "" {
			addr := "127.0.0.1:" + port
			subs = append(subs, ts.Getenv(v+"USER")+"@"+addr, "$"+v+"USER@127.0.0.1:$"+v+"PORT", addr, "127.0.0.1:$"+v+"PORT")
		}
	}
	out, err := normJSONLines([]byte(ts.ReadFile(args[0])), subs, vary)
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
}

// varyingFields are the fields whose values differ between two runs of
// the same script, by name, and the placeholder each becomes. A field not
// named here is compared as it is: a byte count that does not vary (the
// data a sync sends, a key's size) must stay in the golden.
var varyingFields = map[string]string{
	"at":                  "<time>",     // convert: when a step was done or failed
	"started":             "<time>",     // convert: when a run began
	"seconds":             "<duration>", // convert: how long a step took
	"running":             "<holder>",   // convert status: the lock holder's pid, host and start
	"pid":                 "<pid>",
	"port":                "<port>",
	"wire_sent_bytes":     "<bytes>", // usbkey-sync: SSH framing, padding and rekeying vary
	"wire_received_bytes": "<bytes>",
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// maxKeyWords is the most words a key may have: beyond it, a key is a
// sentence ("the_file_was_not_found_on_the_target").
const maxKeyWords = 4

// checkKey says what is wrong with a key, or "".
func checkKey(k string) string {
	switch {
	case !snakeCase.MatchString(k):
		return "not snake_case"
	case strings.Contains(k, "__") || strings.HasSuffix(k, "_"):
		return "not snake_case (empty word)"
	case len(strings.Split(k, "_")) > maxKeyWords:
		return fmt.Sprintf("a sentence, not a name (more than %d words)", maxKeyWords)
	}
	return ""
}

// jvalue is a decoded JSON value that keeps its keys' order.
type jvalue struct {
	keys   []string  // an object's, in order
	elems  []*jvalue // an object's values (by keys) or an array's elements
	object bool
	array  bool
	scalar any // string, json.Number, bool or nil
}

func decodeValue(dec *json.Decoder) (*jvalue, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		v := &jvalue{object: true}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			if seen[k] {
				return nil, fmt.Errorf("key %q twice in one object", k)
			}
			seen[k] = true
			e, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			v.keys, v.elems = append(v.keys, k), append(v.elems, e)
		}
		_, err := dec.Token() // }
		return v, err
	case json.Delim('['):
		v := &jvalue{array: true}
		for dec.More() {
			e, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			v.elems = append(v.elems, e)
		}
		_, err := dec.Token() // ]
		return v, err
	}
	return &jvalue{scalar: t}, nil
}

// check walks v and returns every contract violation under path.
func (v *jvalue) check(path string) []string {
	var bad []string
	for i, k := range v.keys {
		if why := checkKey(k); why != "" {
			bad = append(bad, fmt.Sprintf("key %s%q: %s", path, k, why))
		}
		e := v.elems[i]
		if !e.object && !e.array && e.scalar == nil {
			bad = append(bad, fmt.Sprintf("key %s%q: null: leave out a field that does not apply, and write an empty list as []", path, k))
		}
		bad = append(bad, v.elems[i].check(path+k+".")...)
	}
	if v.array {
		for i, e := range v.elems {
			bad = append(bad, e.check(fmt.Sprintf("%s%d.", path, i))...)
		}
	}
	return bad
}

// quoted collects the string values of the varying fields under v, each
// with its placeholder, so that another string quoting one (a status's
// "next" naming the lock's holder) gets the placeholder too.
func (v *jvalue) quoted(vary map[string]string, into []string) []string {
	for i, k := range v.keys {
		p, ok := varyingFields[k]
		if q, ok2 := vary[k]; ok2 {
			p, ok = q, true
		}
		if s, isString := v.elems[i].scalar.(string); ok && isString && len(s) >= 8 {
			into = append(into, s, p)
		}
		into = v.elems[i].quoted(vary, into)
	}
	if v.array {
		for _, e := range v.elems {
			into = e.quoted(vary, into)
		}
	}
	return into
}

// normalize replaces varying fields' values and substitutes strings.
func (v *jvalue) normalize(r *strings.Replacer, vary map[string]string) {
	for i, k := range v.keys {
		p, ok := varyingFields[k]
		if q, ok2 := vary[k]; ok2 {
			p, ok = q, true
		}
		if ok && v.elems[i].scalar != nil {
			v.elems[i] = &jvalue{scalar: p}
			continue
		}
		v.elems[i].normalize(r, vary)
	}
	if v.array {
		for _, e := range v.elems {
			e.normalize(r, vary)
		}
	}
	if s, ok := v.scalar.(string); ok {
		v.scalar = r.Replace(s)
	}
}

func (v *jvalue) encode(b *bytes.Buffer) {
	switch {
	case v.object:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeScalar(b, k)
			b.WriteByte(':')
			v.elems[i].encode(b)
		}
		b.WriteByte('}')
	case v.array:
		b.WriteByte('[')
		for i, e := range v.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.encode(b)
		}
		b.WriteByte(']')
	default:
		encodeScalar(b, v.scalar)
	}
}

func encodeScalar(b *bytes.Buffer, s any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string, json.Number, bool or nil cannot fail
	b.Truncate(b.Len() - 1)
}

// normJSONLines checks each line of data against the contract and returns
// the lines normalized, or every violation found.
func normJSONLines(data []byte, subs []string, vary map[string]string) ([]byte, error) {
	var out bytes.Buffer
	var bad []string
	lines := strings.SplitAfter(string(data), "\n")
	for n, line := range lines {
		if line == "" {
			continue // after the last newline
		}
		where := fmt.Sprintf("line %d", n+1)
		if !strings.HasSuffix(line, "\n") {
			bad = append(bad, where+": no newline at the end")
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		v, err := decodeValue(dec)
		if err == nil {
			if _, err2 := dec.Token(); err2 != io.EOF {
				err = errors.New("more than one JSON value")
			}
		}
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s: not one JSON value: %v: %q", where, err, strings.TrimSpace(line)))
			continue
		case !v.object:
			bad = append(bad, fmt.Sprintf("%s: not a JSON object: %q", where, strings.TrimSpace(line)))
			continue
		case len(v.keys) == 0 || v.keys[0] != "type":
			bad = append(bad, fmt.Sprintf("%s: \"type\" is not the first key: %q", where, strings.TrimSpace(line)))
		default:
			if s, ok := v.elems[0].scalar.(string); !ok || s == "" {
				bad = append(bad, where+": \"type\" is not a non-empty string")
			}
		}
		for _, b := range v.check("") {
			bad = append(bad, where+": "+b)
		}
		v.normalize(replacer(v.quoted(vary, subs[:len(subs):len(subs)])), vary)
		v.encode(&out)
		out.WriteByte('\n')
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("not the -j contract:\n\t%s", strings.Join(bad, "\n\t"))
	}
	return out.Bytes(), nil
}

// replacer replaces each OLD of the OLD, NEW pairs by its NEW, longest OLD
// first, so that $WORK/a is replaced before a shorter OLD in it.
func replacer(subs []string) *strings.Replacer {
	var pairs [][2]string
	for i := 0; i+1 < len(subs); i += 2 {
		if subs[i] != "" {
			pairs = append(pairs, [2]string{subs[i], subs[i+1]})
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i][0]) > len(pairs[j][0]) })
	var flat []string
	for _, p := range pairs {
		flat = append(flat, p[0], p[1])
	}
	return strings.NewReplacer(flat...)
}
