package manifest

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// Encode writes canonically: encoding, decoding and encoding again gives the
// same manifest and the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(golden))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		var first bytes.Buffer
		if err := m.Encode(&first); err != nil {
			t.Fatalf("Encode(Decode(%q)) = %v, want nil", b, err)
		}
		again, err := Decode(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(%q))) = %v, want nil", b, err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("Decode(Encode(m)) = %+v, want %+v", again, m)
		}
		var second bytes.Buffer
		again.Encode(&second)
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("Encode twice:\n%s\n%s", first.Bytes(), second.Bytes())
		}
	})
}
