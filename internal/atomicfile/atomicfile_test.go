package atomicfile

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "config")
	for _, content := range []string{"first\n", "second, longer\n", ""} {
		if err := WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatalf("WriteFile(%q) = %v, want nil", content, err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Errorf("ReadFile after WriteFile(%q) = %q, %v, want %q", content, got, err, content)
		}
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("WriteFile(0644) under umask 077 made mode %v, want 0644", fi.Mode().Perm())
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "config" {
		t.Errorf("directory after WriteFile = %q, want only config", names)
	}
}

func TestTempNameHoldsFinalName(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "tools.tar.gz"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	names := dirNames(t, dir)
	if len(names) != 1 || !strings.Contains(names[0], "tools.tar.gz") || names[0] == "tools.tar.gz" {
		t.Errorf("directory while writing = %q, want one temporary name containing tools.tar.gz", names)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config")
	if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("half of the new")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old\n" {
		t.Errorf("final name before Commit = %q, want the old content", got)
	}
	f.Abort()
	f.Abort() // deferred after an explicit Abort: harmless
	if got, _ := os.ReadFile(p); string(got) != "old\n" {
		t.Errorf("final name after Abort = %q, want the old content", got)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory after Abort = %q, want only config", names)
	}
	if err := f.Commit(); err == nil || !strings.HasPrefix(err.Error(), "BUG: ") {
		t.Errorf("Commit after Abort = %v, want a BUG error", err)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Errorf("Write after Abort = nil, want an error")
	}
}

func TestAbortNewFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".joyliveusb")
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("partial"))
	f.Abort()
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Errorf("Lstat(%s) after Abort = %v, want not exist", p, err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("directory after Abort = %q, want empty", names)
	}
}

func TestCommitSetsModTime(t *testing.T) {
	p := filepath.Join(t.TempDir(), "loader.conf")
	f, err := Create(p, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	mt := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.SetModTime(mt)
	f.Write([]byte("headnode=\"true\"\n"))
	if err := f.Commit(); err != nil {
		t.Fatalf("Commit() = %v, want nil", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(mt) || fi.Mode().Perm() != 0o600 {
		t.Errorf("Stat after Commit = %v %v, want %v 0600", fi.ModTime(), fi.Mode().Perm(), mt)
	}
	if err := f.Commit(); err == nil || !strings.HasPrefix(err.Error(), "BUG: ") {
		t.Errorf("second Commit = %v, want a BUG error", err)
	}
}

func TestCreateRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "os"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "os"), "is a directory"},
		{filepath.Join(dir, "missing", "config"), "no such file or directory"},
		{dir + "/", "is a directory"},
	} {
		_, err := Create(tc.path, 0o644)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Create(%q) = %v, want an error containing %q", tc.path, err, tc.want)
		}
	}
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".loader.rc.tmp-9248d99c3de3": true,
		"loader.rc":                   false,
		".loader.rc.tmp-xyz":          false,
		".joyliveusb":                 false,
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCreateRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".conf.tmp-0123456789ab")
	other := filepath.Join(dir, ".other.tmp-0123456789ab")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(filepath.Join(dir, "conf"), []byte("whole"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("WriteFile(conf) left %s, a temporary file of conf from a killed writer", stale)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("WriteFile(conf) removed %s, another file's temporary: %v", other, err)
	}
}

// A name near the limit can be written: its temporary name is cut to fit
// (at a character, so it stays UTF-8) and still says what it is for. A
// name over the limit is refused with what to do, before anything is
// created.
func TestLongNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		strings.Repeat("a", 230),
		strings.Repeat("b", 255),
		strings.Repeat("é", 127), // 254 bytes of 2-byte characters
	} {
		p := filepath.Join(dir, name)
		f, err := Create(p, 0o644)
		if err != nil {
			t.Fatalf("Create(%d-byte name) = %v", len(name), err)
		}
		tmp := filepath.Base(f.tmp)
		if len(tmp) > MaxName || !utf8.ValidString(tmp) || !IsTemp(tmp) || !strings.HasPrefix(tmp, "."+name[:100]) {
			t.Errorf("temporary name of a %d-byte name: %d bytes %q, want at most %d, UTF-8, IsTemp, holding the name's start", len(name), len(tmp), tmp, MaxName)
		}
		f.Write([]byte("x"))
		if err := f.Commit(); err != nil {
			t.Fatalf("Commit(%d-byte name) = %v", len(name), err)
		}
		// A leftover of a killed write goes at the next write.
		leftover := filepath.Join(dir, TempName(name))
		os.WriteFile(leftover, nil, 0o600)
		if err := WriteFile(p, []byte("y"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(leftover); err == nil {
			t.Errorf("the leftover temporary file of a %d-byte name is still there", len(name))
		}
	}
	long := strings.Repeat("c", 256)
	err := WriteFile(filepath.Join(dir, long), []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "is 256 bytes, over the 255 a file name can have on this filesystem: rename it in the source") {
		t.Errorf("WriteFile(256-byte name) = %v, want the name refused with the fix", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 3 {
		t.Errorf("%d entries in the directory, want the 3 written", len(es))
	}
}

// FuzzIsTemp: IsTemp says what the expression it is written from says.
func FuzzIsTemp(f *testing.F) {
	for _, s := range []string{".loader.rc.tmp-9248d99c3de3", ".a\n.tmp-9248d99c3de3", "..tmp-9248d99c3de3", ".x.tmp-9248D99C3DE3", ".é.tmp-0123456789ab", "\xff.\xfe.tmp-0123456789ab"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^\..+\.tmp-[0-9a-f]{12}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsTemp(s), re.MatchString(s); got != want {
			t.Fatalf("IsTemp(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
