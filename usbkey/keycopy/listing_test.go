package keycopy

import (
	"bytes"
	"io/fs"
	"regexp"
	"testing"

	"cntools/internal/fuzzcorpus"
)

// FuzzDecodeListing: whatever a kept listing holds, DecodeListing never
// panics, and what it accepts encodes to a listing that decodes and
// encodes to the same bytes.
func FuzzDecodeListing(f *testing.F) {
	for _, s := range listingSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := DecodeListing(b)
		if err != nil {
			return
		}
		enc := EncodeListing(lines)
		again, err := DecodeListing(enc)
		if err != nil {
			t.Fatalf("DecodeListing(%q) gave lines that encode to %q, which does not decode: %v", b, enc, err)
		}
		if enc2 := EncodeListing(again); !bytes.Equal(enc, enc2) {
			t.Fatalf("listing %q encodes to %q, then to %q", b, enc, enc2)
		}
	})
}

func listingSeeds() map[string][]byte {
	return map[string][]byte{
		"listing": EncodeListing([]Line{
			{Type: TypeDir, Mode: fs.ModeSetgid | 0o755, MTime: 1796205169, Path: "boot"},
			{Type: TypeFile, Mode: 0o600, Size: 6, MTime: -1, Path: "private/root.password"},
			{Type: TypeSymlink, Mode: 0o777, MTime: 1, Path: "latest", Target: "os/20260301T000000Z"},
			{Type: TypeSpecial, Mode: 0o600, Path: "extra/it's \"quoted\"\nand more"},
		}),
		"temp":      []byte(ListingHeader + "temp 0000 0 0 \"boot/.a.tmp-0123456789ab\" \"\"\n"),
		"version":   []byte("cntools-listing 2\n"),
		"no-target": []byte(ListingHeader + "file 0644 1 1 \"config\"\n"),
		"mode":      []byte(ListingHeader + "file 644 1 1 \"config\" \"\"\n"),
		"unended":   []byte(ListingHeader + "file 0644 1 1 \"config\" \"\""),
	}
}

// TestFuzzDecodeListingSeedsCommitted keeps testdata/fuzz/FuzzDecodeListing
// in step with listingSeeds; CNTOOLS_UPDATE=1 rewrites it.
func TestFuzzDecodeListingSeedsCommitted(t *testing.T) {
	fuzzcorpus.CheckBytes(t, "FuzzDecodeListing", listingSeeds())
}

// Each seed is read as it should be: only the whole listing is.
func TestDecodeListingSeeds(t *testing.T) {
	for name, s := range listingSeeds() {
		_, err := DecodeListing(s)
		if want := name == "listing"; (err == nil) != want {
			t.Errorf("%s: DecodeListing(%q) = %v, want ok %v", name, s, err, want)
		}
	}
}

// FuzzIsConflictCopy: IsConflictCopy says what the expression it is
// written from says.
func FuzzIsConflictCopy(f *testing.F) {
	for _, s := range []string{"config.conflict-20261201T220000Z", ".conflict-20261201T220000Z", "config.conflict-2026120T220000Z", "config.conflict-20261201t220000Z", "config.conflict-20261201T2200000Z", "a.conflict-20261201T220000Z\n"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`\.conflict-\d{8}T\d{6}Z$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsConflictCopy(s), re.MatchString(s); got != want {
			t.Fatalf("IsConflictCopy(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
