package tarx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
)

// smallFile is the size up to which a file is read into memory and
// written by a writer goroutine. A tools tarball is thousands of small
// files, and creating a file costs the kernel far more than writing a few
// KiB into it: tar pays that on one core, the writers on every core.
// Larger files are written in place, streaming, so memory stays bounded.
const smallFile = 256 << 10

// queued bounds the small files read ahead of the writers.
const queued = 64

// fileJob is one small file for a writer: its entry, path and content.
type fileJob struct {
	e    *Entry
	p    string
	data []byte
}

// startWriters starts the writer goroutines.
func (x *extractor) startWriters() {
	x.jobs = make(chan fileJob, queued)
	n := max(2, min(4, runtime.GOMAXPROCS(0)))
	x.stopped.Add(n)
	for range n {
		go func() {
			defer x.stopped.Done()
			for j := range x.jobs {
				if x.failed() == nil {
					_, err := x.create(j.e, j.p, func(f *os.File) (int64, error) {
						n, err := f.Write(j.data)
						return int64(n), err
					})
					x.fail(err)
				}
				x.pending.Done()
			}
		}()
	}
}

// stopWriters waits for the writers to finish what was queued and stop.
func (x *extractor) stopWriters() {
	close(x.jobs)
	x.stopped.Wait()
}

// queue reads the small file e from the archive and hands it to a
// writer; to, when not nil, is given its content first. What the writer
// meets is reported by failed, after the next entry at the latest.
func (x *extractor) queue(rd *reader, e *Entry, p string, to io.Writer) error {
	data := make([]byte, e.Size)
	if _, err := io.ReadFull(rd.tr, data); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return corrupt(fmt.Sprintf("entry %q", e.Name), io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	if to != nil {
		to.Write(data)
	}
	x.pending.Add(1)
	x.jobs <- fileJob{e: e, p: p, data: data}
	x.res.Bytes += e.Size
	return nil
}

// wait returns once every file queued is written (or failed).
func (x *extractor) wait() { x.pending.Wait() }

func (x *extractor) fail(err error) {
	if err == nil {
		return
	}
	x.mu.Lock()
	if x.err == nil {
		x.err = err
	}
	x.mu.Unlock()
}

// failed is the first error a writer met.
func (x *extractor) failed() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err
}
