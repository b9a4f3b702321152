package keysync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/internal/fuzzcorpus"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keycopy/keycopytest"
	"cntools/usbkey/manifest"
)

// stream builds what a sync sends the receiver: files as name: content,
// each announced with the hash of announced[name] when given (a file
// that changed on the way), else of its content.
func stream(files [][2]string, announced map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(receiveHeader)
	for _, f := range files {
		body := f[1]
		h := body
		if a, ok := announced[f[0]]; ok {
			h = a
		}
		sum := sha256.Sum256([]byte(h))
		e := &manifest.Entry{Path: f[0], Size: int64(len(body)), Mode: 0o640, MTime: mtime, SHA256: hex.EncodeToString(sum[:])}
		b.WriteString(receivedLine(e) + "\n")
		b.WriteString(body)
	}
	return b.Bytes()
}

func receiveInto(t *testing.T, dir string, in []byte) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Receive(context.Background(), dir, bytes.NewReader(in), &out)
	return out.String(), err
}

func TestReceive(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "boot"), 0o755)
	out, err := receiveInto(t, dir, stream([][2]string{
		{"boot/loader.conf", "a\n"},
		{"../escape", "x"},
		{"boot/changed", "new"},
		{ManifestFile, "{}"},
		{"/abs", "y"},
		{"config", "hostname=hn\n"},
	}, map[string]string{"boot/changed": "old"}))
	if err != nil {
		t.Fatalf("Receive = %v\n%s", err, out)
	}
	want := []string{
		`ok "boot/loader.conf"`,
		`fail "../escape" "\"../escape\" is not a clean relative path"`,
		`fail "boot/changed" "sha256 `,
		`fail "` + ManifestFile + `" "\"` + ManifestFile + `\" is a name the sync keeps for itself"`,
		`fail "/abs" "\"/abs\" is not a clean relative path"`,
		`ok "config"`,
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("answers:\n%s\nwant %d", out, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("answer %d = %s, want %s...", i, lines[i], w)
		}
	}
	for p, body := range map[string]string{"boot/loader.conf": "a\n", "config": "hostname=hn\n"} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(filepath.Join(dir, p))
		if string(got) != body || fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(mtime) {
			t.Errorf("%s: %q %v %v, want %q 0640 %v", p, got, fi.Mode().Perm(), fi.ModTime(), body, mtime)
		}
	}
	for _, p := range []string{"boot/changed", "../escape", ManifestFile} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s written", p)
		}
	}
	noTemps(t, dir)
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && keycopy.IsTemp(d.Name()) {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

// A symlink on the way to a file's directory is refused, not followed,
// even one that stays inside the copy; an mtime past 2262 (beyond
// UnixNano) is set as it is.
func TestReceiveRefusesSymlinkedDirs(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "real/sub"), 0o755)
	os.Symlink("real", filepath.Join(dir, "boot"))
	os.Symlink("sub", filepath.Join(dir, "real/link"))
	var b bytes.Buffer
	b.WriteString(receiveHeader)
	for _, p := range []string{"boot/x", "real/link/y", "real/sub/z"} {
		sum := sha256.Sum256([]byte("c"))
		e := &manifest.Entry{Path: p, Size: 1, Mode: 0o644, MTime: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), SHA256: hex.EncodeToString(sum[:])}
		b.WriteString(receivedLine(e) + "\nc")
	}
	out, err := receiveInto(t, dir, b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], `fail "boot/x" "open directory boot: `) || !strings.HasPrefix(lines[1], `fail "real/link/y" "open directory real/link: `) || lines[2] != `ok "real/sub/z"` {
		t.Fatalf("answers:\n%s", out)
	}
	for _, p := range []string{"real/x", "real/sub/y"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s written through a symlink", p)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "real/sub/z")); err != nil || fi.ModTime().Year() != 2300 {
		t.Errorf("real/sub/z: %v, %v; want the year 2300 (past what UnixNano holds)", fi, err)
	}
}

