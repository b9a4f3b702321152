package fat32

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestFuzzCorpus keeps the committed seed corpus of FuzzOpen in step with
// what Format writes: CNTOOLS_UPDATE=1 rewrites it.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	for i, seed := range seedImagesT(t) {
		p := filepath.Join(dir, fmt.Sprintf("seed-%d", i))
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed)
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
