// Package fuzzcorpus keeps a fuzz target's committed seed corpus,
// testdata/fuzz/<Target>/<name> in the "go test fuzz v1" encoding, in step
// with the seeds a test computes, so that a seed the code changes is never
// silently stale.
//
// It encodes only the types cn-tools' fuzz targets take ([]byte, string,
// bool) and refuses any other with a BUG panic; it does not run or minimise
// corpora.
package fuzzcorpus

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// UpdateEnv, set to 1, makes Check write the corpus instead of comparing.
const UpdateEnv = "CNTOOLS_UPDATE"

// Encode returns the corpus file for one call of the fuzz function with
// values, as `go test -fuzz` writes it.
func Encode(values ...any) string {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case bool:
			fmt.Fprintf(&b, "bool(%v)\n", v)
		default:
			panic(fmt.Sprintf("BUG: fuzzcorpus.Encode: %T is not a type it encodes", v))
		}
	}
	return b.String()
}

// Check fails t unless testdata/fuzz/<target>/<name> holds files[name] for
// every name; with CNTOOLS_UPDATE=1 it writes them instead. Files in the
// directory that files does not name (what a fuzz run found) are left be.
func Check(t testing.TB, target string, files map[string]string) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	for name, want := range files {
		path := filepath.Join(dir, name)
		if os.Getenv(UpdateEnv) == "1" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v: run with %s=1 to write the corpus", err, UpdateEnv)
			continue
		}
		if string(got) != want {
			t.Errorf("%s is stale: run with %s=1", path, UpdateEnv)
		}
	}
}

// CheckBytes is Check for a fuzz target that takes one []byte: each seed
// is the corpus file of that name.
func CheckBytes(t testing.TB, target string, seeds map[string][]byte) {
	t.Helper()
	files := make(map[string]string, len(seeds))
	for name, s := range seeds {
		files[name] = Encode(s)
	}
	Check(t, target, files)
}
