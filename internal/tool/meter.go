package tool

import "cntools/internal/progress"

// Meter starts a progress meter for what, total bytes: a bar on stderr
// when stderr is a terminal, else a log record about once a second (so
// the run log says how far a copy got).
func (e *Env) Meter(what string, total int64) *progress.Meter {
	return progress.New(what, total, progress.Options{Terminal: IsTerminal(e.Stderr), W: e.Stderr, Log: e.Log})
}
