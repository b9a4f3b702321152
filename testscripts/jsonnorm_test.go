package testscripts

import (
	"strings"
	"testing"
)

func TestNormJSONLines(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"", ""},
		{`{"type":"step","name":"format-key","seconds":1.25,"at":"2026-01-01T00:00:00Z"}` + "\n",
			`{"type":"step","name":"format-key","seconds":"<duration>","at":"<time>"}` + "\n"},
		// Nested fields are normalized too.
		{`{"type":"status","conversion":{"started":"x","steps":[{"at":"y"},{"name":"z"}]}}` + "\n",
			`{"type":"status","conversion":{"started":"<time>","steps":[{"at":"<time>"},{"name":"z"}]}}` + "\n"},
		// Bytes are compared, except those on the wire.
		{`{"type":"target","bytes":10,"meta_bytes":7,"wire_sent_bytes":1234,"wire_received_bytes":99}` + "\n",
			`{"type":"target","bytes":10,"meta_bytes":7,"wire_sent_bytes":"<bytes>","wire_received_bytes":"<bytes>"}` + "\n"},
		// Strings: the work dir and each -sub, longest first.
		{`{"type":"t","target":"root@127.0.0.1:4022:/w/a/standby","x":"<a&b>"}` + "\n",
			`{"type":"t","target":"USER@127.0.0.1:PORT:$WORK/a/standby","x":"<a&b>"}` + "\n"},
		// What a script says varies in its run.
		{`{"type":"usbkey-status","size_bytes":4000000000,"free_bytes":123}` + "\n",
			`{"type":"usbkey-status","size_bytes":4000000000,"free_bytes":"<varies>"}` + "\n"},
		// A varying value quoted in another string.
		{`{"type":"status","running":"convert-to-headnode pid 7 on vm","next":"a run is going on now (convert-to-headnode pid 7 on vm): wait"}` + "\n",
			`{"type":"status","running":"<holder>","next":"a run is going on now (<holder>): wait"}` + "\n"},
		// Numbers keep their spelling.
		{`{"type":"t","n":1e3,"m":18446744073709551615}` + "\n", `{"type":"t","n":1e3,"m":18446744073709551615}` + "\n"},
	} {
		got, err := normJSONLines([]byte(tt.in), []string{"/w", "$WORK", "root@", "USER@", "4022", "PORT"}, map[string]string{"free_bytes": "<varies>"})
		if err != nil || string(got) != tt.want {
			t.Errorf("normJSONLines(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormJSONLinesContract(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"plan: format key.img\n", "line 1: not one JSON value"},
		{`{"type":"a"}` + "\n" + "[dry-run] copy x\n", "line 2: not one JSON value"},
		{`{"type":"a"} {"type":"b"}` + "\n", "more than one JSON value"},
		{`["type"]` + "\n", "not a JSON object"},
		{`{"path":"x","type":"skip"}` + "\n", `"type" is not the first key`},
		{`{"type":3}` + "\n", `"type" is not a non-empty string`},
		{`{"type":"a"}`, "no newline at the end"},
		{`{"type":"a","partitionMap":""}` + "\n", `key "partitionMap": not snake_case`},
		{`{"type":"a","steps":{"usbkey-copy":"x"}}` + "\n", `key steps."usbkey-copy": not snake_case`},
		{`{"type":"a","x":[{"Bad":1}]}` + "\n", `key x.0."Bad": not snake_case`},
		{`{"type":"a","the key was not found":1}` + "\n", "not snake_case"},
		{`{"type":"a","the_key_was_not_found":1}` + "\n", "a sentence, not a name"},
		{`{"type":"a","a__b":1}` + "\n", "empty word"},
		{`{"type":"a","a":1,"a":2}` + "\n", `key "a" twice`},
		{`{"type":"finish-plan","platforms":null}` + "\n", `key "platforms": null`},
		{`{"type":"a","x":[{"at":null}]}` + "\n", `key x.0."at": null`},
	} {
		_, err := normJSONLines([]byte(tt.in), nil, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("normJSONLines(%q) = %v, want an error with %q", tt.in, err, tt.want)
		}
	}
}
