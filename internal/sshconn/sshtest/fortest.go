package sshtest

import "testing"

// ForTest starts a server under tb's temporary directory for one test or
// benchmark, failing it when sshd does not start, and stops the server
// when tb ends, reporting a failure to stop.
func ForTest(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := Start(tb.TempDir(), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return s
}
