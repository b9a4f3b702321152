package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/charmbracelet/log"
)

const planted = "planted-secret-xyz"

type holder struct {
	Name   string
	Secret Secret
	Value  Value
	hidden Secret
	inner  Value
}

func newHolder() holder {
	return holder{
		Name:   "n",
		Secret: NewSecret(planted),
		Value:  SecretValue(planted),
		hidden: NewSecret(planted),
		inner:  SecretValue(planted),
	}
}

func TestSecretFmt(t *testing.T) {
	h := newHolder()
	things := map[string]any{
		"Secret":     NewSecret(planted),
		"*Secret":    &h.Secret,
		"Value":      SecretValue(planted),
		"holder":     h,
		"*holder":    &h,
		"[]Secret":   []Secret{NewSecret(planted)},
		"map":        map[string]Value{"root_pw": SecretValue(planted)},
		"Change":     Change{Key: "root_pw", Kind: Changed, Old: SecretValue(planted), New: SecretValue(planted + "2")},
		"Entry":      mustLookup(t, "root_pw="+planted+"\n", "root_pw"),
		"File":       mustParse(t, "root_pw="+planted+"\n"),
		"File value": *mustParse(t, "root_pw="+planted+"\n"),
		"unexported File": struct {
			f  *File
			fv File
			e  Entry
		}{mustParse(t, "root_pw="+planted+"\n"), *mustParse(t, "root_pw="+planted+"\n"), mustLookup(t, "root_pw="+planted+"\n", "root_pw")},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-20v", "%T"}
	for name, x := range things {
		for _, verb := range verbs {
			got := fmt.Sprintf(verb, x)
			if strings.Contains(got, planted) || strings.Contains(got, fmt.Sprintf("%x", planted)) ||
				strings.Contains(got, fmt.Sprintf("%X", planted)) {
				t.Errorf("Sprintf(%s, %s) = %s, shows the secret", verb, name, got)
			}
		}
		for _, got := range []string{fmt.Sprint(x), fmt.Sprintln(x)} {
			if strings.Contains(got, planted) {
				t.Errorf("Sprint(%s) = %s, shows the secret", name, got)
			}
		}
	}
	s := NewSecret(planted)
	for verb, want := range map[string]string{"%v": Redacted, "%+v": Redacted, "%#v": Redacted, "%s": Redacted, "%q": `"**redacted**"`} {
		if got := fmt.Sprintf(verb, s); got != want {
			t.Errorf("Sprintf(%s, secret) = %s, want %s", verb, got, want)
		}
	}
	if got := s.String() + s.GoString(); got != Redacted+Redacted {
		t.Errorf("String()+GoString() = %s, want %s twice", got, Redacted)
	}
	if got := s.Reveal(); got != planted {
		t.Errorf("Reveal() = %q, want %q", got, planted)
	}
	if got := (Secret{}).Reveal(); got != "" {
		t.Errorf("Secret{}.Reveal() = %q, want empty", got)
	}
}

func mustLookup(t *testing.T, in, key string) Entry {
	t.Helper()
	e, ok := mustParse(t, in).Lookup(key)
	if !ok {
		t.Fatalf("Lookup(%s) found nothing in %q", key, in)
	}
	return e
}

func TestClearValueFmt(t *testing.T) {
	v := ClearValue("a b")
	for verb, want := range map[string]string{"%v": "a b", "%s": "a b", "%q": `"a b"`, "%#v": `"a b"`, "%5.1s": "    a", "%x": "612062"} {
		if got := fmt.Sprintf(verb, v); got != want {
			t.Errorf("Sprintf(%s, ClearValue(a b)) = %s, want %s", verb, got, want)
		}
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `"a b"` {
		t.Errorf("json.Marshal(ClearValue) = %s, %v; want \"a b\"", b, err)
	}
}

func TestSecretJSONAndText(t *testing.T) {
	h := newHolder()
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Name":"n","Secret":"**redacted**","Value":"**redacted**"}`
	if string(b) != want {
		t.Errorf("json.Marshal(holder) = %s, want %s", b, want)
	}
	c := Change{Key: "root_pw", Kind: Changed, Old: SecretValue(planted), New: SecretValue("other")}
	b, err = json.Marshal(c)
	want = `{"type":"config-change","key":"root_pw","change":"changed","old":"**redacted**","new":"**redacted**"}`
	if err != nil || string(b) != want {
		t.Errorf("json.Marshal(change) = %s, %v; want %s", b, err, want)
	}
	b, err = json.Marshal(map[Value]int{SecretValue(planted): 1})
	if err != nil || string(b) != `{"**redacted**":1}` {
		t.Errorf("json.Marshal(map keyed by secret) = %s, %v", b, err)
	}
	tb, _ := NewSecret(planted).MarshalText()
	vb, _ := SecretValue(planted).MarshalText()
	if string(tb) != Redacted || string(vb) != Redacted {
		t.Errorf("MarshalText() = %s, %s; want %s", tb, vb, Redacted)
	}
}

func TestSecretSlog(t *testing.T) {
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("config", "secret", NewSecret(planted), "value", SecretValue(planted), "holder", newHolder(),
			slog.Any("entry", mustLookup(t, "root_pw="+planted+"\n", "root_pw")))
	}
	if out := buf.String(); strings.Contains(out, planted) || !strings.Contains(out, Redacted) {
		t.Errorf("slog output shows the secret or no mask:\n%s", out)
	}
}

func TestSecretCharmLog(t *testing.T) {
	for _, formatter := range []log.Formatter{log.TextFormatter, log.JSONFormatter, log.LogfmtFormatter} {
		var buf bytes.Buffer
		l := log.NewWithOptions(&buf, log.Options{Formatter: formatter})
		c := Change{Key: "root_pw", Kind: Changed, Old: SecretValue(planted), New: SecretValue("x")}
		l.Info("drift", "secret", NewSecret(planted), "value", SecretValue(planted), "change", c, "holder", newHolder())
		l.Infof("change %v", c)
		l.Info(NewSecret(planted))
		if out := buf.String(); strings.Contains(out, planted) || !strings.Contains(out, Redacted) {
			t.Errorf("charmbracelet/log formatter %v shows the secret or no mask:\n%s", formatter, out)
		}
	}
}

func TestIsSecret(t *testing.T) {
	tests := []struct {
		key, value string
		want       bool
	}{
		{"root_shadow", "", true},
		{"root_pw", planted, true},
		{"admin_pw", "x", true},
		{"ufds_ldap_root_pw", "x", true},
		{"ufds_admin_pw", "x", true},
		{"capi_http_admin_pw", "x", true},
		{"sbapi_http_pass", "x", true},
		{"root_password", "x", true},
		{"admin_password", "x", true},
		{"api_password", "x", true},
		{"rabbitmq", "guest:guest:10.0.0.1:5672", true},
		{"some_pwd", "x", true},
		{"mysql_passwd", "x", true},
		{"Root_Password_File", "x", true},
		{"old_shadow", "x", true},
		{"api_token", "x", true},
		{"tokenfile", "x", true},
		{"client_secret", "x", true},
		{"ssh_private", "x", true},
		{"ssh_key", "x", true},
		{"api_keys", "x", true},
		{"keyfile", "x", true},
		{"ssh_key", "ssh-ed25519 AAAA user@host", false},
		{"ssh_key", "ssh-rsa AAAA user@host", false},
		{"host_key", "ecdsa-sha2-nistp256 AAAA", false},
		{"ssh_key", "-----BEGIN OPENSSH PRIVATE KEY-----", true},
		{"ssh_pub_key", "x", false},
		{"ssh_pubkey", "x", false},
		{"root_authorized_keys_file", "root.authorized_keys", false},
		{"default_keymap", "us", false},
		{"anything", "-----BEGIN RSA PRIVATE KEY-----", true},
		{"anything", "$6$salt$hash", true},
		{"anything", "'$1$salt$hash'", true},
		{"sbapi_url", "https://user:pw@sb.example.com/x", true},
		{"capi_client_url", "http://10.99.99.14:8080", false},
		{"mail_to", "root@localhost", false},
		{"ufds_admin_login", "admin", false},
		{"ufds_admin_uuid", "930896af-bf8c-48d4-885c-6573a94b1853", false},
		{"ufds_admin_email", "root@localhost", false},
		{"admin_ip", "10.0.0.1", false},
		{"dns_domain", "example.com", false},
		{"sbapi_http_user", "sbapi", false},
		{"compass", "x", false},
		{"bypass", "x", false},
	}
	for _, tt := range tests {
		if got := IsSecret(tt.key, tt.value); got != tt.want {
			t.Errorf("IsSecret(%q, %q) = %v, want %v", tt.key, tt.value, got, tt.want)
		}
	}
	for _, k := range SecretKeys {
		if !IsSecret(k, "") {
			t.Errorf("IsSecret(%q, \"\") = false, want true", k)
		}
	}
}

func TestSampleSecretsMasked(t *testing.T) {
	f := mustParse(t, string(readSample(t)))
	var secrets []string
	for _, e := range f.Entries() {
		if e.Value.IsSecret() {
			secrets = append(secrets, e.Key)
		}
		if e.Value.IsSecret() != e.Raw.IsSecret() {
			t.Errorf("%s: Value.IsSecret() = %v, Raw.IsSecret() = %v", e.Key, e.Value.IsSecret(), e.Raw.IsSecret())
		}
	}
	want := []string{"rabbitmq", "root_shadow", "root_pw", "ufds_ldap_root_pw", "ufds_admin_pw"}
	if fmt.Sprint(secrets) != fmt.Sprint(want) {
		t.Errorf("secret keys in sample = %v, want %v", secrets, want)
	}
	out := fmt.Sprintf("%v %+v %#v %s", f.Entries(), f.Entries(), f, f)
	b, _ := json.Marshal(f.Entries())
	for _, s := range []string{"planted"} {
		if strings.Contains(out, s) || strings.Contains(string(b), s) {
			t.Errorf("printing entries shows %q:\n%s\n%s", s, out, b)
		}
	}
}
