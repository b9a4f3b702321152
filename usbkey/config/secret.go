package config

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// Redacted is what every output path prints in place of a secret.
const Redacted = "**redacted**"

// Secret holds a secret's text. Every way of printing or encoding it gives
// Redacted; only Reveal gives the text. The text sits behind a pointer so
// that even fmt's reflection over a struct with an unexported Secret field
// prints an address, not the text.
type Secret struct {
	p *string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{p: &s} }

// Reveal returns the secret's text. Call it only to write the config file
// or to compare values, never to print.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

func (Secret) String() string   { return Redacted }
func (Secret) GoString() string { return Redacted }

// Format prints Redacted for every verb; %q quotes it.
func (Secret) Format(f fmt.State, verb rune) { formatRedacted(f, verb) }

func formatRedacted(f fmt.State, verb rune) {
	if verb == 'q' {
		io.WriteString(f, strconv.Quote(Redacted))
		return
	}
	io.WriteString(f, Redacted)
}

func (Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(Redacted)), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(Redacted) }

// Value is a config value that is either clear or a Secret. It prints and
// encodes its text when clear and Redacted when secret.
type Value struct {
	text    string // empty when secret
	secret  Secret
	masked  bool
	written bool // text is shell text as written in the file, not a decoded value
}

// ClearValue is a value that may be printed.
func ClearValue(s string) Value { return Value{text: s} }

// SecretValue is a value that must not be printed.
func SecretValue(s string) Value { return Value{secret: NewSecret(s), masked: true} }

func newValue(s string, secret bool) Value {
	if secret {
		return SecretValue(s)
	}
	return ClearValue(s)
}

// IsSecret reports whether v is masked.
func (v Value) IsSecret() bool { return v.masked }

// Reveal returns the text, secret or not.
func (v Value) Reveal() string {
	if v.masked {
		return v.secret.Reveal()
	}
	return v.text
}

// String returns the text, or Redacted for a secret.
func (v Value) String() string {
	if v.masked {
		return Redacted
	}
	return v.text
}

// GoString is %#v's text: a Go string literal, or Redacted.
func (v Value) GoString() string {
	if v.masked {
		return Redacted
	}
	return strconv.Quote(v.text)
}

// Format applies the verb to the text, or prints Redacted for a secret.
func (v Value) Format(f fmt.State, verb rune) {
	if v.masked {
		formatRedacted(f, verb)
		return
	}
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, v.GoString())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), v.text)
}

func (v Value) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(v.String())), nil }
func (v Value) MarshalText() ([]byte, error) { return []byte(v.String()), nil }
func (v Value) LogValue() slog.Value         { return slog.StringValue(v.String()) }

// SecretKeys are the keys triton-usbkey.md §4.5 names as secrets, in the
// config, config.inc/generic, node.config and answers.json.
var SecretKeys = []string{
	"root_shadow",
	"ufds_ldap_root_pw",
	"ufds_admin_pw",
	"capi_http_admin_pw",
	"sbapi_http_pass",
	"root_password",
	"admin_password",
	"api_password",
	// rabbitmq=user:password:host:port; the default is guest:guest but an
	// operator who changed it put a password there.
	"rabbitmq",
}

// IsSecret reports whether a config value must be masked. It looks at the key
// name first: the keys in SecretKeys; names with a word pw, pwd, pass or
// passphrase, or containing password, passwd, shadow, token, secret, private
// or credential; and names with a key word (ssh_key, api_keys, keyfile) unless
// the name or the value says it is a public key. Then at the value: private
// key blocks, crypt(3) hashes and URLs with a password are secret whatever
// their key.
func IsSecret(key, value string) bool {
	return secretName(key, value) || secretValue(value)
}

func secretName(key, value string) bool {
	k := strings.ToLower(key)
	for _, s := range SecretKeys {
		if k == s {
			return true
		}
	}
	for _, s := range []string{"password", "passwd", "shadow", "token", "secret", "private", "credential"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	words := strings.Split(k, "_")
	for _, w := range words {
		switch w {
		case "pw", "pwd", "pass", "passphrase":
			return true
		}
	}
	for _, w := range words {
		if strings.HasPrefix(w, "key") && !strings.HasPrefix(w, "keymap") && !strings.HasPrefix(w, "keyboard") ||
			strings.HasSuffix(w, "key") || strings.HasSuffix(w, "keys") {
			return !publicKey(k, value)
		}
	}
	return false
}

// publicKey reports a key that names or holds public key material, such as
// root_authorized_keys_file or an ssh-ed25519 line.
func publicKey(key, value string) bool {
	if strings.Contains(key, "pub") || strings.Contains(key, "authorized") {
		return true
	}
	v := strings.TrimLeft(value, " \t'\"")
	for _, p := range []string{"ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-", "ssh-dss ", "sk-ssh-ed25519", "sk-ecdsa-sha2-", "-----BEGIN PUBLIC KEY-----", "-----BEGIN SSH2 PUBLIC KEY-----"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

func secretValue(value string) bool {
	if strings.Contains(value, "PRIVATE KEY") {
		return true
	}
	// crypt(3) hashes, as root_shadow holds: $1$ md5, $2a$/$2b$/$2y$
	// bcrypt, $5$ sha256, $6$ sha512, $y$ yescrypt, $md5$ and $sha1$.
	v := strings.TrimLeft(value, "'\"")
	for _, p := range []string{"$1$", "$2a$", "$2b$", "$2y$", "$5$", "$6$", "$y$", "$7$", "$md5", "$sha1$"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	// scheme://user:password@host
	if _, rest, ok := strings.Cut(value, "://"); ok {
		if at := strings.IndexByte(rest, '@'); at > 0 {
			if slash := strings.IndexByte(rest, '/'); slash < 0 || at < slash {
				return strings.Contains(rest[:at], ":")
			}
		}
	}
	return false
}

// assignsSecret reports whether text (the rest of a line after its first
// `=`) assigns anything IsSecret calls secret, or holds a secret value
// anywhere: `1; moray_pass=x`, `1 export token=x`, `a $6$salt$hash`. It
// reads words split at blanks and metacharacters, which is rougher than
// bash and errs towards masking.
func assignsSecret(text string) bool {
	words := strings.FieldsFunc(text, func(r rune) bool { return r < 0x80 && (isBlank(byte(r)) || isMeta(byte(r))) })
	for _, w := range words {
		if secretValue(w) {
			return true
		}
		k := 0
		for k < len(w) && (k == 0 && isNameStart(w[k]) || k > 0 && isNameChar(w[k])) {
			k++
		}
		if k > 0 && k < len(w) && (w[k] == '=' || w[k] == '+' && strings.HasPrefix(w[k+1:], "=")) {
			if IsSecret(w[:k], strings.TrimPrefix(w[k:], "+")[1:]) {
				return true
			}
		}
	}
	return false
}
