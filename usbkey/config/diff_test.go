package config

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	a := mustParse(t, strings.Join([]string{
		"# old",
		"same=1",
		`quoted="x y"`,
		"removed=gone",
		"changed=old",
		"root_shadow='$6$a$planted-old'",
		"root_pw=planted-secret-xyz",
		"dup=first",
		"dup=second",
		"expands=$HOME",
		"name=plain",
		"empty=",
		"",
	}, "\n"))
	b := mustParse(t, strings.Join([]string{
		"dup=second",
		"expands=\"$HOME\"",
		"quoted='x y' # same value, other quoting",
		"same=1",
		"changed='new value'",
		"root_shadow='$6$b$planted-new'",
		"root_pw=planted-secret-xyz",
		"added=here",
		"name=plain-text-with-hidden_key",
		"empty=now",
		"api_token=planted-token",
		"",
	}, "\n"))
	changes := Diff(a, b)
	var text bytes.Buffer
	if err := WriteText(&text, changes); err != nil {
		t.Fatal(err)
	}
	wantText := strings.Join([]string{
		"+ added=here",
		"+ api_token=**redacted**",
		"~ changed: old -> 'new value'",
		"~ empty: '' -> now",
		`~ expands: $HOME -> "$HOME"`,
		"~ name: plain -> plain-text-with-hidden_key",
		"- removed=gone",
		"~ root_shadow: **redacted** -> **redacted**",
		"",
	}, "\n")
	if text.String() != wantText {
		t.Errorf("WriteText(Diff) =\n%s\nwant:\n%s", text.String(), wantText)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, changes); err != nil {
		t.Fatal(err)
	}
	wantJSON := strings.Join([]string{
		`{"type":"config-change","key":"added","change":"added","new":"here"}`,
		`{"type":"config-change","key":"api_token","change":"added","new":"**redacted**"}`,
		`{"type":"config-change","key":"changed","change":"changed","old":"old","new":"new value"}`,
		`{"type":"config-change","key":"empty","change":"changed","old":"","new":"now"}`,
		`{"type":"config-change","key":"expands","change":"changed","old":"$HOME","new":"\"$HOME\""}`,
		`{"type":"config-change","key":"name","change":"changed","old":"plain","new":"plain-text-with-hidden_key"}`,
		`{"type":"config-change","key":"removed","change":"removed","old":"gone"}`,
		`{"type":"config-change","key":"root_shadow","change":"changed","old":"**redacted**","new":"**redacted**"}`,
		"",
	}, "\n")
	if js.String() != wantJSON {
		t.Errorf("WriteJSON(Diff) =\n%s\nwant:\n%s", js.String(), wantJSON)
	}
	if d := Diff(a, a.Clone()); len(d) != 0 {
		t.Errorf("Diff(a, a) = %v, want none", d)
	}
}

// A value that is secret on one side only is masked on both, so a diff never
// shows what a secret changed from or to.
func TestDiffMasksBothSides(t *testing.T) {
	a := mustParse(t, "x=plain-planted\n")
	b := mustParse(t, "x='$6$salt$planted'\n")
	d := Diff(a, b)
	if len(d) != 1 || d[0].String() != "~ x: **redacted** -> **redacted**" {
		t.Errorf("Diff = %v, want one masked change", d)
	}
	if d[0].Old.Reveal() != "plain-planted" || d[0].New.Reveal() != "$6$salt$planted" {
		t.Errorf("Reveal() = %q, %q; want the clear values", d[0].Old.Reveal(), d[0].New.Reveal())
	}
}

func TestDiffSample(t *testing.T) {
	a := mustParse(t, string(readSample(t)))
	b := a.Clone()
	for _, kv := range [][2]string{{"root_pw", "planted-secret-changed"}, {"admin_ip", "10.99.99.9"}, {"ufds_admin_pw", "planted new"}} {
		if err := b.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Delete("hostname"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	WriteText(&out, Diff(a, b))
	WriteJSON(&out, Diff(a, b))
	want := "~ admin_ip: 10.99.99.7 -> 10.99.99.9\n- hostname=headnode0\n~ root_pw: **redacted** -> **redacted**\n~ ufds_admin_pw: **redacted** -> **redacted**\n"
	if got := out.String(); !strings.HasPrefix(got, want) || strings.Contains(got, "planted") {
		t.Errorf("diff of sample =\n%s\nwant it to start with:\n%s\nand show no secret", got, want)
	}
}

func TestChangeKindString(t *testing.T) {
	for k, want := range map[ChangeKind]string{Added: "added", Removed: "removed", Changed: "changed", 0: "ChangeKind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("ChangeKind(%d).String() = %s, want %s", int(k), got, want)
		}
	}
}

// A secret assigned after `;` (or as a prefix word, or as a bare crypt
// hash) on another key's line is part of that key's raw value: the whole
// line is masked, on both sides.
func TestDiffMasksEveryAssignmentOnALine(t *testing.T) {
	for _, line := range []string{
		"mantapw=1; moray_pass=planted",
		"mantapw=1;moray_pass='planted'",
		"mantapw=1; export ufds_admin_pw=planted",
		"mantapw=1 token+=planted",
		"mantapw=1 other $6$salt$planted",
		"mantapw=1; db=pg://u:planted@h/db",
	} {
		a := mustParse(t, "mantapw=0\n")
		b := mustParse(t, line+"\n")
		d := Diff(a, b)
		if len(d) != 1 || d[0].String() != "~ mantapw: **redacted** -> **redacted**" {
			t.Errorf("Diff(mantapw=0, %s) = %v, want one masked change", line, d)
		}
		if e, _ := b.Lookup("mantapw"); !e.Raw.IsSecret() || strings.Contains(fmt.Sprint(e), "planted") {
			t.Errorf("Lookup(mantapw) in %s = %v, want masked", line, e)
		}
	}
	// A line whose other words are clear stays readable.
	d := Diff(mustParse(t, "mantapw=0\n"), mustParse(t, "mantapw=1; other=2\n"))
	if len(d) != 1 || d[0].String() != "~ mantapw: 0 -> 1; other=2" {
		t.Errorf("Diff = %v, want the clear change shown", d)
	}
}
