package populate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand"
	"testing"
)

// TestHashedSource hashes files below and above asyncMin, and across
// several chunks, whether the writer lets the source write itself
// (WriteTo, as fat32 and a directory do) or pulls (Read).
func TestHashedSource(t *testing.T) {
	for _, size := range []int{0, 1, 4096, asyncMin - 1, asyncMin, chunkSize, 2*chunkSize + 12345} {
		data := make([]byte, size)
		rand.New(rand.NewSource(int64(size))).Read(data)
		want := sha256.Sum256(data)
		for _, pull := range []bool{false, true} {
			var out, ticks bytes.Buffer
			s := newHashedSource(bytes.NewReader(data), int64(size), &ticks)
			var err error
			if pull {
				_, err = io.Copy(&out, struct{ io.Reader }{s})
			} else {
				_, err = io.Copy(&out, s)
			}
			sum := s.Sum()
			if err != nil || sum != hex.EncodeToString(want[:]) || !bytes.Equal(out.Bytes(), data) || ticks.Len() != size {
				t.Errorf("hashedSource(%d bytes, pull %v) = %s, %d bytes written, %d counted, %v; want %x, %d", size, pull, sum, out.Len(), ticks.Len(), err, want, size)
			}
		}
	}
}
