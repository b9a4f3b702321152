package config

import (
	"errors"
	"fmt"
	"strings"
)

// The lexer below reads the part of an assignment line that follows `key=` the way
// bash reads one word of a simple command. It only has to be exact for what config
// files really contain (bare words, single and double quotes, backslashes); for
// anything that expands at eval time it keeps the text as written and reports the
// value as inexact. Its other job is to find quotes and substitutions that do not
// close on their line: config.sh hands the whole file to one eval, so such a line
// swallows the lines after it and this package could no longer tell what bash sees.

var (
	errSingleQuote   = errors.New("unterminated single quote: bash would read the following lines into the value; close the quote on this line")
	errDoubleQuote   = errors.New("unterminated double quote: bash would read the following lines into the value; close the quote on this line")
	errBackquote     = errors.New("unterminated backquote: bash would read the following lines into the command; close it on this line")
	errSubstitution  = errors.New("unterminated $(, ${ or $[: bash would read the following lines into it; close it on this line")
	errContinuation  = errors.New("line ends in a backslash: bash would join the next line to this one; remove the backslash")
	errANSIQuote     = errors.New("unterminated $' quote: bash would read the following lines into the value; close the quote on this line")
	errLocaleDQQuote = errors.New(`unterminated $" quote: bash would read the following lines into the value; close the quote on this line`)
	errOperator      = errors.New("unquoted (, ), |, &, < or >: bash would read a subshell, array, pipe or redirection, a syntax error that stops config.sh's eval, or the following lines; quote the value")
	errEmptyCommand  = errors.New("unquoted ;; or a ! or time with no command: a syntax error that stops config.sh's eval at this line; remove it or quote the value")
	errUnsetExits    = errors.New("${name?} or ${name:?} makes bash exit when name is unset, which ends config.sh's caller; use a plain value")
	errSubscript     = errors.New("unclosed name[: bash would read the following lines looking for ]; quote it or close it")
	errReserved      = errors.New("a command starts with a shell keyword such as if, for or {: bash would read the following lines or stop config.sh's eval at this line; quote the value or remove the command")
)

