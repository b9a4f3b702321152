package node

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseSysinfo(t *testing.T) {
	b, err := os.ReadFile("testdata/sysinfo.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSysinfo(b)
	if err != nil {
		t.Fatalf("ParseSysinfo(testdata/sysinfo.json) = %v", err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"UUID", s.UUID(), "564d8e3a-1c27-4a8f-9b36-2f6b2b1c7f10"},
		{"Hostname", s.Hostname(), "cn7"},
		{"LiveImage", s.LiveImage(), "20240117T000000Z"},
		{"String(Datacenter Name)", s.String("Datacenter Name"), "us-east-1"},
		{"String(VM Capable)", s.String("VM Capable"), ""}, // a bool, not a string
		{"AdminIP", s.AdminIP(), "10.99.99.37"},
	} {
		if c.got != c.want {
			t.Errorf("%s() = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !s.Setup() {
		t.Errorf("Setup() = false, want true")
	}
	if got := s.BootParams()["console"]; got != "ttyb" {
		t.Errorf(`BootParams()["console"] = %q, want "ttyb"`, got)
	}
	wantNICs := []NIC{
		{Name: "ixgbe0", MAC: "0c:c4:7a:aa:bb:01", IPv4: "10.99.99.37", LinkStatus: "up", NICNames: []string{"admin"}},
		{Name: "ixgbe1", MAC: "0c:c4:7a:aa:bb:02", LinkStatus: "up", NICNames: []string{"external", "internal"}},
	}
	if got := s.NICs(); !reflect.DeepEqual(got, wantNICs) {
		t.Errorf("NICs() = %+v, want %+v", got, wantNICs)
	}
	if got := s.VNICs(); len(got) != 1 || got[0].IPv4 != "198.51.100.7" {
		t.Errorf("VNICs() = %+v, want external0 with 198.51.100.7", got)
	}
}

func TestSysinfoAccessors(t *testing.T) {
	for _, c := range []struct {
		json      string
		setup     bool
		adminIP   string
		hostname  string
		bootParam string // value of "headnode"
	}{
		{json: `{}`},
		{json: `{"Setup": "false", "Hostname": 7}`},
		{json: `{"Setup": true}`, setup: true},
		{json: `{"Boot Parameters": {"headnode": "true", "n": 1}}`, bootParam: "true"},
		{json: `{"Virtual Network Interfaces": {"vnic0": {"ip4addr": "10.0.0.9", "NIC Names": ["admin"]}}}`, adminIP: "10.0.0.9"},
		{json: `{"Network Interfaces": {"e0": {"ip4addr": "", "NIC Names": ["admin"]}}}`},
		{json: `{"Network Interfaces": "garbage", "Hostname": "hn"}`, hostname: "hn"},
	} {
		s, err := ParseSysinfo([]byte(c.json))
		if err != nil {
			t.Errorf("ParseSysinfo(%s) = %v", c.json, err)
			continue
		}
		if got := s.Setup(); got != c.setup {
			t.Errorf("ParseSysinfo(%s).Setup() = %v, want %v", c.json, got, c.setup)
		}
		if got := s.AdminIP(); got != c.adminIP {
			t.Errorf("ParseSysinfo(%s).AdminIP() = %q, want %q", c.json, got, c.adminIP)
		}
		if got := s.Hostname(); got != c.hostname {
			t.Errorf("ParseSysinfo(%s).Hostname() = %q, want %q", c.json, got, c.hostname)
		}
		if got := s.BootParams()["headnode"]; got != c.bootParam {
			t.Errorf("ParseSysinfo(%s).BootParams()[headnode] = %q, want %q", c.json, got, c.bootParam)
		}
	}
}

func TestParseSysinfoErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "parse sysinfo json: EOF"},
		{"null", "parse sysinfo json: not an object"},
		{"[1]", "parse sysinfo json: json: cannot unmarshal array"},
		{`{"a":1} {"b":2}`, "parse sysinfo json: trailing data after the object"},
		{`{"a":`, "parse sysinfo json: unexpected EOF"},
	} {
		_, err := ParseSysinfo([]byte(c.in))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ParseSysinfo(%q) = %v, want error starting %q", c.in, err, c.want)
		}
	}
}
