package config

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) *File {
	t.Helper()
	f, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%q) = %v, want no error", s, err)
	}
	return f
}

func readSample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/headnode.config")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	inputs := []string{
		"",
		"\n",
		"\n\n\n",
		"a=b",
		"a=b\n",
		"a=b\r\n# c\r\nd='e f'\r\n",
		"a=b   \n  c=d\t# note\n",
		"\ta=tab-indented\n",
		"# only\n# comments",
		"   \n\t\n",
		"a='x'\"y\"z\\ w\n",
		"export a=b\nfoo bar\nk+=v\nk[1]=v\n",
		"_under=1\n9digit=1\n-dash\n",
		"a=$(echo hi)\nb=`date`\nc=${HOME}\n",
		"a=\xff\xfe\x00\n",
		"no newline at end # comment",
	}
	sample := readSample(t)
	inputs = append(inputs, string(sample))
	for _, in := range inputs {
		f := mustParse(t, in)
		if got := f.Bytes(); string(got) != in {
			t.Errorf("Parse(%q).Bytes() = %q, want the input", in, got)
		}
		var b bytes.Buffer
		if n, err := f.WriteTo(&b); err != nil || n != int64(len(in)) || b.String() != in {
			t.Errorf("Parse(%q).WriteTo() = %d, %v, %q; want %d, nil, the input", in, n, err, b.String(), len(in))
		}
	}
}

func TestGet(t *testing.T) {
	tests := []struct {
		line  string
		value string
		exact bool
	}{
		{"k=v", "v", true},
		{"k=", "", true},
		{"k=a=b=c", "a=b=c", true},
		{`k="a b"`, "a b", true},
		{`k='a b'`, "a b", true},
		{`k='$6$x$y'`, "$6$x$y", true},
		{`k="a\"b\\c\$d\` + "`" + `e"`, "a\"b\\c$d`e", true},
		{`k="a\nb"`, `a\nb`, true},
		{`k='a\b'`, `a\b`, true},
		{`k=a\ b`, "a b", true},
		{`k='it'\''s'`, "it's", true},
		{`k="x"'y'z`, "xyz", true},
		{"k=v   ", "v", true},
		{"k=v # comment", "v", true},
		{"k=v\t#comment", "v", true},
		{"k=a#b", "a#b", true},
		{"k=#b", "#b", true},
		{"   k=v", "v", true},
		{"k=v\r", "v\r", true},
		{"k='v'\r", "v\r", true},
		{"k=a*b?[c]{d,e}", "a*b?[c]{d,e}", true},
		{"k=$", "$", true},
		{"k=a$", "a$", true},
		{`k="$"`, "$", true},
		{"k=a$ b", "a$", false},
		{"k=héllo", "héllo", true},
		{"k=a b", "a", false},
		{"k=a;b=c", "a", false},

		{"k=$HOME/x", "$HOME/x", false},
		{`k="${HOME}/x"`, "${HOME}/x", false},
		{"k=$(hostname)", "$(hostname)", false},
		{"k=`hostname`", "`hostname`", false},
		{"k=~/x", "~/x", false},
		{"k=a:~/x", "a:~/x", false},
		{"k=a~b", "a~b", true},
		{"k='~'", "~", true},
		{`k=$'a\tb'`, `$'a\tb'`, false},
		{"k=$1", "$1", false},
		{"k=$(echo ')')", "$(echo ')')", false},
	}
	for _, tt := range tests {
		f := mustParse(t, tt.line+"\n")
		value, exact, ok := f.Get("k")
		if value != tt.value || exact != tt.exact || !ok {
			t.Errorf("Parse(%q).Get(k) = %q, %v, %v; want %q, %v, true", tt.line, value, exact, ok, tt.value, tt.exact)
		}
	}
}

func TestKinds(t *testing.T) {
	f := mustParse(t, "\n# c\n  # c\n\tk=v\n_k=v\n9=v\nk=v\nexport k=w\nk +=w\nj=1; i=2\n")
	var got []Kind
	for _, l := range f.lines {
		got = append(got, l.kind)
	}
	want := []Kind{Blank, Comment, Comment, Ignored, Ignored, Ignored, Assignment, Command, Command, Assignment}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kinds = %v, want %v", got, want)
	}
	if got, want := f.Keys(), []string{"k", "j"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
	if got, want := f.Commands(), []int{8, 9, 10}; !reflect.DeepEqual(got, want) {
		t.Errorf("Commands() = %v, want %v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
		key  string
		err  error
	}{
		{"a=1\nb='open\nc=2'\n", 2, "b", errSingleQuote},
		{"a=\"open\n", 1, "a", errDoubleQuote},
		{"a=1\n\nb=x\\\nc=1\n", 3, "b", errContinuation},
		{"a=`open\n", 1, "a", errBackquote},
		{"a=$(open\n", 1, "a", errSubstitution},
		{"a=${open\n", 1, "a", errSubstitution},
		{"a=$'open\n", 1, "a", errANSIQuote},
		{"a=1 'open\n", 1, "a", errSingleQuote},
		{"echo 'open\n", 1, "", errSingleQuote},
		{"a=\"x\\\"\n", 1, "a", errDoubleQuote},
		{"a=(x y)\n", 1, "a", errOperator},
		{"a=1 >/dev/null\n", 1, "a", errOperator},
		{"a=1 | b\n", 1, "a", errOperator},
		{"a=1 && b=2\n", 1, "a", errOperator},
		{"a=1;;\n", 1, "a", errEmptyCommand},
		{"a=1; !\n", 1, "a", errEmptyCommand},
		{"a=1; if true\n", 1, "a", errReserved},
		{"a=1; }\n", 1, "a", errReserved},
		{"a=1; ]]\n", 1, "a", errReserved},
		{"for x in 1\n", 1, "", errReserved},
		{"a=1 b[x\n", 1, "a", errSubscript},
		{"a=1; b[[x]=2\n", 1, "a", errSubscript},
		{"b[x\\]=1\n", 1, "", errSubscript},
		{"a=${x?}\n", 1, "a", errUnsetExits},
		{"a=${x:?unset}\n", 1, "a", errUnsetExits},
		{"a=$[1\n", 1, "a", errSubstitution},
		{"a=$(x #)\n", 1, "a", errSubstitution},
		{"a=$(;)\n", 1, "a", errEmptyCommand},
		{"a=$(x | y)\n", 1, "a", errOperator},
		{"a=`if`\n", 1, "a", errReserved},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tt.line || pe.Key != tt.key || !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q) = %v, want line %d key %q: %v", tt.in, err, tt.line, tt.key, tt.err)
		}
	}
	// Lines config.sh drops are never evaluated, so their quotes do not matter.
	for _, in := range []string{"# it's\n", "\tk='open\n", "_k='open\n", "  # 'x\n", "\tk=(\n",
		"a=1; ! b\n", "a=1; time b\n", "a=1;\n", "a=1 # ; ( | \n", "b[x]=1\n", "a=$((1+2))\n", "a=$()\n",
		"a=${x:-y}\n", "a=${#x}\n", "a=1 if\n", "a=b[x\n", "a='x;(|'\n"} {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("Parse(%q) = %v, want no error", in, err)
		}
	}
}

