package node

import (
	"reflect"
	"testing"
)

func TestParseBootParams(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]string
	}{
		{"", map[string]string{}},
		{
			"headnode=true\ntriton_bootpool=zones\nconsole=ttyb\nboot-file=\nrabbitmq=guest:guest:10.99.99.20:5672\n",
			map[string]string{"headnode": "true", "triton_bootpool": "zones", "console": "ttyb", "boot-file": "", "rabbitmq": "guest:guest:10.99.99.20:5672"},
		},
		{"a=b=c\n\na=d", map[string]string{"a": "d"}},
	} {
		got, err := ParseBootParams([]byte(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseBootParams(%q) = %v, %v, want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseBootParamsErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"headnode\n", `bootparams line 1: want name=value: "headnode"`},
		{"a=b\n=true\n", `bootparams line 2: want name=value: "=true"`},
	} {
		got, err := ParseBootParams([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseBootParams(%q) = %v, %v, want error %q", c.in, got, err, c.want)
		}
	}
}
