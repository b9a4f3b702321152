package fat32

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// oddChunks writes itself in chunks of n bytes, as a source with its own
// buffers does.
type oddChunks struct {
	data []byte
	n    int
}

func (o *oddChunks) Read(p []byte) (int, error) {
	panic("BUG: stream read a source that writes itself")
}

func (o *oddChunks) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for b := o.data; len(b) > 0; {
		k := min(o.n, len(b))
		m, err := w.Write(b[:k])
		total += int64(m)
		if err != nil {
			return total, err
		}
		b = b[k:]
	}
	return total, nil
}

// TestStreamSources writes one file from each shape of source stream
// meets (a plain reader, which is read into a chunk; a source that writes
// itself in whole chunks, written straight from its buffer; one that
// writes odd pieces, gathered first) and refuses sources that are longer
// or shorter than the size given.
func TestStreamSources(t *testing.T) {
	data := content(3, 2*copyChunk+777)
	for _, verify := range []bool{false, true} {
		_, f, fs := newImage(t, 64<<20, "SMARTOSBOOT")
		fs.VerifyWrites = verify
		for name, r := range map[string]io.Reader{
			"plain":  iotest.HalfReader(bytes.NewReader(data)),
			"chunks": &oddChunks{data, copyChunk},
			"odd":    &oddChunks{data, 100_003},
		} {
			if err := fs.WriteFile(name, r, int64(len(data)), epoch); err != nil {
				t.Fatalf("VerifyWrites=%v: WriteFile(%s) = %v", verify, name, err)
			}
		}
		if err := fs.Commit(); err != nil {
			t.Fatal(err)
		}
		again, err := Open(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"plain", "chunks", "odd"} {
			if got := readAll(t, again, name); !bytes.Equal(got, data) {
				t.Errorf("VerifyWrites=%v: %s read back differently", verify, name)
			}
		}
		for _, tc := range []struct {
			r    io.Reader
			size int64
			want string
		}{
			{&oddChunks{data, copyChunk}, int64(len(data)) - 1, "longer than"},
			{iotest.HalfReader(bytes.NewReader(data)), int64(len(data)) - 1, "longer than"},
			{&oddChunks{data[:copyChunk+1], 100_003}, copyChunk + 2, "shorter than"},
			{iotest.HalfReader(bytes.NewReader(data[:10])), 11, "shorter than"},
		} {
			before := fs.FreeClusters()
			err := fs.WriteFile("bad", tc.r, tc.size, epoch)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WriteFile(bad) = %v, want an error containing %q", err, tc.want)
			}
			if fs.FreeClusters() != before {
				t.Errorf("a refused write leaked clusters: %d free, want %d", fs.FreeClusters(), before)
			}
		}
	}
}
