package drift

import (
	"bytes"
	"fmt"
	"io"
)

// ManifestSource names one manifest of a CompareStream and opens it.
type ManifestSource struct {
	Name string
	Open func() (io.ReadCloser, error)
}

// CompareStream compares manifests with the first, reading one at a time:
// whatever the count, it holds the reference and one other manifest, and
// the drifts found. A manifest whose bytes are the reference's (as read,
// or the reference's canonical encoding, which every usbkey-drift manifest
// writes) is in step without being decoded: in a DC in step that is every
// one of them.
func CompareStream(srcs []ManifestSource, o Options) (*Report, error) {
	if len(srcs) < 2 {
		return nil, fmt.Errorf("want at least two manifests to compare, got %d", len(srcs))
	}
	refRaw, err := readSource(srcs[0])
	if err != nil {
		return nil, err
	}
	ref, err := LoadManifest(srcs[0].Name, bytes.NewReader(refRaw))
	if err != nil {
		return nil, err
	}
	var canon bytes.Buffer
	if err := ref.Manifest.Encode(&canon); err != nil {
		return nil, fmt.Errorf("%s: %w", ref.Name, err)
	}
	r := &Report{Reference: ref.Name}
	// One buffer for every manifest the size of the reference's: reading
	// a DC's worth allocates nothing per copy in step.
	buf := make([]byte, max(len(refRaw), canon.Len())+1)
	for _, s := range srcs[1:] {
		raw, err := readInto(s, buf)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(raw, refRaw) || bytes.Equal(raw, canon.Bytes()) {
			r.Pairs = append(r.Pairs, &Pair{Copy: s.Name})
			continue
		}
		c, err := LoadManifest(s.Name, bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		r.Pairs = append(r.Pairs, comparePair(ref, c, o))
	}
	return r, nil
}

// readInto reads a manifest into buf when it fits, else into a new slice.
func readInto(s ManifestSource, buf []byte) ([]byte, error) {
	rc, err := s.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return buf[:n], nil
	case err != nil:
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	// Longer than the reference: it differs; read it all to decode.
	rest, err := readAllLimited(s.Name, rc, maxManifest-int64(n))
	if err != nil {
		return nil, err
	}
	return append(append([]byte(nil), buf[:n]...), rest...), nil
}

// maxManifest bounds what one manifest may be: a real key's is under
// 2 MiB; 256 MiB is a tree of over a million files.
const maxManifest int64 = 256 << 20

func readSource(s ManifestSource) ([]byte, error) {
	rc, err := s.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readAllLimited(s.Name, rc, maxManifest)
}

func readAllLimited(name string, r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: over %d MiB: not a manifest usbkey-drift wrote; check the file", name, maxManifest>>20)
	}
	return b, nil
}
