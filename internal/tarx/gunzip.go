package tarx

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"sync"
)

// chunkSize is how much the decompressor hands over at a time. Large
// enough that the hand-over costs nothing next to inflating it, small
// enough that a few in flight are nothing.
const (
	chunkSize   = 1 << 20
	chunksAhead = 4
	readBuffer  = 1 << 20
)

// gunzipper inflates a gzip stream in its own goroutine, chunksAhead
// chunks ahead of the reader. `tar xzf` gets the same overlap for free
// from running gzip as a separate process; compress/gzip alone would make
// every file write wait for inflation.
type gunzipper struct {
	full chan []byte
	free chan []byte
	stop chan struct{}
	once sync.Once
	err  error // set before full is closed: io.EOF after a good trailer
	cur  []byte
	buf  []byte // the chunk cur points into, returned to free when used up
}

func newGunzipper(r io.Reader) (*gunzipper, error) {
	gz, err := gzip.NewReader(bufio.NewReaderSize(r, readBuffer))
	if err != nil {
		return nil, corrupt("gzip header", err)
	}
	g := &gunzipper{
		full: make(chan []byte, chunksAhead),
		free: make(chan []byte, chunksAhead+2),
		stop: make(chan struct{}),
	}
	go g.run(gz)
	return g, nil
}

func (g *gunzipper) run(gz *gzip.Reader) {
	defer close(g.full)
	for {
		var buf []byte
		select {
		case buf = <-g.free:
		default:
			buf = make([]byte, chunkSize)
		}
		n, err := fill(gz, buf[:chunkSize])
		if n > 0 {
			select {
			case g.full <- buf[:n]:
			case <-g.stop:
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				g.err = io.EOF
			} else {
				g.err = corrupt("gzip", err)
			}
			return
		}
	}
}

// fill reads until buf is full or the stream ends; unlike io.ReadFull it
// keeps gzip's own io.ErrUnexpectedEOF (a truncated stream) apart from a
// clean end.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (g *gunzipper) Read(p []byte) (int, error) {
	for len(g.cur) == 0 {
		if g.buf != nil {
			select {
			case g.free <- g.buf[:cap(g.buf)]:
			default:
			}
			g.buf = nil
		}
		b, ok := <-g.full
		if !ok {
			return 0, g.err
		}
		g.buf, g.cur = b, b
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	return n, nil
}

// drain reads to the end of the gzip stream, so that a stream truncated
// after the tar end blocks, or with a bad CRC, is still caught.
func (g *gunzipper) drain() error {
	_, err := io.Copy(io.Discard, g)
	return err
}

// Close stops the decompressor goroutine.
func (g *gunzipper) Close() {
	g.once.Do(func() { close(g.stop) })
}
