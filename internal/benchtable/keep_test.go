package benchtable

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestKeepPopulate(t *testing.T) {
	if os.Getenv("KEEP") == "" {
		t.Skip()
	}
	w := newBench(t)
	row := w.populate()
	if err := row.Before(0); err != nil {
		t.Fatal(err)
	}
	src, _ := w.keySource()()
	root, pristine := filepath.Join(w.dir, "populate-root"), filepath.Join(w.dir, "pristine.img")
	off := strconv.FormatUint(layout().Root.Start*512, 10)
	var env []string
	for _, e := range w.env {
		env = append(env, "export '"+e+"'")
	}
	s := strings.Join(env, "\n") + "\ncd " + w.dir + "\n"
	os.WriteFile("/tmp/pop-ours.sh", []byte(s+"cp --sparse=always "+pristine+" ours.img\n"+w.tools+"/usbkey-populate --root "+root+" --from "+w.rel(src)+" -y ours.img\n"), 0o755)
	os.WriteFile("/tmp/pop-mtools.sh", []byte(s+"cp --sparse=always "+pristine+" mt.img\ncd "+src+"; mcopy -o -m -s -i \""+w.dir+"/mt.img@@"+off+"\" * ::/; sync "+w.dir+"/mt.img\n"), 0o755)
	os.WriteFile("/tmp/pop-ready", nil, 0o644)
	for {
		if _, err := os.Stat("/tmp/pop-ready"); err != nil {
			return
		}
		time.Sleep(time.Second)
	}
}
