package tool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func app(action cli.ActionFunc) *cli.App {
	return &cli.App{Name: "t", Flags: append(CommonFlags(), DestructiveFlags()...), Action: action}
}

func run(t *testing.T, action cli.ActionFunc, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), app(action), append([]string{"t"}, args...), Streams{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		action cli.ActionFunc
		args   []string
		code   int
		stderr string
	}{
		{"ok", func(*cli.Context) error { return nil }, nil, 0, ""},
		{"problem", func(*cli.Context) error { return Problem(errors.New("drift found")) }, nil, 1, "t: error: drift found\n"},
		{"reported", func(*cli.Context) error { return fmt.Errorf("x: %w", ErrReported) }, nil, 1, ""},
		{"runtime", func(*cli.Context) error { return errors.New("disk on fire") }, nil, 2, "t: error: disk on fire\n"},
		{"usage", func(*cli.Context) error { return Usage("want one TARGET") }, nil, 2, "t: error: want one TARGET\n"},
		{"bad flag", func(*cli.Context) error { return nil }, []string{"--nope"}, 2, "flag provided but not defined"},
	} {
		code, _, stderr := run(t, tc.action, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) || (tc.stderr == "" && stderr != "") {
			t.Errorf("%s: Run = %d, stderr %q; want %d, stderr containing %q", tc.name, code, stderr, tc.code, tc.stderr)
		}
	}
}

func TestErrorIsJSONUnderJSON(t *testing.T) {
	code, _, stderr := run(t, func(*cli.Context) error { return Problem(errors.New("drift")) }, "--json")
	if code != 1 || stderr != `{"type":"error","tool":"t","message":"drift","exit":1}`+"\n" {
		t.Errorf("Run --json = %d, %q; want 1 and one JSON error object, its type first", code, stderr)
	}
}

func TestConfirmWithoutTerminalRefuses(t *testing.T) {
	code, _, stderr := run(t, func(c *cli.Context) error {
		ok, err := FromContext(c).Confirm("format x", []string{"everything on x is lost"})
		if ok {
			return errors.New("confirmed without a terminal")
		}
		return err
	})
	if code != 2 || !strings.Contains(stderr, "pass -y") {
		t.Errorf("Confirm with no terminal: exit %d, %q; want 2 and a hint to pass -y", code, stderr)
	}
	code, _, _ = run(t, func(c *cli.Context) error {
		if ok, err := FromContext(c).Confirm("format x", nil); !ok || err != nil {
			return errors.New("-y did not confirm")
		}
		return nil
	}, "-y")
	if code != 0 {
		t.Errorf("Confirm with -y: exit %d, want 0", code)
	}
}
