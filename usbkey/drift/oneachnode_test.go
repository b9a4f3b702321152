package drift

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func parseAll(in string) ([]NodeResult, error) {
	var out []NodeResult
	err := ParseOnEachNode(strings.NewReader(in), func(n *NodeResult) error {
		c := *n
		if n.Exec != nil {
			e := *n.Exec
			e.Stdout = bytes.Clone(e.Stdout)
			c.Exec = &e
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func TestParseOnEachNode(t *testing.T) {
	in := `[{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":"a\"b\\c\nd\u00e9\ud83d\ude00","stderr":""}},` +
		` {"uuid":"u2","hostname":"cn2","extra":[1,{"x":null}],"error":{"message":"timeout for host u2","name":"VError","code":null}},` +
		`{"uuid":"u3","hostname":"cn3","result":{"stderr":"nope\n","stdout":"","exit_status":127,"signal":null}}]` + "\n"
	got, err := parseAll(in)
	if err != nil {
		t.Fatalf("ParseOnEachNode = %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("ParseOnEachNode: %d elements, want 3", len(got))
	}
	if s := string(got[0].Exec.Stdout); s != "a\"b\\c\ndé😀" {
		t.Errorf("stdout = %q, want %q", s, "a\"b\\c\ndé😀")
	}
	if e := got[1].Err; e == nil || e.Message != "timeout for host u2" || e.Name != "VError" || e.Code != "" {
		t.Errorf("error = %+v, want the timeout", e)
	}
	if x := got[2].Exec; x.ExitStatus != 127 || x.Stderr != "nope\n" {
		t.Errorf("result = %+v, want exit 127", x)
	}
	// -J: the same objects one a line.
	lines := `{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":"","stderr":""}}` + "\n" +
		`{"uuid":"u2","hostname":"cn2","error":{"message":"m","name":"n","code":"ENOENT"}}` + "\n"
	got, err = parseAll(lines)
	if err != nil || len(got) != 2 || got[1].Err.Code != "ENOENT" {
		t.Errorf("ParseOnEachNode(-J) = %v, %v, want two elements", got, err)
	}
}

// TestParseOnEachNodeErrors: each broken output is refused with the
// element, the node and what is wrong.
func TestParseOnEachNodeErrors(t *testing.T) {
	ok := `{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":"","stderr":""}}`
	tests := []struct{ in, want string }{
		{"", "sdc-oneachnode output: empty: sdc-oneachnode printed nothing (it prints its errors on stderr)"},
		{"=== Output from u1 (cn1):\n", `sdc-oneachnode output: byte 0: want a JSON array (-j) or JSON objects (-J), found '='`},
		{"[" + ok, "sdc-oneachnode output: byte 82: output ends where , or ] after element 1 was wanted: cut short?"},
		{"[" + ok + "]x", `sdc-oneachnode output: byte 83: 'x' after the array`},
		{"[" + ok + "," + ok + "]", ""},
		{`[{"uuid":"u1","hostname":"cn1"}]`, `sdc-oneachnode output: element 1 (cn1): neither "result" nor "error"`},
		{`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":"","stderr":""},"error":{"message":"m","name":"n"}}]`,
			`sdc-oneachnode output: element 1 (cn1): both "result" and "error"`},
		{`[{"hostname":"cn1","result":{"exit_status":0,"stdout":"","stderr":""}}]`, `sdc-oneachnode output: element 1 (cn1): no "uuid" (or an empty one)`},
		{`[{"uuid":"u1","result":{"exit_status":0,"stdout":"","stderr":""}}]`, `sdc-oneachnode output: element 1 (u1): no "hostname" (or an empty one)`},
		{`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":""}}]`, `sdc-oneachnode output: element 1 (cn1): "result" has no "stderr"`},
		{`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":"0","stdout":"","stderr":""}}]`,
			`sdc-oneachnode output: element 1 (cn1): byte 55: want "exit_status" a number, found '"'`},
		{`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":1.5,"stdout":"","stderr":""}}]`,
			`sdc-oneachnode output: element 1 (cn1): "exit_status" 1.5 is not an exit status (an integer 0 to 255)`},
		{`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":1,"stderr":""}}]`,
			`sdc-oneachnode output: element 1 (cn1): byte 66: want "stdout" a string, found '1'`},
		{`[{"uuid":"u1","uuid":"u2"}]`, `sdc-oneachnode output: element 1 (u1): "uuid" given twice`},
		{`[{"uuid":"u1","hostname":"cn1","error":{"message":"m"}}]`, `sdc-oneachnode output: element 1 (cn1): "error" has no "name"`},
		{`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":"` + "\x01" + `","stderr":""}}]`,
			`sdc-oneachnode output: element 1 (cn1): byte 68: stdout: control character byte 0x01 in a string`},
		{`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":"` + "\xff" + `","stderr":""}}]`,
			`sdc-oneachnode output: element 1 (cn1): byte 69: stdout: a string that is not UTF-8`},
		{`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":"\x","stderr":""}}]`,
			`sdc-oneachnode output: element 1 (cn1): byte 69: stdout: invalid escape \x`},
		{`[{"uuid":"u1","x":` + strings.Repeat("[", 100), `sdc-oneachnode output: element 1 (u1): byte 83: values nested more than 64 deep`},
	}
	for _, tt := range tests {
		_, err := parseAll(tt.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("ParseOnEachNode(%.40q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseOnEachNode: never a panic; what is accepted is JSON, and
// reads back the same once written by encoding/json.
func FuzzParseOnEachNode(f *testing.F) {
	f.Add([]byte(`[{"uuid":"u1","hostname":"cn1","result":{"exit_status":0,"stdout":"{\"version\":1,\"entries\":[\n]}\n","stderr":""}}]`))
	f.Add([]byte(`{"uuid":"u2","hostname":"cn2","error":{"message":"timeout","name":"VError","code":null}}` + "\n"))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := parseAll(string(in))
		if err != nil {
			return
		}
		if trimmed := bytes.TrimSpace(in); len(trimmed) > 0 && trimmed[0] == '[' && !json.Valid(in) {
			t.Fatalf("accepted %q, which is not JSON", in)
		}
		els := []wireNodeOut{}
		for _, n := range got {
			w := wireNodeOut{UUID: n.UUID, Hostname: n.Hostname}
			if n.Exec != nil {
				w.Result = &wireResOut{ExitStatus: n.Exec.ExitStatus, Stdout: string(n.Exec.Stdout), Stderr: n.Exec.Stderr}
			} else {
				w.Error = &wireErrorOut{Message: n.Err.Message, Name: n.Err.Name}
				if n.Err.Code != "" {
					w.Error.Code = &n.Err.Code
				}
			}
			els = append(els, w)
		}
		out, err := json.Marshal(els)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseAll(string(out))
		if err != nil {
			t.Fatalf("re-encoded %q: %v", out, err)
		}
		if len(again) != len(got) {
			t.Fatalf("re-encoded: %d elements, want %d", len(again), len(got))
		}
		for i := range got {
			a, b := got[i], again[i]
			if a.UUID != b.UUID || a.Hostname != b.Hostname || (a.Exec == nil) != (b.Exec == nil) ||
				(a.Exec != nil && (!bytes.Equal(a.Exec.Stdout, b.Exec.Stdout) || a.Exec.Stderr != b.Exec.Stderr || a.Exec.ExitStatus != b.Exec.ExitStatus)) ||
				(a.Err != nil && *a.Err != *b.Err) {
				t.Fatalf("element %d: %+v, re-encoded %+v", i, a, b)
			}
		}
	})
}
