package config

import "strings"

// The checks below decide whether a line that config.sh evals is something
// bash parses as simple commands that end on that line. Anything else either
// pulls the following lines into it or is a syntax error, which stops the
// eval and drops every line after it, so Parse refuses it rather than guess.

// scanRest checks the text after a word: it reports whether it is only blanks
// and an optional comment. It fails where bash would fail to parse the line
// or read on past it, because a syntax error stops config.sh's eval there and
// drops this line and every line after it. It accepts only simple commands
// separated by `;`. cmdStart says whether s[i] is where a command starts.
func scanRest(s string, i int, cmdStart bool) (clean bool, err error) {
	clean = true
	// emptyOK: a `;` here ends a command rather than standing for an empty one.
	// needCmd: a ! or time was read, and bash wants a command after it (it
	// lets one end a line, but not a $( ) body; both are refused here).
	emptyOK, needCmd := !cmdStart, false
	for i < len(s) {
		c := s[i]
		switch {
		case isBlank(c):
			i++
		case c == '#':
			// A # that starts a word starts a comment to the end of the line.
			i = len(s)
		case c == ';':
			if !emptyOK || needCmd {
				return false, errEmptyCommand
			}
			clean, cmdStart, emptyOK = false, true, false
			i++
		case isMeta(c):
			return false, errOperator
		default:
			clean = false
			w, err := scanWord(s, i)
			if err != nil {
				return false, err
			}
			word := s[i:w.end]
			if cmdStart && reserved[word] {
				return false, errReserved
			}
			// name[ begins a subscripted assignment, at the start of a command
			// or after another assignment, and bash reads on, past this line
			// if need be, to its ]. Refuse it wherever it is.
			if subscriptOpen(word, s[i:]) {
				return false, errSubscript
			}
			// After ! or time a command still starts.
			needCmd = cmdStart && (word == "!" || word == "time")
			cmdStart, emptyOK = needCmd, true
			i = w.end
		}
	}
	if needCmd {
		return false, errEmptyCommand
	}
	return clean, nil
}

// subscriptOpen reports a word that starts with name[ when the rest of the
// line does not close that bracket.
func subscriptOpen(word, rest string) bool {
	if word == "" || !isNameStart(word[0]) {
		return false
	}
	k := 1
	for k < len(word) && isNameChar(word[k]) {
		k++
	}
	if k == len(word) || word[k] != '[' {
		return false
	}
	depth := 0
	for j := k; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return false
			}
		}
	}
	return true
}

// reserved are bash's reserved words that open or close a compound command:
// at the start of a command they either need the lines that follow or are a
// syntax error.
var reserved = map[string]bool{
	"case": true, "coproc": true, "do": true, "done": true, "elif": true, "else": true,
	"esac": true, "fi": true, "for": true, "function": true, "if": true, "in": true,
	"select": true, "then": true, "until": true, "while": true, "{": true, "}": true, "[[": true, "]]": true,
}

// exitsShell reports ${name?word} and ${name:?word}, which make a
// non-interactive bash exit when name is unset, ending config.sh's caller.
func exitsShell(body string) bool {
	k := 0
	for k < len(body) && (isNameChar(body[k]) || k == 0 && strings.IndexByte("#!@*", body[k]) >= 0) {
		k++
	}
	rest := body[k:]
	return strings.HasPrefix(rest, "?") || strings.HasPrefix(rest, ":?")
}
