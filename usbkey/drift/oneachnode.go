package drift

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// NodeResult is one element of sdc-oneachnode's JSON output (sdc-sdc
// lib/sdc-oneachnode.js): the node, and either what its command did or
// why Ur could not run it.
type NodeResult struct {
	UUID     string
	Hostname string
	Exec     *ExecResult // the command ran (whatever its exit status); nil with Err
	Err      *ExecError  // Ur could not run it: a timeout, an unreachable node
}

// ExecResult is an element's "result".
type ExecResult struct {
	ExitStatus int
	// Stdout is valid only during the callback that gets it: the parser
	// reuses its buffer, so that 1,000 manifests cost one buffer.
	Stdout []byte
	Stderr string
}

// ExecError is an element's "error".
type ExecError struct {
	Message string
	Name    string
	Code    string // "" where sdc-oneachnode wrote null
}

// maxString bounds one JSON string, a node's stdout above all: a
// manifest is about 300 bytes an entry.
const maxString = 1 << 30

// maxDepth bounds the nesting of a field the parser skips.
const maxDepth = 64

// ParseOnEachNode reads what `sdc-oneachnode -j` prints, one JSON array of
// results, or what -J prints, one result object a line, and calls fn with
// each element in the order printed. It stops at fn's first error.
//
// It is strict about what it uses: each element is an object with string
// "uuid" and "hostname" and exactly one of "result" (integer
// "exit_status", string "stdout" and "stderr") and "error" (string
// "message" and "name", "code" a string or null), and the input is JSON
// and nothing more. Fields it does not use are skipped, since Ur's reply
// may carry more than those. It reads the input once, streaming: the
// whole output of a large DC is never in memory.
func ParseOnEachNode(r io.Reader, fn func(*NodeResult) error) error {
	p := &oenParser{r: bufio.NewReaderSize(r, 64<<10)}
	if err := p.parse(fn); err != nil {
		var ue userError
		if errors.As(err, &ue) {
			return ue.err
		}
		return fmt.Errorf("sdc-oneachnode output: %w", err)
	}
	return nil
}

// userError is fn's error, returned as it is.
type userError struct{ err error }

func (e userError) Error() string { return e.err.Error() }

type oenParser struct {
	r       *bufio.Reader
	off     int64  // bytes consumed, for errors
	scratch []byte // keys and small strings
	stdout  []byte // the current element's stdout, reused
	n       int    // elements read
}

func (p *oenParser) parse(fn func(*NodeResult) error) error {
	c, err := p.peekNonSpace()
	switch {
	case err == io.EOF:
		return errors.New("empty: sdc-oneachnode printed nothing (it prints its errors on stderr)")
	case err != nil:
		return err
	case c == '[':
		return p.parseArray(fn)
	case c == '{':
		return p.parseLines(fn)
	}
	return p.errorf("want a JSON array (-j) or JSON objects (-J), found %s", quoteByte(c))
}

// parseArray reads -j's one array.
func (p *oenParser) parseArray(fn func(*NodeResult) error) error {
	p.readByte() // '['
	c, err := p.peekNonSpace()
	if err != nil {
		return p.unexpected(err, "an element or ]")
	}
	if c == ']' {
		p.readByte()
		return p.expectEOF("the array")
	}
	for {
		if err := p.element(fn); err != nil {
			return err
		}
		c, err := p.peekNonSpace()
		if err != nil {
			return p.unexpected(err, ", or ] after element "+strconv.Itoa(p.n))
		}
		p.readByte()
		switch c {
		case ',':
		case ']':
			return p.expectEOF("the array")
		default:
			return p.errorf("want , or ] after element %d, found %s", p.n, quoteByte(c))
		}
	}
}

// parseLines reads -J's objects, one a line (any JSON white space between
// them is accepted).
func (p *oenParser) parseLines(fn func(*NodeResult) error) error {
	for {
		if err := p.element(fn); err != nil {
			return err
		}
		c, err := p.peekNonSpace()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if c != '{' {
			return p.errorf("want a result object after element %d, found %s", p.n, quoteByte(c))
		}
	}
}

func (p *oenParser) expectEOF(after string) error {
	c, err := p.peekNonSpace()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	return p.errorf("%s after %s", quoteByte(c), after)
}

