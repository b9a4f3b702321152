package fat32

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestFuzzCorpus keeps the committed seed corpus of FuzzOpen in step with
// what Format writes and the mutations Check must find: CNTOOLS_UPDATE=1
// rewrites it. Each seed must open, and each damaged one must be found
// damaged, or the fuzzer starts from nothing.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	seeds, bases := seedImagesT(t)
	for _, s := range seeds {
		fs, err := Open(newFuzzVolume(patched(bases, s.b)))
		if err != nil {
			t.Errorf("seed %s: Open: %v", s.name, err)
		} else if ps, err := fs.Check(); err != nil || (len(ps) > 0) != (s.name[:6] == "damage") {
			t.Errorf("seed %s: Check() = %v, %v", s.name, ps, err)
		}
		p := filepath.Join(dir, s.name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.b)
		if os.Getenv("CNTOOLS_UPDATE") == "1" {
			os.MkdirAll(dir, 0o755)
			if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("%s is stale or missing (%v): run CNTOOLS_UPDATE=1 go test ./usbkey/fat32/", p, err)
		}
	}
}
