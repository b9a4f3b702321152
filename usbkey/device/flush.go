package device

import "sync"

// flushAhead is how much may be written to a target before it starts a
// flush of its own, in the background. A flush's cost grows with what was
// written since the last one: the kernel's writeback, and on a virtual
// disk the host's own flush, which a guest cannot start early (on the
// benchmark's machine a sync after 360 MiB written took 0.22 s, as long
// after O_DIRECT writes as after buffered ones). Flushing as the writes
// go, on another thread, leaves the flush a commit or the end waits for
// with the last tens of megabytes, where it had all of them.
const flushAhead = 32 << 20

// flusher flushes a target in the background, one flush at a time. An
// fsync makes durable whatever was written before it and orders nothing
// written after, so an extra one cannot undo an order a caller's Sync
// keeps (fat32's commit: chains, flush, directories): it only makes some
// writes durable sooner.
type flusher struct {
	sync    func() error // the target's fsync; nil: never flush
	mu      sync.Mutex
	written int64         // bytes written since the last flush started
	done    chan struct{} // closed when the flush under way ends; nil if none
	err     error         // a background flush's failure, kept for Sync
	// next wait for a flush that begins after they asked: the one under
	// way began too early for them.
	next []chan error
}

// wrote counts n bytes written and starts a flush once flushAhead have
// been written since the last one started, unless one is under way.
func (fl *flusher) wrote(n int) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.written += int64(n)
	if fl.written < flushAhead || fl.done != nil || fl.sync == nil {
		return
	}
	fl.start()
}

// after returns a channel that receives the result of a flush begun after
// the call: everything written before it is durable once that is nil.
func (fl *flusher) after() <-chan error {
	ch := make(chan error, 1)
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.sync == nil {
		ch <- nil
		return ch
	}
	fl.next = append(fl.next, ch)
	if fl.done == nil {
		fl.start()
	}
	return ch
}

// start starts a flush, for those waiting on the next one; fl.mu is held.
// When it ends, the next one starts at once if anyone asked meanwhile.
func (fl *flusher) start() {
	fl.written = 0
	done, waiting := make(chan struct{}), fl.next
	fl.done, fl.next = done, nil
	go func() {
		err := fl.sync()
		fl.mu.Lock()
		if err != nil && fl.err == nil {
			fl.err = err
		}
		// A flush that failed earlier is this one's failure too: the
		// kernel reports a lost write to one fsync only, and a later one
		// that succeeds does not bring it back.
		result := fl.err
		fl.done = nil
		if len(fl.next) > 0 {
			fl.start()
		}
		fl.mu.Unlock()
		for _, ch := range waiting {
			ch <- result
		}
		close(done)
	}()
}

// wait waits until no flush is under way and returns (and forgets) the
// failure of a background flush: a write it covered may be lost, and the
// kernel reports that once, to whichever fsync came first.
func (fl *flusher) wait() error {
	for {
		fl.mu.Lock()
		done := fl.done
		if done == nil {
			err := fl.err
			fl.err = nil
			fl.mu.Unlock()
			return err
		}
		fl.mu.Unlock()
		<-done
	}
}
