package keysync

import (
	"strings"
	"testing"

	"cntools/internal/fuzzcorpus"
)

// FuzzParseIdle: whatever the file holds, parseIdle never panics, and
// what it accepts encodes back to the same finding.
func FuzzParseIdle(f *testing.F) {
	for _, s := range idleSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseIdle(b)
		if !ok {
			return
		}
		again, ok := parseIdle(got.encode())
		if !ok || again != got {
			t.Fatalf("parseIdle(%q) = %+v, which encodes to %q and reads back as %+v, %v", b, got, got.encode(), again, ok)
		}
	})
}

func idleSeeds() map[string][]byte {
	h := strings.Repeat("ab", 32)
	return map[string][]byte{
		"finding":   idleFinding{listing: h, manifest: h, delete: true, skipped: 5001}.encode(),
		"version":   []byte("cntools-idle 2 " + h + " " + h + " false false 1\n"),
		"short":     []byte("cntools-idle 1 " + h + "\n"),
		"negative":  []byte("cntools-idle 1 " + h + " " + h + " false false -1\n"),
		"not-a-sum": []byte("cntools-idle 1 " + h[:63] + "g " + h + " false false 1\n"),
	}
}

// TestFuzzParseIdleSeedsCommitted keeps testdata/fuzz/FuzzParseIdle in
// step with idleSeeds; CNTOOLS_UPDATE=1 rewrites it.
func TestFuzzParseIdleSeedsCommitted(t *testing.T) {
	fuzzcorpus.CheckBytes(t, "FuzzParseIdle", idleSeeds())
}

// Each seed is read as it should be.
func TestParseIdle(t *testing.T) {
	for name, s := range idleSeeds() {
		_, ok := parseIdle(s)
		if want := name == "finding"; ok != want {
			t.Errorf("%s: parseIdle(%q) ok = %v, want %v", name, s, ok, want)
		}
	}
}
