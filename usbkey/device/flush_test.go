package device

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// blockingSync is a target's fsync that counts its calls, says when one
// starts and returns only once release is closed: a slow disk.
type blockingSync struct {
	calls   atomic.Int32
	started chan struct{}
	release chan struct{}
	err     error
}

func newBlockingSync(err error) *blockingSync {
	return &blockingSync{started: make(chan struct{}, 16), release: make(chan struct{}), err: err}
}

func (b *blockingSync) sync() error {
	b.calls.Add(1)
	b.started <- struct{}{}
	<-b.release
	return b.err
}

func TestFlusherStartsAheadOneAtATime(t *testing.T) {
	b := newBlockingSync(nil)
	fl := &flusher{sync: b.sync}
	fl.wrote(flushAhead - 1)
	if n := b.calls.Load(); n != 0 {
		t.Fatalf("after %d bytes: %d flushes started, want none before %d", flushAhead-1, n, flushAhead)
	}
	fl.wrote(1)
	select {
	case <-b.started:
	case <-time.After(10 * time.Second):
		t.Fatalf("after %d bytes: no flush started", flushAhead)
	}
	// Another flushAhead while the first flush is under way starts none:
	// one flush at a time, or a slow disk would pile them up.
	fl.wrote(2 * flushAhead)
	waited := make(chan error)
	go func() { waited <- fl.wait() }()
	stillWaiting(t, waited, "wait returned while the flush was under way")
	close(b.release)
	if err := <-waited; err != nil {
		t.Fatalf("wait = %v, want nil", err)
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("%d flushes started, want 1 while one was under way", n)
	}
	// The bytes written during the flush count towards the next one.
	fl.wrote(flushAhead)
	<-b.started
	if err := fl.wait(); err != nil {
		t.Fatal(err)
	}
	if n := b.calls.Load(); n != 2 {
		t.Errorf("%d flushes started, want 2", n)
	}
}

func TestFlusherNoSync(t *testing.T) {
	fl := &flusher{}
	fl.wrote(4 * flushAhead)
	if err := fl.wait(); err != nil {
		t.Fatalf("a flusher with no sync: wait = %v, want nil", err)
	}
}

// A background flush that fails is reported by the next Sync, once, and
// by Close when no Sync came: the writes it covered may be lost.
func TestTargetReportsBackgroundFlushFailure(t *testing.T) {
	for _, end := range []string{"sync", "close"} {
		t.Run(end, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.img")
			tg, err := OpenImage(path, 2*flushAhead)
			if err != nil {
				t.Fatal(err)
			}
			b := newBlockingSync(syscall.EIO)
			tg.flush.sync = b.sync
			close(b.release)
			if _, err := tg.WriteAt(make([]byte, flushAhead), 0); err != nil {
				t.Fatal(err)
			}
			<-b.started
			var got error
			if end == "sync" {
				got = tg.Sync()
			} else {
				got = tg.Close()
			}
			if !errors.Is(got, syscall.EIO) || !strings.Contains(got.Error(), path) {
				t.Fatalf("%s after a failed background flush = %v, want EIO naming %s", end, got, path)
			}
			if end == "sync" {
				// Reported once: the fsync that follows is the target's own.
				tg.flush.sync = nil
				if err := tg.Sync(); err != nil {
					t.Errorf("second Sync = %v, want nil", err)
				}
				if err := tg.Close(); err != nil {
					t.Errorf("Close = %v, want nil", err)
				}
			}
		})
	}
}

// Close waits for a background flush: the descriptor it flushes must not
// be closed (and its number reused) under it.
func TestTargetCloseWaitsForFlush(t *testing.T) {
	tg, err := OpenImage(filepath.Join(t.TempDir(), "key.img"), 2*flushAhead)
	if err != nil {
		t.Fatal(err)
	}
	b := newBlockingSync(nil)
	tg.flush.sync = b.sync
	if _, err := tg.WriteAt(make([]byte, flushAhead), 0); err != nil {
		t.Fatal(err)
	}
	<-b.started
	closed := make(chan error)
	go func() { closed <- tg.Close() }()
	stillWaiting(t, closed, "Close returned during the background flush")
	close(b.release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// A flush asked for while another is under way is a second one, begun
// once the first ends: the first began before the writes it must cover.
func TestFlusherAfterWaitsForAFlushBegunLater(t *testing.T) {
	b := newBlockingSync(nil)
	fl := &flusher{sync: b.sync}
	fl.wrote(flushAhead)
	<-b.started
	ch := fl.after()
	stillWaiting(t, ch, "after() answered by the flush under way when it was asked")
	b.release <- struct{}{} // the first flush ends; the second begins
	<-b.started
	stillWaiting(t, ch, "after() answered before its own flush ended")
	close(b.release)
	if err := <-ch; err != nil {
		t.Fatal(err)
	}
	if err := fl.wait(); err != nil {
		t.Fatal(err)
	}
	if n := b.calls.Load(); n != 2 {
		t.Errorf("%d flushes, want 2", n)
	}
}

// With no flush under way, after starts one; its failure goes both to the
// channel and to the next Sync.
func TestFlusherAfterReportsFailure(t *testing.T) {
	b := newBlockingSync(syscall.EIO)
	close(b.release)
	fl := &flusher{sync: b.sync}
	if err := <-fl.after(); !errors.Is(err, syscall.EIO) {
		t.Errorf("after() = %v, want EIO", err)
	}
	if err := fl.wait(); !errors.Is(err, syscall.EIO) {
		t.Errorf("wait after a failed flush = %v, want EIO", err)
	}
	// A target that cannot flush answers at once.
	if err := <-(&flusher{}).after(); err != nil {
		t.Errorf("after() with no sync = %v, want nil", err)
	}
}

// sequenceSync's fsync fails with errs[i] on its i-th call, nil after.
type sequenceSync struct {
	mu   sync.Mutex
	errs []error
}

func (s *sequenceSync) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) == 0 {
		return nil
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

// A background flush that failed is the failure of every flush asked for
// after it until a Sync reports it: the kernel tells one fsync of a lost
// write, and a flush that then succeeds has not made it durable.
func TestFlusherAfterReportsAnEarlierFailure(t *testing.T) {
	s := &sequenceSync{errs: []error{syscall.EIO}}
	fl := &flusher{sync: s.sync}
	fl.wrote(flushAhead)
	for range 2 {
		if err := <-fl.after(); !errors.Is(err, syscall.EIO) {
			t.Errorf("after() following a failed background flush = %v, want EIO", err)
		}
	}
	if err := fl.wait(); !errors.Is(err, syscall.EIO) {
		t.Errorf("wait = %v, want EIO", err)
	}
	if err := <-fl.after(); err != nil {
		t.Errorf("after() once the failure was reported = %v, want nil", err)
	}
}

// stillWaiting fails the test if ch answers within 50 ms: what it waits
// for must not have happened yet.
func stillWaiting(t *testing.T, ch <-chan error, what string) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("%s (%v)", what, err)
	case <-time.After(50 * time.Millisecond):
	}
}
