package tarx

import "io"

// blockLen is tar's block: headers, content padding and the end marker
// are counted in it.
const blockLen = 512

// tailReader is what archive/tar reads through: it counts the bytes taken
// and keeps the last two blocks, so that the end of an archive can be
// told from a stream cut at an entry boundary, which archive/tar takes
// for a clean end.
type tailReader struct {
	r    io.Reader
	n    int64
	tail []byte // the last bytes read, at most 2*blockLen
}

func (t *tailReader) Read(p []byte) (int, error) {
	k, err := t.r.Read(p)
	t.n += int64(k)
	if k >= 2*blockLen {
		t.tail = append(t.tail[:0], p[k-2*blockLen:k]...)
	} else if k > 0 {
		t.tail = append(t.tail, p[:k]...)
		if over := len(t.tail) - 2*blockLen; over > 0 {
			t.tail = append(t.tail[:0], t.tail[over:]...)
		}
	}
	return k, err
}

// zeros reports whether the last two blocks read are all zero bytes.
func (t *tailReader) zeros() bool {
	if len(t.tail) < 2*blockLen {
		return false
	}
	for _, b := range t.tail {
		if b != 0 {
			return false
		}
	}
	return true
}