// element reads one result object and hands it to fn.
func (p *oenParser) element(fn func(*NodeResult) error) error {
	p.n++
	var nr NodeResult
	var seen fields
	err := p.object("element", func(key string) error {
		switch key {
		case "uuid":
			return p.stringField(&seen, fUUID, key, &nr.UUID)
		case "hostname":
			return p.stringField(&seen, fHostname, key, &nr.Hostname)
		case "result":
			if err := seen.mark(fResult, key); err != nil {
				return err
			}
			nr.Exec = &ExecResult{}
			return p.result(nr.Exec)
		case "error":
			if err := seen.mark(fError, key); err != nil {
				return err
			}
			nr.Err = &ExecError{}
			return p.execError(nr.Err)
		}
		return p.skipValue(0)
	})
	if err != nil {
		return p.elementError(&nr, err)
	}
	switch {
	case nr.UUID == "":
		err = errors.New(`no "uuid" (or an empty one)`)
	case nr.Hostname == "":
		err = errors.New(`no "hostname" (or an empty one)`)
	case nr.Exec == nil && nr.Err == nil:
		err = errors.New(`neither "result" nor "error"`)
	case nr.Exec != nil && nr.Err != nil:
		err = errors.New(`both "result" and "error"`)
	}
	if err != nil {
		return p.elementError(&nr, err)
	}
	if err := fn(&nr); err != nil {
		return userError{err}
	}
	return nil
}

func (p *oenParser) elementError(nr *NodeResult, err error) error {
	var ue userError
	if errors.As(err, &ue) {
		return err
	}
	who := ""
	switch {
	case nr.Hostname != "":
		who = " (" + nr.Hostname + ")"
	case nr.UUID != "":
		who = " (" + nr.UUID + ")"
	}
	return fmt.Errorf("element %d%s: %w", p.n, who, err)
}

// result reads an element's "result".
func (p *oenParser) result(res *ExecResult) error {
	var seen fields
	err := p.object(`"result"`, func(key string) error {
		switch key {
		case "exit_status":
			if err := seen.mark(fExit, key); err != nil {
				return err
			}
			n, err := p.exitStatus()
			res.ExitStatus = n
			return err
		case "stdout":
			if err := seen.mark(fStdout, key); err != nil {
				return err
			}
			if err := p.expect('"', `"stdout" a string`); err != nil {
				return err
			}
			var err error
			p.stdout, err = p.stringBody(p.stdout[:0], "stdout")
			res.Stdout = p.stdout
			return err
		case "stderr":
			return p.stringField(&seen, fStderr, key, &res.Stderr)
		}
		return p.skipValue(0)
	})
	if err != nil {
		return err
	}
	for _, f := range []struct {
		bit  fields
		name string
	}{{fExit, "exit_status"}, {fStdout, "stdout"}, {fStderr, "stderr"}} {
		if seen&f.bit == 0 {
			return fmt.Errorf(`"result" has no %q`, f.name)
		}
	}
	return nil
}

// execError reads an element's "error".
func (p *oenParser) execError(e *ExecError) error {
	var seen fields
	err := p.object(`"error"`, func(key string) error {
		switch key {
		case "message":
			return p.stringField(&seen, fMessage, key, &e.Message)
		case "name":
			return p.stringField(&seen, fName, key, &e.Name)
		case "code":
			if err := seen.mark(fCode, key); err != nil {
				return err
			}
			if c, err := p.peekNonSpace(); err == nil && c == 'n' {
				return p.literal("null")
			}
			if err := p.expect('"', `"code" a string or null`); err != nil {
				return err
			}
			b, err := p.stringBody(p.scratch[:0], "code")
			p.scratch = b
			e.Code = string(b)
			return err
		}
		return p.skipValue(0)
	})
	if err != nil {
		return err
	}
	if seen&fMessage == 0 {
		return errors.New(`"error" has no "message"`)
	}
	if seen&fName == 0 {
		return errors.New(`"error" has no "name"`)
	}
	return nil
}

// fields marks the keys of an object already read: JSON.stringify never
// writes one twice, and a second would leave which one counts unclear.
type fields uint16

const (
	fUUID fields = 1 << iota
	fHostname
	fResult
	fError
	fExit
	fStdout
	fStderr
	fMessage
	fName
	fCode
)

func (f *fields) mark(bit fields, key string) error {
	if *f&bit != 0 {
		return fmt.Errorf("%q given twice", key)
	}
	*f |= bit
	return nil
}

