package populate

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// asyncMin is the size from which a file is hashed on another core while
// it is copied: below it a goroutine costs more than it saves.
const asyncMin = 1 << 20

// hasher hashes what is written to it, on another goroutine for large
// files, so that hashing overlaps the copy's reads and writes.
type hasher struct {
	h    hash.Hash
	ch   chan *[]byte
	done chan struct{}
	pool sync.Pool
}

func newHasher(size int64) *hasher {
	h := &hasher{h: sha256.New()}
	if size >= asyncMin {
		h.ch, h.done = make(chan *[]byte, 4), make(chan struct{})
		go func() {
			for b := range h.ch {
				h.h.Write(*b)
				h.pool.Put(b)
			}
			close(h.done)
		}()
	}
	return h
}

func (h *hasher) Write(p []byte) (int, error) {
	if h.ch == nil {
		return h.h.Write(p)
	}
	// The pool holds pointers, so a Put does not allocate.
	b, _ := h.pool.Get().(*[]byte)
	if b == nil {
		b = new([]byte)
	}
	*b = append((*b)[:0], p...)
	h.ch <- b
	return len(p), nil
}

// Sum waits for the hashing to finish and returns the hex SHA-256.
func (h *hasher) Sum() string {
	if h.ch != nil {
		close(h.ch)
		<-h.done
	}
	return hex.EncodeToString(h.h.Sum(nil))
}
