package config

import (
	"errors"
	"strings"
)

var (
	errNewline = errors.New("value contains a newline, which config.sh would read as a separate line; use a value without newlines")
	errNUL     = errors.New("value contains a NUL byte, which bash drops; use a value without NUL bytes")
)

// isBare reports bytes that need no quoting anywhere in an assignment value.
func isBare(c byte) bool {
	return isNameChar(c) || strings.IndexByte("./:,@+-", c) >= 0
}

func checkQuotable(value string) error {
	if strings.IndexByte(value, '\n') >= 0 {
		return errNewline
	}
	if strings.IndexByte(value, 0) >= 0 {
		return errNUL
	}
	return nil
}

// Quote returns value as config.sh should see it after `key=`: bare when it
// holds only [A-Za-z0-9_./:,@+-], else single-quoted, so that bash assigns
// exactly value. It fails for a value no line of the file can carry.
func Quote(value string) (string, error) {
	if err := checkQuotable(value); err != nil {
		return "", err
	}
	for i := 0; i < len(value); i++ {
		if !isBare(value[i]) {
			return singleQuote(value), nil
		}
	}
	return value, nil
}

func singleQuote(value string) string {
	return "'" + strings.ReplaceAll(value, "'", `'\''`) + "'"
}

// quoteFor is Quote plus what other readers of the same file expect of two
// keys (triton-usbkey.md §4.2): smartdc-init takes root_shadow with nawk and
// strips its first and last character, so it is always single-quoted; and
// prompt-config.sh writes ufds_admin_pw with printf %q, which "MUST NOT" be
// quoted, so it gets backslashes instead of quotes.
func quoteFor(key, value string) (string, error) {
	if err := checkQuotable(value); err != nil {
		return "", err
	}
	switch key {
	case "root_shadow":
		return singleQuote(value), nil
	case "ufds_admin_pw":
		var b strings.Builder
		for i := 0; i < len(value); i++ {
			// Bytes of multi-byte characters are not special to bash, and
			// escaping them one by one could split a character.
			if c := value[i]; !isBare(c) && c < 0x80 {
				b.WriteByte('\\')
			}
			b.WriteByte(value[i])
		}
		return b.String(), nil
	}
	return Quote(value)
}
