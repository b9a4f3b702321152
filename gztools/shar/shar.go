package shar

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// PayloadName is the file the sdcadm shar carries its tree in.
const PayloadName = "contents.tgz"

// ErrNoPayload means the file holds no contents.tgz that Payload can find.
var ErrNoPayload = errors.New("no contents.tgz payload found: is this an sdcadm shar (sdcadm-<stamp>.sh)?")

var beginLine = regexp.MustCompile(`^X?begin [0-7]{3,4} (\S+)$`)

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// Payload returns the bytes of the shar's contents.tgz.
func Payload(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		m := beginLine.FindStringSubmatch(string(sc.Bytes()))
		if m == nil || m[1] != PayloadName {
			continue
		}
		return uudecode(sc, line)
	}
	// No uuencoded block: a raw tarball after the script.
	if i := bytes.Index(data, append([]byte{'\n'}, gzipMagic...)); i >= 0 {
		return data[i+1:], nil
	}
	return nil, ErrNoPayload
}

// uudecode decodes lines up to "end", as uudecode(1) does.
func uudecode(sc *bufio.Scanner, line int) ([]byte, error) {
	var out []byte
	for sc.Scan() {
		line++
		l := sc.Bytes()
		if len(l) > 0 && l[0] == 'X' && len(l) > 1 && !isUULine(l) {
			l = l[1:] // shar's "sed 's/^X//'" prefix
		}
		l = bytes.TrimRight(l, "\r")
		if string(l) == "end" {
			return out, nil
		}
		if len(l) == 0 {
			continue
		}
		n := int((l[0] - ' ') & 0x3f)
		if n == 0 {
			continue // the "`" line before end
		}
		body := l[1:]
		if len(body) < (n+2)/3*4 {
			return nil, fmt.Errorf("%s: line %d: uuencoded line holds fewer characters than its length %d says", PayloadName, line, n)
		}
		for i := 0; i < n; i += 3 {
			c := body[i/3*4 : i/3*4+4]
			v := uint32(dec(c[0]))<<18 | uint32(dec(c[1]))<<12 | uint32(dec(c[2]))<<6 | uint32(dec(c[3]))
			b := []byte{byte(v >> 16), byte(v >> 8), byte(v)}
			out = append(out, b[:min(3, n-i)]...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%s: uuencoded block has no end line: the shar is truncated", PayloadName)
}

func dec(c byte) byte { return (c - ' ') & 0x3f }

// isUULine reports whether l is a well-formed uuencoded line as it
// stands, so that a line whose length character happens to be 'X' (56
// bytes) is not taken for shar's prefix.
func isUULine(l []byte) bool {
	n := int(dec(l[0]))
	return len(l)-1 == (n+2)/3*4
}
