package populate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sync"
)

// asyncMin is the size from which a file is hashed on another core while
// it is copied: below it a goroutine costs more than it saves.
const asyncMin = 1 << 20

// chunkSize is how much of a file one read brings in: fat32 writes a
// chunk this large straight from the buffer it is given.
const chunkSize = 4 << 20

// chunksInFlight bounds the buffers one file holds: one being read and
// written while the others are hashed.
const chunksInFlight = 3

// chunkBufs keeps the buffers files are copied through: a run copies
// thousands of small files, and clearing a fresh buffer for each costs
// more than copying them.
var chunkBufs = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// hashedSource is a file being copied. Its WriteTo reads the file into
// buffers of its own, hands each to the writer and only then hashes it
// (on another core for a large file), so each byte is read once, written
// once and hashed once, and no copy is made for the hash.
type hashedSource struct {
	r    io.Reader
	size int64
	h    hash.Hash
	tick io.Writer // counts the bytes written; nil for none

	// For a file of asyncMin bytes or more: chunks go to the hashing
	// goroutine on todo and come back on free once hashed.
	todo, free chan *[chunkSize]byte
	lens       chan int
	done       chan struct{}
	made       int
}

func newHashedSource(r io.Reader, size int64, tick io.Writer) *hashedSource {
	s := &hashedSource{r: r, size: size, h: sha256.New(), tick: tick}
	if size >= asyncMin {
		s.todo, s.lens = make(chan *[chunkSize]byte, chunksInFlight), make(chan int, chunksInFlight)
		s.free, s.done = make(chan *[chunkSize]byte, chunksInFlight), make(chan struct{})
		go func() {
			for b := range s.todo {
				s.h.Write(b[:<-s.lens])
				s.free <- b
			}
			close(s.done)
		}()
	}
	return s
}

// buffer returns a chunk to fill: a new one while fewer than
// chunksInFlight are out, else the next one hashed.
func (s *hashedSource) buffer() *[chunkSize]byte {
	if s.todo == nil || s.made < chunksInFlight {
		select {
		case b := <-s.free:
			return b
		default:
		}
		s.made++
		return chunkBufs.Get().(*[chunkSize]byte)
	}
	return <-s.free
}

// hashed hands over b's first n bytes, once they have been written.
func (s *hashedSource) hashed(b *[chunkSize]byte, n int) {
	if s.todo == nil {
		s.h.Write(b[:n])
		chunkBufs.Put(b)
		s.made--
		return
	}
	s.lens <- n
	s.todo <- b
}

// WriteTo writes the file to w in chunks of up to chunkSize bytes.
func (s *hashedSource) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		b := s.buffer()
		// One byte more than is left, so that a file that grew is seen
		// (and refused by w) rather than cut.
		n, err := io.ReadFull(s.r, b[:min(chunkSize, max(s.size-total+1, 1))])
		if n > 0 {
			if _, werr := w.Write(b[:n]); werr != nil {
				s.hashed(b, 0)
				return total, werr
			}
			if s.tick != nil {
				s.tick.Write(b[:n])
			}
			total += int64(n)
		}
		s.hashed(b, n)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Read serves a writer that pulls rather than lets the file write itself:
// each read is copied into a chunk to be hashed.
func (s *hashedSource) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	for q := p[:n]; len(q) > 0; {
		b := s.buffer()
		k := copy(b[:], q)
		s.hashed(b, k)
		q = q[k:]
	}
	if n > 0 && s.tick != nil {
		s.tick.Write(p[:n])
	}
	return n, err
}

// Sum waits for the hashing to finish, gives the buffers back and
// returns the hex SHA-256.
func (s *hashedSource) Sum() string {
	if s.todo != nil {
		close(s.todo)
		<-s.done
		for ; s.made > 0; s.made-- {
			chunkBufs.Put(<-s.free)
		}
	}
	return hex.EncodeToString(s.h.Sum(nil))
}
