package tool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"

	"cntools/internal/node"
)

// runHandler is the one slog handler of a run: the terminal's, at the
// operator's level, and once LogToFile has opened one, the run's Bunyan
// log file at every level. Libraries keep the *slog.Logger they were
// given; the file joins in whenever it is opened.
type runHandler struct {
	term slog.Handler
	file *atomic.Pointer[bunyanHandler] // shared by every derived handler
	ops  []func(slog.Handler) slog.Handler
}

func newRunHandler(term slog.Handler) *runHandler {
	return &runHandler{term: term, file: &atomic.Pointer[bunyanHandler]{}}
}

func (h *runHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.file.Load() != nil || h.term.Enabled(ctx, l)
}

func (h *runHandler) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	if h.term.Enabled(ctx, r.Level) {
		errs = append(errs, h.term.Handle(ctx, r.Clone()))
	}
	if f := h.file.Load(); f != nil {
		var fh slog.Handler = f
		for _, op := range h.ops {
			fh = op(fh)
		}
		errs = append(errs, fh.Handle(ctx, r))
	}
	return errors.Join(errs...)
}

func (h *runHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.term = h.term.WithAttrs(as)
	c.ops = append(append([]func(slog.Handler) slog.Handler(nil), h.ops...), func(f slog.Handler) slog.Handler { return f.WithAttrs(as) })
	return &c
}

func (h *runHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.term = h.term.WithGroup(name)
	c.ops = append(append([]func(slog.Handler) slog.Handler(nil), h.ops...), func(f slog.Handler) slog.Handler { return f.WithGroup(name) })
	return &c
}

// LogToFile opens this run's log file, LogDir/logs/<ms>-<pid>-<tool>.log
// under the root, in Bunyan's format at every level, as sdcadm keeps its
// own (/var/log/sdcadm/logs), so that a run that changes something leaves
// a record for a post-mortem: how it was called, everything logged, and
// how it ended, error or success (written by Run). LogDir/<tool>.log links
// to the newest; the oldest logs beyond KeepLogs are removed. The function
// it returns is for the caller's defer and does nothing: Run closes the
// file after its last record.
func (e *Env) LogToFile() (func(), error) {
	if e.logFile != nil {
		return func() {}, nil
	}
	dir := filepath.Join(e.Node.Path(node.LogDir), "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log file: %w; check that %s is writable", err, dir)
	}
	f, err := os.OpenFile(LogFileName(dir, e.Now(), os.Getpid(), e.Name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log file: %w; check that %s is writable", err, dir)
	}
	if err := pruneLogs(dir, KeepLogs); err != nil {
		e.Log.Warn("could not remove old run logs", "dir", dir, "err", err)
	}
	if err := linkLatest(filepath.Dir(dir), e.Name, f.Name()); err != nil {
		e.Log.Warn("could not point the tool's log link at this run's log", "err", err)
	}
	host, _ := os.Hostname()
	e.logFile = f
	e.handler.file.Store(newBunyanHandler(f, e.Name, host, os.Getpid()))
	// How the run was called and how it ended go to the file alone: the
	// operator typed the one and sees the other.
	slog.New(e.handler.file.Load()).Debug("run", "args", e.args, "version", Version, "root", e.Node.Root, "log", f.Name())
	return func() {}, nil
}

// closeLog writes how the run ended and closes the log file, if one is
// open: the error as printed and the exit code, or success.
func (e *Env) closeLog(err error, code int) {
	if e.logFile == nil {
		return
	}
	l := slog.New(e.handler.file.Load())
	switch {
	case err == nil:
		l.Info("exit", "code", code)
	case errors.Is(err, ErrReported):
		l.Warn("exit", "code", code) // the report says what was found
	case code == ExitProblem:
		l.Warn("exit", "code", code, "err", err.Error())
	default:
		l.Error("exit", "code", code, "err", err.Error())
	}
	e.handler.file.Store(nil)
	e.logFile.Close()
	e.logFile = nil
}

// linkLatest points dir/<tool>.log at the run log target, replacing the
// link atomically. A regular file there, the single log of an older
// cn-tools, is kept as <tool>.log.old.
func linkLatest(dir, tool, target string) error {
	link := filepath.Join(dir, tool+".log")
	if fi, err := os.Lstat(link); err == nil && fi.Mode().IsRegular() {
		if err := os.Rename(link, link+".old"); err != nil {
			return err
		}
	}
	rel, err := filepath.Rel(dir, target)
	if err != nil {
		return err
	}
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(rel, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}