// A stream cut inside a file, or one that is not a receiver's, is
// refused: answered with error, and nothing of it kept.
func TestReceiveRefusesBrokenStreams(t *testing.T) {
	whole := stream([][2]string{{"a", "0123456789"}}, nil)
	for name, in := range map[string][]byte{
		"cut inside a file": whole[:len(whole)-3],
		"not a stream":      []byte("hello\n"),
		"another version":   []byte("cntools-receive 2\n"),
		"bad line":          append([]byte(receiveHeader), "F -1 0644 0 x \"a\"\n"...),
		"out of step":       append([]byte(receiveHeader), "root_pw=hunter2\n"...),
		"line too long":     append([]byte(receiveHeader), bytes.Repeat([]byte("F"), maxReceiveLine+1)...),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out, err := receiveInto(t, dir, in)
			if err == nil || !strings.HasPrefix(out, "error ") {
				t.Fatalf("Receive = %v, answered %q; want refused", err, out)
			}
			// A line out of step could be a file's content: never echoed.
			if strings.Contains(out, "hunter2") {
				t.Errorf("refusal echoes the line: %s", out)
			}
			if es, _ := os.ReadDir(dir); len(es) != 0 {
				t.Errorf("left %v", es)
			}
		})
	}
}

// FuzzReceive: whatever the stream, the receiver writes only under its
// directory, leaves no temporary file, and never panics.
func FuzzReceive(f *testing.F) {
	for _, s := range receiveSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		outer := t.TempDir()
		dir := filepath.Join(outer, "standby")
		os.MkdirAll(filepath.Join(dir, "boot"), 0o755)
		Receive(context.Background(), dir, bytes.NewReader(in), &bytes.Buffer{})
		if es, _ := os.ReadDir(outer); len(es) != 1 {
			t.Fatalf("wrote beside its directory: %v", es)
		}
		noTemps(t, dir)
	})
}

func receiveSeeds() map[string][]byte {
	return map[string][]byte{
		"files":   stream([][2]string{{"boot/loader.conf", "a\n"}, {"x", ""}}, nil),
		"escapes": stream([][2]string{{"../x", "a"}, {"a/../../b", "b"}, {"boot/.cntools-lock", "c"}}, nil),
		"changed": stream([][2]string{{"a", "12345"}}, map[string]string{"a": "other"}),
		"cut":     []byte(receiveHeader + "F 3 0644 0 " + strings.Repeat("0", 64) + " \"a\"\nab"),
	}
}

// TestFuzzReceiveSeedsCommitted keeps testdata/fuzz/FuzzReceive in step
// with receiveSeeds; CNTOOLS_UPDATE=1 rewrites it.
func TestFuzzReceiveSeedsCommitted(t *testing.T) {
	fuzzcorpus.CheckBytes(t, "FuzzReceive", receiveSeeds())
}

// A sync to a target with the toolkit sends through its receiver: the
// result says so, the files are as the source has them.
func TestSyncThroughReceiver(t *testing.T) {
	s := startSSHDWithState(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	keycopytest.Odd(t, src)
	many := map[string]string{}
	for i := range 200 {
		many[fmt.Sprintf("extra/d%d/f%03d", i%7, i)] = strings.Repeat("x", i*97)
	}
	writeTree(t, src, many)
	r := syncOnce(t, s, src, dst, nil)
	if !r.InStep() || r.Verified != VerifyReceiver || r.Sent != 206 {
		t.Fatalf("sync = %+v, want in step, 206 sent by the receiver", r)
	}
	sameTrees(t, src, dst)
	for p, m := range map[string]os.FileMode{"private/root.password": 0o600, "boot/loader.conf": 0o644} {
		if fi, err := os.Stat(filepath.Join(dst, p)); err != nil || fi.Mode().Perm() != m || !fi.ModTime().Equal(mtime) {
			t.Errorf("%s: %v, %v; want %v and mtime %v", p, fi.Mode(), err, m, mtime)
		}
	}
	noTemps(t, dst)

	// Forced: --verify usbkey-sync where the target has none fails it.
	plain := startSSHD(t)
	r = syncOnce(t, plain, src, filepath.Join(t.TempDir(), "standby"), func(o *Options) { o.Verify = VerifyReceiver })
	if r.Err() == nil || !strings.Contains(r.Err().Error(), "no usbkey-sync state from target") || !strings.Contains(r.Err().Error(), "usbkey-sync: not found") {
		t.Errorf("forced receiver on a target without one = %+v", r)
	}

	// A toolkit with state but no receiver: the files go over SFTP,
	// verified by a command there, and the result says which.
	old := startSSHDWithState(t)
	if err := old.SessionEnv("NO_RECEIVER=1"); err != nil {
		t.Fatal(err)
	}
	dst = filepath.Join(t.TempDir(), "standby")
	if r = syncOnce(t, old, src, dst, nil); !r.InStep() || r.Verified == VerifyReceiver || r.Sent != 206 {
		t.Fatalf("sync to a target without a receiver = %+v, want in step over SFTP", r)
	}
	sameTrees(t, src, dst)
}