// word is one shell word read from a line: its decoded text, where it ends,
// and whether the decoding is what bash would produce.
type word struct {
	text  string
	end   int
	exact bool
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isMeta reports bash metacharacters other than blanks: they end a word and
// start another command or a redirection.
func isMeta(c byte) bool {
	switch c {
	case ';', '&', '|', '<', '>', '(', ')':
		return true
	}
	return false
}

func isNameStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isNameChar(c byte) bool { return isNameStart(c) || '0' <= c && c <= '9' }

// scanWord reads one word of s starting at i. It stops at an unquoted blank or
// metacharacter, or at the end of s.
func scanWord(s string, i int) (word, error) {
	var b strings.Builder
	exact := true
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case isBlank(c) || isMeta(c):
			return word{b.String(), i, exact}, nil
		case c == '\\':
			if i+1 == len(s) {
				return word{}, errContinuation
			}
			b.WriteByte(s[i+1])
			i += 2
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return word{}, errSingleQuote
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '"':
			j, ok, err := scanDouble(s, i+1, &b)
			if err != nil {
				return word{}, err
			}
			exact = exact && ok
			i = j
		case c == '$':
			j, expands, err := scanDollar(s, i, false)
			if err != nil {
				return word{}, err
			}
			if expands {
				exact = false
			}
			b.WriteString(s[i:j])
			i = j
		case c == '`':
			j, err := scanBackquote(s, i+1)
			if err != nil {
				return word{}, err
			}
			exact = false
			b.WriteString(s[i:j])
			i = j
		case c == '~' && (i == start || s[i-1] == ':'):
			// Bash expands a tilde at the start of an assignment value and after
			// each unquoted colon, so `~` here would become a home directory.
			exact = false
			b.WriteByte(c)
			i++
		case c == 0:
			// Bash drops NUL bytes from the text it evals.
			exact = false
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return word{b.String(), i, exact}, nil
}

// scanDouble reads the inside of a double-quoted string whose opening quote is
// just before s[i]. It appends the decoded text to b and returns the index
// after the closing quote.
func scanDouble(s string, i int, b *strings.Builder) (int, bool, error) {
	exact := true
	for i < len(s) {
		c := s[i]
		switch c {
		case '"':
			return i + 1, exact, nil
		case '\\':
			if i+1 == len(s) {
				return 0, false, errDoubleQuote
			}
			switch n := s[i+1]; n {
			case '$', '`', '"', '\\':
				b.WriteByte(n)
				i += 2
			default:
				// Inside double quotes a backslash before any other character stays.
				b.WriteByte('\\')
				i++
			}
		case '$':
			j, expands, err := scanDollar(s, i, true)
			if err != nil {
				return 0, false, err
			}
			if expands {
				exact = false
			}
			b.WriteString(s[i:j])
			i = j
		case '`':
			j, err := scanBackquote(s, i+1)
			if err != nil {
				return 0, false, err
			}
			exact = false
			b.WriteString(s[i:j])
			i = j
		case 0:
			exact = false
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return 0, false, errDoubleQuote
}

// scanDollar reads what starts at the `$` in s[i]. It returns the index after
// it and whether bash would expand it; a `$` that starts nothing is literal,
// and so are $' and $" inside double quotes.
func scanDollar(s string, i int, inDouble bool) (int, bool, error) {
	if i+1 == len(s) {
		return i + 1, false, nil
	}
	switch n := s[i+1]; {
	case inDouble && (n == '\'' || n == '"'):
		return i + 1, false, nil
	case n == '(':
		j, err := scanNested(s, i+2, '(', ')')
		if err != nil {
			return 0, false, err
		}
		// Bash parses the body of $( ) with the line, so a syntax error in
		// it stops the eval; $(( )) is arithmetic and is not parsed so.
		if body := s[i+2 : j-1]; !strings.HasPrefix(body, "(") {
			if _, err := scanRest(body, 0, true); err != nil {
				return 0, false, fmt.Errorf("in $( ): %w", err)
			}
		}
		return j, true, nil
	case n == '{':
		j, err := scanNested(s, i+2, '{', '}')
		if err != nil {
			return 0, false, err
		}
		if exitsShell(s[i+2 : j-1]) {
			return 0, false, errUnsetExits
		}
		return j, true, nil
	case n == '[':
		// $[expr] is bash's old arithmetic expansion.
		j, err := scanNested(s, i+2, '[', ']')
		return j, true, err
	case n == '\'':
		return scanANSI(s, i+2)
	case n == '"':
		var b strings.Builder
		j, _, err := scanDouble(s, i+2, &b)
		if err != nil {
			return 0, false, errLocaleDQQuote
		}
		return j, true, nil
	case isNameStart(n):
		j := i + 2
		for j < len(s) && isNameChar(s[j]) {
			j++
		}
		return j, true, nil
	case '0' <= n && n <= '9' || strings.IndexByte("@*#?$!-", n) >= 0:
		return i + 2, true, nil
	}
	return i + 1, false, nil
}

// scanANSI reads a $'...' string whose body starts at s[i].
func scanANSI(s string, i int) (int, bool, error) {
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
		case '\'':
			return i + 1, true, nil
		default:
			i++
		}
	}
	return 0, false, errANSIQuote
}

// scanBackquote reads a `...` command whose body starts at s[i]. Bash
// recovers from some syntax errors inside backquotes but not all, so the
// body must be simple commands, as in $( ).
func scanBackquote(s string, i int) (int, error) {
	start := i
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
		case '`':
			if _, err := scanRest(s[start:i], 0, true); err != nil {
				return 0, fmt.Errorf("in backquotes: %w", err)
			}
			return i + 1, nil
		default:
			i++
		}
	}
	return 0, errBackquote
}

// scanNested reads the body of $( ) or ${ } starting at s[i], counting nested
// pairs and skipping quoted text, and returns the index after the closing one.
func scanNested(s string, i int, open, close byte) (int, error) {
	depth := 1
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\':
			i += 2
			continue
		case c == '#' && open == '(' && (i == start || isBlank(s[i-1]) || isMeta(s[i-1])):
			// A comment inside $( ) runs to the end of the line, past any ).
			return 0, errSubstitution
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return 0, errSingleQuote
			}
			i += j + 2
			continue
		case c == '"':
			var b strings.Builder
			j, _, err := scanDouble(s, i+1, &b)
			if err != nil {
				return 0, err
			}
			i = j
			continue
		case c == '`':
			j, err := scanBackquote(s, i+1)
			if err != nil {
				return 0, err
			}
			i = j
			continue
		case c == open:
			depth++
		case c == close:
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		}
		i++
	}
	return 0, errSubstitution
}
