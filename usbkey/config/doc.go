// Package config reads and writes the Triton headnode usbkey `config` file,
// and node.config and config.inc/generic, which share its syntax.
//
// /lib/sdc/config.sh strips leading spaces from each line, drops lines that
// then do not start with a letter (comments, blanks, tab-indented lines), and
// hands the rest to bash's eval. This package classifies lines the same way
// and reads values the way bash would: bare words, single quotes, double
// quotes with backslash escapes; the last assignment of a key wins. A value
// that would expand at eval time ($VAR, $(cmd), `cmd`, ~) is kept as written
// and reported as inexact. A line ending in "\r\n" gives a value ending in
// "\r", because that is what bash assigns.
//
// It owns parsing and writing the format, get, set and delete, deciding which
// keys are secrets and which are per node, and a semantic diff. Writing
// keeps every line it did not change byte for byte, comments and order
// included, so Parse followed by Bytes gives back the input.
//
// It refuses to write a value that config.sh would not read back identically
// (a newline or a NUL byte); to parse a file with a line that bash would not
// read as simple commands ending on that line (an open quote, a trailing
// backslash, a subshell, pipe, redirection, compound command or syntax
// error), since bash would read later lines into it or stop the eval there;
// and to print secrets:
// Secret and Value print **redacted** through fmt, JSON, text and slog, and
// a File prints no values. It does no file I/O: callers read the bytes and
// write them back atomically.
package config
