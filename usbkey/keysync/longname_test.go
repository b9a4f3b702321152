package keysync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Names near the filesystem's limit sync: the temporary name beside each
// is cut to fit, where it used to be 18 bytes longer than the name and
// fail with a bare "Bad message".
func TestSyncLongNames(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	files := map[string]string{"config": "hostname=headnode0\n"}
	for _, name := range []string{strings.Repeat("a", 230), strings.Repeat("b", 255), strings.Repeat("ü", 127)} {
		files["os/"+name] = name[:10]
	}
	writeTree(t, src, files)
	if r := syncOnce(t, s, src, dst, nil); !r.InStep() || r.Sent != len(files) {
		t.Fatalf("sync = %+v, want in step, %d sent", r, len(files))
	}
	sameTrees(t, src, dst)
	es, _ := os.ReadDir(filepath.Join(dst, "os"))
	if len(es) != 3 {
		t.Errorf("%d entries in os/ on the target, want 3 (no temporary files left)", len(es))
	}
}
