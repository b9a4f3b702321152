package cmd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cntools/internal/tool"
)

// TestManPages renders every tool's man page with the real groff, warnings
// on, and checks the sections an operator looks for and that the help's
// text survives whole (<placeholders> included).
func TestManPages(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Fatalf("groff: %v: make deps installs groff-base", err)
	}
	for _, n := range Names() {
		page := ManPage(n)
		for _, sec := range []string{".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH EXIT STATUS", ".SH FILES", ".SH EXAMPLES", ".SH SEE ALSO"} {
			if n == "usbkey-status" && sec == ".SH FILES" {
				continue // it reads only the operand
			}
			if !strings.Contains(page, "\n"+sec+"\n") {
				t.Errorf("%s.1 has no %s", n, sec)
			}
		}
		cmd := exec.Command(groff, "-man", "-Tascii", "-ww", "-rLL=80n", "-P-c", "-P-b", "-P-u")
		cmd.Stdin = strings.NewReader(page)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("groff %s.1: %v: %s", n, err, stderr.String())
		}
		text := overstrike.ReplaceAllString(out.String(), "")
		// Every synopsis names its operands.
		for _, u := range synopses(n, App(n)) {
			if fields := strings.Fields(u); !strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(fields, " ")) {
				t.Errorf("%s.1: synopsis %q is not in the rendered page", n, u)
			}
		}
	}
	if page := ManPage("usbkey-sync"); !strings.Contains(page, `NAME.conflict\-<UTC timestamp>`) {
		t.Errorf("usbkey-sync.1 lost the <UTC timestamp> placeholder")
	}
}

// overstrike is how grotty draws bold and underline without -c.
var overstrike = regexp.MustCompile(".\x08")

func TestWriteManPages(t *testing.T) {
	dir := t.TempDir()
	if err := WriteManPages(dir); err != nil {
		t.Fatal(err)
	}
	for _, n := range Names() {
		if b, err := os.ReadFile(filepath.Join(dir, n+".1")); err != nil || !bytes.HasPrefix(b, []byte(".TH "+strings.ToUpper(n)+" 1")) {
			t.Errorf("%s.1: %v, starts %.20q", n, err, b)
		}
	}
}

// TestHelpFitsAConsole runs every tool's -h and checks no line is wider
// than 80 columns (usbkey-sync -h was 258).
func TestHelpFitsAConsole(t *testing.T) {
	for _, n := range Names() {
		var out, errb bytes.Buffer
		code := Main(context.Background(), n, []string{n, "-h"}, tool.Streams{Stdout: &out, Stderr: &errb})
		if code != 0 || out.Len() == 0 {
			t.Fatalf("%s -h: exit %d, stderr %s", n, code, errb.String())
		}
		for i, l := range strings.Split(out.String(), "\n") {
			if len(l) > HelpWidth {
				t.Errorf("%s -h line %d is %d wide: %q", n, i+1, len(l), l)
			}
		}
	}
}

func TestWrapHelp(t *testing.T) {
	in := "DESCRIPTION:\n" +
		"   one two three four five six seven eight nine ten eleven twelve thirteen fourteen\n" +
		"   fifteen.\n" +
		"\n" +
		"   - a bullet that is long enough to need wrapping at a width of forty cols\n" +
		"\n" +
		"OPTIONS:\n" +
		"   --a X   usage of a that goes on and on past the edge of the narrow page\n"
	want := "DESCRIPTION:\n" +
		"   one two three four five six seven eight\n" +
		"   nine ten eleven twelve thirteen\n" +
		"   fourteen fifteen.\n" +
		"\n" +
		"   - a bullet that is long enough to need\n" +
		"     wrapping at a width of forty cols\n" +
		"\n" +
		"OPTIONS:\n" +
		"   --a X   usage of a that goes on and on\n" +
		"           past the edge of the narrow\n" +
		"           page\n"
	if got := wrapHelp(in, 42); got != want {
		t.Errorf("wrapHelp:\n%s\nwant:\n%s", got, want)
	}
}

// TestBashCompletion loads the completion into a real bash and completes
// an option, a command, a hook and a file.
func TestBashCompletion(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "c.bash")
	if err := os.WriteFile(script, []byte(BashCompletion()), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "key.img"), nil, 0o644)
	for _, c := range []struct {
		words string
		want  string
	}{
		{"usbkey-sync --tar", "--target --targets-file"},
		{"usbkey-sync se", "setup"},
		{"usbkey-sync hook pl", "platform-install"},
		{"convert-to-headnode fi", "finish"},
		{"usbkey-status ke", "key.img"},
	} {
		words := strings.Fields(c.words)
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(words, " ") + "); COMP_CWORD=" +
			string(rune('0'+len(words)-1)) + "; _cn_tools; echo \"${COMPREPLY[*]}\""
		cmd := exec.Command("bash", "-c", prog)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v: %s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("completing %q: %q, want %q", c.words, got, c.want)
		}
	}
}
