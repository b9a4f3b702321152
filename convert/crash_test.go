package convert_test

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cntools/convert"
	"cntools/convert/converttest"
	"cntools/internal/node"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
	"cntools/usbkey/populate"
)

// buildTools builds the real multi-call binary once, linked as every
// tool, so the crash test kills a real process and the plan's printed
// commands run as an operator would run them. It returns the
// convert-to-headnode link.
func buildTools(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "cn-tools")
	out, err := exec.Command("go", "build", "-o", bin, "cntools/tools/cn-tools").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tool := range []string{"usbkey-format", "usbkey-populate", "usbkey-status", "gztools-install", "usbkey-sync", "usbkey-drift", "convert-to-headnode"} {
		if err := os.Symlink(bin, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "convert-to-headnode")
}

func newNode(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "node")
	if err := converttest.WriteNode(root); err != nil {
		t.Fatal(err)
	}
	return root
}

func convertCmd(bin, root string) *exec.Cmd {
	cmd := exec.Command(bin, "--root", root, "-y", "-v")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return cmd
}

// state is what a conversion leaves: a manifest of the node's root and one
// of the key's root filesystem, without what differs from run to run by
// design (times, the journal, logs, caches, the key image's own bytes).
func state(t *testing.T, root string) string {
	t.Helper()
	ctx := context.Background()
	skip := regexp.MustCompile(`^(var/log|var/cn-tools|var/cache|var/tmp|dev)(/|$)|(^|/)\.cntools-manifest\.json$`)
	m, err := manifest.Build(ctx, keytree.Dir(root), manifest.Options{Exclude: func(p string) bool { return skip.MatchString(p) }})
	if err != nil {
		t.Fatalf("manifest of %s: %v", root, err)
	}
	ms := []*manifest.Manifest{m}
	// The key's content, once it has a filesystem.
	if kt, err := keyTree(root); err == nil {
		defer kt.Close()
		km, err := manifest.Build(ctx, kt, manifest.Options{Exclude: func(p string) bool { return skip.MatchString(p) }})
		if err != nil {
			t.Fatalf("manifest of the key: %v", err)
		}
		ms = append(ms, km)
	}
	var b bytes.Buffer
	for _, mm := range ms {
		for i := range mm.Entries {
			mm.Entries[i].MTime = time.Time{}
		}
		mm.Encode(&b)
	}
	return b.String()
}

// markerOnlyWhenComplete checks the invariant: a key that carries
// .joyliveusb holds all of /usbkey's content.
func markerOnlyWhenComplete(t *testing.T, root, when string) {
	t.Helper()
	kt, err := keyTree(root)
	if err != nil {
		return // not formatted yet, or mid-format: no marker either way
	}
	defer kt.Close()
	if _, err := kt.Lstat(populate.MarkerFile); err != nil {
		return
	}
	// A marked key must always carry a config: without one a headnode
	// boot drops into the interactive prompt-config.
	r, err := kt.Open("config")
	if err != nil {
		t.Errorf("%s: the key carries %s but no config", when, populate.MarkerFile)
		return
	}
	conf, _ := io.ReadAll(r)
	r.Close()
	src := keytree.Overlay(keytree.Dir(filepath.Join(root, node.CopyDir)), "config", conf, time.Now())
	plan, err := populate.MakePlan(context.Background(), src, kt, populate.Request{}, populate.Options{})
	if err != nil || len(plan.Copy) > 0 || len(plan.Mkdirs) > 0 {
		n := -1
		if plan != nil {
			n = len(plan.Copy)
		}
		t.Errorf("%s: the key carries %s but its content is incomplete (%d files to copy, err %v)", when, populate.MarkerFile, n, err)
	}
}

// keyTree opens the simulated node's key through its root filesystem, as
// a writer because MakePlan plans for one; nothing is written.
func keyTree(root string) (keytree.Writer, error) {
	op := &keytree.Opener{Node: node.New(root)}
	return op.OpenWriter(context.Background(), keytree.Location{Raw: converttest.KeyPath, Kind: keytree.KindLocal, Path: converttest.KeyPath}, false)
}

// TestCrashResume kills convert-to-headnode with SIGKILL at every step
// boundary and at random points inside steps, then reruns it; every run
// must end in the same verified headnode state as an uninterrupted one.
func TestCrashResume(t *testing.T) {
	bin := buildTools(t)

	ref := newNode(t)
	start := time.Now()
	if out, err := convertCmd(bin, ref).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted conversion: %v\n%s", err, out)
	}
	took := time.Since(start)
	want := state(t, ref)
	if !strings.Contains(want, `"path":".joyliveusb"`) {
		t.Fatalf("the reference state has no marked key: the conversion did not happen")
	}

	type point struct {
		name  string
		after string        // a log line to wait for, or
		delay time.Duration // a delay
	}
	var points []point
	for _, s := range convert.StepOrder {
		points = append(points, point{name: "at step " + s, after: `"step":"` + s + `"`})
	}
	r := rand.New(rand.NewSource(67))
	for i := 0; i < 20; i++ {
		d := time.Duration(r.Int63n(int64(took + took/2)))
		points = append(points, point{name: "after " + d.String(), delay: d})
	}
	for _, p := range points {
		root := newNode(t)
		cmd := convertCmd(bin, root)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logf := filepath.Join(root, "var/log/cn-tools/convert-to-headnode.log")
		if p.after != "" {
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if b, _ := os.ReadFile(logf); bytes.Contains(b, []byte(p.after)) {
					break
				}
				time.Sleep(time.Millisecond)
			}
		} else {
			time.Sleep(p.delay)
		}
		cmd.Process.Kill()
		cmd.Wait()
		markerOnlyWhenComplete(t, root, p.name)

		if out, err := convertCmd(bin, root).CombinedOutput(); err != nil {
			t.Errorf("%s: rerun: %v\n%s", p.name, err, out)
			continue
		}
		if got := state(t, root); got != want {
			t.Errorf("%s: the resumed conversion differs from an uninterrupted one:\n%s", p.name, diffLines(want, got))
		}
	}
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	var out []string
	for _, l := range al {
		if !in(bl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !in(al, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 20 {
		out = out[:20]
	}
	return strings.Join(out, "\n")
}