func (p *oenParser) stringField(seen *fields, bit fields, key string, dst *string) error {
	if err := seen.mark(bit, key); err != nil {
		return err
	}
	if err := p.expect('"', strconv.Quote(key)+" a string"); err != nil {
		return err
	}
	b, err := p.stringBody(p.scratch[:0], key)
	p.scratch = b
	*dst = string(b)
	return err
}

// exitStatus reads a JSON number that must be an exit status: a
// non-negative integer, as Ur reports it.
func (p *oenParser) exitStatus() (int, error) {
	c, err := p.peekNonSpace()
	if err != nil {
		return 0, p.unexpected(err, `"exit_status" a number`)
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, p.errorf(`want "exit_status" a number, found %s`, quoteByte(c))
	}
	num, err := p.number()
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf(`"exit_status" %s is not an exit status (an integer 0 to 255)`, num)
	}
	return n, nil
}

// object reads a JSON object, calling field with each key with the
// reader just before the value, which field must read.
func (p *oenParser) object(what string, field func(key string) error) error {
	if err := p.expect('{', what+" an object"); err != nil {
		return err
	}
	c, err := p.peekNonSpace()
	if err != nil {
		return p.unexpected(err, "a key or }")
	}
	if c == '}' {
		p.readByte()
		return nil
	}
	for {
		if err := p.expect('"', "a key"); err != nil {
			return err
		}
		k, err := p.stringBody(p.scratch[:0], "key")
		p.scratch = k
		if err != nil {
			return err
		}
		key := string(k)
		if err := p.expect(':', ": after "+strconv.Quote(key)); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		c, err := p.peekNonSpace()
		if err != nil {
			return p.unexpected(err, ", or } in "+what)
		}
		p.readByte()
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return p.errorf("want , or } in %s, found %s", what, quoteByte(c))
		}
	}
}

// skipValue reads any JSON value and drops it.
func (p *oenParser) skipValue(depth int) error {
	if depth > maxDepth {
		return p.errorf("values nested more than %d deep", maxDepth)
	}
	c, err := p.peekNonSpace()
	if err != nil {
		return p.unexpected(err, "a value")
	}
	switch {
	case c == '{':
		return p.object("an object", func(string) error { return p.skipValue(depth + 1) })
	case c == '[':
		p.readByte()
		if c, err := p.peekNonSpace(); err == nil && c == ']' {
			p.readByte()
			return nil
		}
		for {
			if err := p.skipValue(depth + 1); err != nil {
				return err
			}
			c, err := p.peekNonSpace()
			if err != nil {
				return p.unexpected(err, ", or ]")
			}
			p.readByte()
			if c == ']' {
				return nil
			}
			if c != ',' {
				return p.errorf("want , or ] in an array, found %s", quoteByte(c))
			}
		}
	case c == '"':
		p.readByte()
		b, err := p.stringBody(p.scratch[:0], "string")
		p.scratch = b
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := p.number()
		return err
	}
	return p.errorf("want a value, found %s", quoteByte(c))
}

func (p *oenParser) literal(word string) error {
	for i := 0; i < len(word); i++ {
		c, err := p.readByte()
		if err != nil {
			return p.unexpected(err, word)
		}
		if c != word[i] {
			return p.errorf("want %s, found %s", word, quoteByte(c))
		}
	}
	return nil
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *oenParser) number() (string, error) {
	b := p.scratch[:0]
	defer func() { p.scratch = b }()
	next := func() byte {
		c, err := p.r.ReadByte()
		if err != nil {
			return 0
		}
		p.off++
		b = append(b, c)
		return c
	}
	peek := func() byte {
		c, err := p.r.Peek(1)
		if err != nil {
			return 0
		}
		return c[0]
	}
	digits := func(what string) error {
		if c := peek(); c < '0' || c > '9' {
			return p.errorf("number %q: want a digit %s", b, what)
		}
		for c := peek(); c >= '0' && c <= '9'; c = peek() {
			next()
		}
		return nil
	}
	if peek() == '-' {
		next()
	}
	if peek() == '0' {
		next()
	} else if err := digits("in the integer part"); err != nil {
		return "", err
	}
	if peek() == '.' {
		next()
		if err := digits("after ."); err != nil {
			return "", err
		}
	}
	if c := peek(); c == 'e' || c == 'E' {
		next()
		if c := peek(); c == '+' || c == '-' {
			next()
		}
		if err := digits("in the exponent"); err != nil {
			return "", err
		}
	}
	if len(b) > 64 {
		return "", p.errorf("number of %d digits", len(b))
	}
	return string(b), nil
}