func TestDuplicateKeys(t *testing.T) {
	in := "k=first\nother=1\nk=second # wins\nlast=2\n"
	f := mustParse(t, in)
	if v, _, _ := f.Get("k"); v != "second" {
		t.Errorf("Get(k) = %q, want second", v)
	}
	if e, _ := f.Lookup("k"); e.Line != 3 {
		t.Errorf("Lookup(k).Line = %d, want 3", e.Line)
	}
	if got, want := f.Keys(), []string{"other", "k", "last"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
	if err := f.Set("k", "third"); err != nil {
		t.Fatal(err)
	}
	want := "k=first\nother=1\nk=third # wins\nlast=2\n"
	if got := string(f.Bytes()); got != want {
		t.Errorf("after Set(k, third) = %q, want %q", got, want)
	}
	n, err := f.Delete("k")
	if n != 2 || err != nil {
		t.Errorf("Delete(k) = %d, %v; want 2, nil", n, err)
	}
	if got, want := string(f.Bytes()), "other=1\nlast=2\n"; got != want {
		t.Errorf("after Delete(k) = %q, want %q", got, want)
	}
}

func TestSetPreservesOtherLines(t *testing.T) {
	sample := readSample(t)
	f := mustParse(t, string(sample))
	lines := strings.SplitAfter(string(sample), "\n")
	edits := []struct{ key, value, line string }{
		{"admin_ip", "10.99.99.42", "admin_ip=10.99.99.42\n"},
		{"datacenter_location", "Elsewhere, NY", "datacenter_location='Elsewhere, NY'\n"},
		{"root_shadow", "$6$new$hash", "root_shadow='$6$new$hash'\n"},
		{"root_shadow", "plain", "root_shadow='plain'\n"},
		{"ufds_admin_pw", "it's a $ecret", `ufds_admin_pw=it\'s\ a\ \$ecret` + "\n"},
		{"region_name", "", "region_name=\n"},
	}
	for _, e := range edits {
		e0, _ := f.Lookup(e.key)
		if err := f.Set(e.key, e.value); err != nil {
			t.Fatalf("Set(%s, %q) = %v", e.key, e.value, err)
		}
		lines[e0.Line-1] = e.line
		if got, want := string(f.Bytes()), strings.Join(lines, ""); got != want {
			t.Fatalf("after Set(%s, %q):\n%s\nwant:\n%s", e.key, e.value, got, want)
		}
		if v, exact, _ := f.Get(e.key); v != e.value || !exact {
			t.Errorf("Get(%s) after Set = %q, %v; want %q, true", e.key, v, exact, e.value)
		}
	}
	if err := f.Set("new_key", "a b"); err != nil {
		t.Fatal(err)
	}
	lines = append(lines[:len(lines)-1], lines[len(lines)-1], "new_key='a b'\n")
	if got, want := string(f.Bytes()), strings.Join(lines, ""); got != want {
		t.Errorf("after Set(new_key) got:\n%s\nwant:\n%s", got, want)
	}
	n, err := f.Delete("admin_nic")
	if n != 1 || err != nil {
		t.Fatalf("Delete(admin_nic) = %d, %v", n, err)
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "admin_nic=") {
			lines = append(lines[:i], lines[i+1:]...)
			break
		}
	}
	if got, want := string(f.Bytes()), strings.Join(lines, ""); got != want {
		t.Errorf("after Delete(admin_nic) got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSetEdges(t *testing.T) {
	tests := []struct {
		in, key, value, want string
	}{
		{"", "k", "v", "k=v\n"},
		{"a=1", "k", "v", "a=1\nk=v\n"},
		{"a=1", "a", "2", "a=2"},
		{"  a=1   # keep\n", "a", "x y", "  a='x y'   # keep\n"},
		{"a=1\r\nb=2\r\n", "a", "3", "a=3\nb=2\r\n"},
		{"a=\"$HOME\"\n", "a", "/root", "a=/root\n"},
		{"# a=1\n", "a", "2", "# a=1\na=2\n"},
		{"k=v\n", "k", "a'b", "k='a'\\''b'\n"},
		{"k=v\n", "k", "tab\there", "k='tab\there'\n"},
		{"k=v\n", "k", "cr\r", "k='cr\r'\n"},
	}
	for _, tt := range tests {
		f := mustParse(t, tt.in)
		if err := f.Set(tt.key, tt.value); err != nil {
			t.Errorf("Parse(%q).Set(%s, %q) = %v", tt.in, tt.key, tt.value, err)
			continue
		}
		if got := string(f.Bytes()); got != tt.want {
			t.Errorf("Parse(%q).Set(%s, %q) gives %q, want %q", tt.in, tt.key, tt.value, got, tt.want)
		}
	}
}

func TestSetRefuses(t *testing.T) {
	tests := []struct {
		in, key, value, err string
	}{
		{"", "_k", "v", "key must match"},
		{"", "9k", "v", "key must match"},
		{"", "k-x", "v", "key must match"},
		{"", "", "v", "key must match"},
		{"", "k", "a\nb", "newline"},
		{"", "k", "a\x00b", "NUL"},
		{"", "root_shadow", "a\nb", "newline"},
		{"k=a b\n", "k", "c", "line 1 holds more than this assignment"},
		{"k=1; j=2\n", "k", "c", "edit that line by hand"},
	}
	for _, tt := range tests {
		f := mustParse(t, tt.in)
		err := f.Set(tt.key, tt.value)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Set(%q, %q) = %v, want error containing %q", tt.key, tt.value, err, tt.err)
		}
		if got := string(f.Bytes()); got != tt.in {
			t.Errorf("after failed Set(%q, %q) file = %q, want unchanged", tt.key, tt.value, got)
		}
	}
	f := mustParse(t, "k=1; j=2\nk=0\n")
	if n, err := f.Delete("k"); n != 0 || err == nil {
		t.Errorf("Delete(k) on a compound line = %d, %v; want 0, error", n, err)
	}
}

func TestClone(t *testing.T) {
	f := mustParse(t, "a=1\n")
	g := f.Clone()
	if err := g.Set("a", "2"); err != nil {
		t.Fatal(err)
	}
	if got := string(f.Bytes()); got != "a=1\n" {
		t.Errorf("original after Clone().Set = %q, want a=1\\n", got)
	}
}
