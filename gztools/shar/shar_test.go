package shar_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"cntools/gztools/shar"
)

func TestPayloadRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 3, 44, 45, 46, 1000, 65537} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rnd.Uint32())
		}
		s := "#!/bin/bash\necho hi\n" + string(shar.Encode("install-sdcadm.sh", []byte("#!/bin/bash\n"))) +
			"sed 's/^X//' << 'SHAR_EOF' | uudecode &&\n" + string(shar.Encode("contents.tgz", data)) + "SHAR_EOF\nexit 0\n"
		got, err := shar.Payload(strings.NewReader(s))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("Payload(shar of %d bytes) = %d bytes, %v; want the %d bytes back", n, len(got), err, n)
		}
	}
}

// uudecode(1), when there, is an independent check of Encode.
func TestEncodeMatchesUudecode(t *testing.T) {
	path, err := exec.LookPath("uudecode")
	if err != nil {
		t.Logf("uudecode not installed; checked by the round trip only")
		return
	}
	data := []byte(strings.Repeat("sdcadm payload\x00\xff", 100))
	cmd := exec.Command(path, "-o", "/dev/stdout")
	cmd.Stdin = bytes.NewReader(shar.Encode("contents.tgz", data))
	out, err := cmd.Output()
	if err != nil || !bytes.Equal(out, data) {
		t.Errorf("uudecode(Encode(data)) = %d bytes, %v; want %d bytes", len(out), err, len(data))
	}
}

func TestPayloadRaw(t *testing.T) {
	s := "#!/bin/bash\ntail -n +4 $0 | tar xz\nexit 0\n\x1f\x8b\x08rest"
	got, err := shar.Payload(strings.NewReader(s))
	if err != nil || string(got) != "\x1f\x8b\x08rest" {
		t.Errorf("Payload(raw) = %q, %v; want the gzip bytes", got, err)
	}
}

func TestPayloadRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no payload", "#!/bin/bash\necho not a shar\n", "no contents.tgz"},
		{"no end", "begin 600 contents.tgz\n#0V%T\n", "no end line"},
		{"short line", "begin 600 contents.tgz\nM0V%T\nend\n", "fewer characters"},
	} {
		_, err := shar.Payload(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Payload(%s) = %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if _, err := shar.Payload(strings.NewReader("x")); !errors.Is(err, shar.ErrNoPayload) {
		t.Errorf("Payload(x) = %v, want ErrNoPayload", err)
	}
}