// plain marks the bytes that stand for themselves in a JSON string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// stringBody reads a JSON string's body and closing quote (the opening
// one read), appending its value to dst. It refuses control characters
// and bytes that are not UTF-8; a lone surrogate escape becomes U+FFFD,
// as encoding/json makes it.
func (p *oenParser) stringBody(dst []byte, what string) ([]byte, error) {
	start := len(dst)
	for {
		if _, err := p.r.Peek(1); err != nil {
			return dst, p.unexpected(err, "the end of a string")
		}
		buf, _ := p.r.Peek(p.r.Buffered())
		// Runs of plain bytes and the one-letter escapes (a manifest's
		// quotes and newlines) are taken straight from the buffer.
		i := 0
	scan:
		for i < len(buf) {
			if plain[buf[i]] {
				j := i + 1
				for j < len(buf) && plain[buf[j]] {
					j++
				}
				dst = append(dst, buf[i:j]...)
				i = j
				continue
			}
			if buf[i] != '\\' || i+1 == len(buf) {
				break
			}
			switch e := buf[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'n':
				dst = append(dst, '\n')
			case 't':
				dst = append(dst, '\t')
			case 'r':
				dst = append(dst, '\r')
			default:
				break scan
			}
			i += 2
		}
		if len(dst)-start > maxString {
			return dst, p.errorf("%s: a string of more than %d bytes", what, maxString)
		}
		p.r.Discard(i)
		p.off += int64(i)
		if i == len(buf) {
			continue
		}
		c, _ := p.readByte()
		switch {
		case c == '"':
			if !utf8.Valid(dst[start:]) {
				return dst, p.errorf("%s: a string that is not UTF-8", what)
			}
			return dst, nil
		case c < 0x20:
			return dst, p.errorf("%s: control character %s in a string", what, quoteByte(c))
		}
		// c == '\\'
		e, err := p.readByte()
		if err != nil {
			return dst, p.unexpected(err, "an escape")
		}
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return dst, err
			}
			if utf16.IsSurrogate(r) {
				r = p.lowSurrogate(r)
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, p.errorf("%s: invalid escape \\%s", what, string(rune(e)))
		}
	}
}

// lowSurrogate pairs the high surrogate r with a following \uXXXX low
// one, or gives U+FFFD and leaves the input where it was.
func (p *oenParser) lowSurrogate(r rune) rune {
	if b, err := p.r.Peek(6); err == nil && b[0] == '\\' && b[1] == 'u' {
		var lo rune
		for _, c := range b[2:] {
			d := unhex(c)
			if d < 0 {
				return utf8.RuneError
			}
			lo = lo<<4 | d
		}
		if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
			p.r.Discard(6)
			p.off += 6
			return d
		}
	}
	return utf8.RuneError
}

func (p *oenParser) hex4() (rune, error) {
	var r rune
	for range 4 {
		c, err := p.readByte()
		if err != nil {
			return 0, p.unexpected(err, "four hex digits after \\u")
		}
		d := unhex(c)
		if d < 0 {
			return 0, p.errorf("want four hex digits after \\u, found %s", quoteByte(c))
		}
		r = r<<4 | d
	}
	return r, nil
}

func unhex(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func (p *oenParser) expect(want byte, what string) error {
	c, err := p.peekNonSpace()
	if err != nil {
		return p.unexpected(err, what)
	}
	if c != want {
		return p.errorf("want %s, found %s", what, quoteByte(c))
	}
	p.readByte()
	return nil
}

// peekNonSpace skips JSON white space and returns the next byte unread.
func (p *oenParser) peekNonSpace() (byte, error) {
	for {
		b, err := p.r.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\n', '\r':
			p.r.Discard(1)
			p.off++
			continue
		}
		return b[0], nil
	}
}

func (p *oenParser) readByte() (byte, error) {
	c, err := p.r.ReadByte()
	if err == nil {
		p.off++
	}
	return c, err
}

func (p *oenParser) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", p.off, fmt.Sprintf(format, args...))
}

// unexpected says what the input lacked where it stopped or failed.
func (p *oenParser) unexpected(err error, want string) error {
	if err == io.EOF {
		return p.errorf("output ends where %s was wanted: cut short?", want)
	}
	return fmt.Errorf("byte %d: read: %w", p.off, err)
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
