package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"cntools/internal/fuzzcorpus"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// Encode writes canonically: encoding, decoding and encoding again gives the
// same manifest and the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(golden))
	f.Add([]byte("{\"version\":1,\"entries\":[]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(bytes.NewReader(b))
		// The canonical fast path reads only what encoding/json
		// reads alike.
		if fast, ok := decodeCanonical(b); ok {
			slow, err := decodeJSON(bytes.NewReader(b))
			if err != nil || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("canonical path read %q as %+v, encoding/json as %+v, %v", b, fast, slow, err)
			}
		}
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

// FuzzCompareFolded holds compareFolded to comparing the folded paths.
func FuzzCompareFolded(f *testing.F) {
	f.Add("os/20260301T000000Z", "os/20260301t000000z")
	f.Add("\u212a", "k")
	f.Add("boot/ä", "BOOT/Ä")
	f.Fuzz(func(t *testing.T, a, b string) {
		want := strings.Compare(fold(a), fold(b))
		if got := compareFolded(a, b); (got < 0) != (want < 0) || (got == 0) != (want == 0) {
			t.Fatalf("compareFolded(%q, %q) = %d, want the sign of %d", a, b, got, want)
		}
	})
}

// FuzzAppendString holds appendString's plain path to encoding/json's
// spelling.
func FuzzAppendString(f *testing.F) {
	f.Add("boot/loader.conf")
	f.Add("a\"b\\c\x01\u2028<>&é")
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if got, want := string(appendString(nil, s)), strings.TrimSuffix(buf.String(), "\n"); got != want {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

// FuzzLoadCache holds the hash cache's fast reader to encoding/json's,
// and what Save writes to the fast reader.
func FuzzLoadCache(f *testing.F) {
	for _, s := range cacheSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := cacheEntries(b)
		if !ok {
			return
		}
		var slow struct {
			Version int          `json:"version"`
			Entries []cacheEntry `json:"entries"`
		}
		if err := json.Unmarshal(b, &slow); err != nil || slow.Version != 1 || !reflect.DeepEqual(fast, slow.Entries) && len(fast)+len(slow.Entries) > 0 {
			t.Fatalf("fast reader read %q as %+v, encoding/json as %+v, %v", b, fast, slow, err)
		}
	})
}

func cacheSeeds() map[string][]byte {
	return map[string][]byte{
		"saved":      []byte("{\"version\":1,\"entries\":[\n{\"path\":\"boot/loader.conf\",\"size\":12,\"mtime_ns\":1772323200000000000,\"inode\":42,\"ctime_ns\":1772323200000000001,\"sha256\":\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\"},\n{\"path\":\"a<b>\",\"size\":0,\"mtime_ns\":1,\"inode\":0,\"sha256\":\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\"}\n]}\n"),
		"escaped":    []byte("{\"version\":1,\"entries\":[\n{\"path\":\"a\\u003c\",\"size\":1,\"mtime_ns\":1,\"inode\":1,\"sha256\":\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\"}\n]}\n"),
		"zero ctime": []byte("{\"version\":1,\"entries\":[\n{\"path\":\"a\",\"size\":1,\"mtime_ns\":1,\"inode\":1,\"ctime_ns\":0,\"sha256\":\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\"}\n]}\n"),
	}
}

// TestFuzzLoadCacheSeedsCommitted keeps testdata/fuzz/FuzzLoadCache in
// step with cacheSeeds; CNTOOLS_UPDATE=1 rewrites it.
func TestFuzzLoadCacheSeedsCommitted(t *testing.T) {
	files := map[string]string{}
	for name, s := range cacheSeeds() {
		files[strings.ReplaceAll(name, " ", "-")] = fuzzcorpus.Encode(s)
	}
	fuzzcorpus.Check(t, "FuzzLoadCache", files)
}
