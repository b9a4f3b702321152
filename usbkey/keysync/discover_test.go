package keysync

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"cntools/usbkey/config"
)

// fakeAPIs stands in for SAPI and CNAPI, which are not on this machine:
// an sdc application whose binder, manatee and moray run on the headnode
// (hn) and two CNs, and a Manta moray on a third CN that must not count.
func fakeAPIs(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	reply := func(path, query, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if query != "" && r.URL.RawQuery != query {
				http.Error(w, "unexpected query "+r.URL.RawQuery, http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
		})
	}
	reply("/applications", "name=sdc", `[{"uuid":"app-sdc","name":"sdc"}]`)
	mux.HandleFunc("/services", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("application_uuid") != "app-sdc" {
			w.Write([]byte(`[]`))
			return
		}
		w.Write([]byte(`[{"uuid":"svc-` + r.URL.Query().Get("name") + `"}]`))
	})
	mux.HandleFunc("/instances", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("service_uuid") {
		case "svc-binder":
			w.Write([]byte(`[{"params":{"server_uuid":"hn"}},{"params":{"server_uuid":"cn1"}},{"params":{"server_uuid":"cn2"}}]`))
		case "svc-manatee":
			w.Write([]byte(`[{"params":{"server_uuid":"hn"}},{"params":{"server_uuid":"cn2"}}]`))
		default:
			w.Write([]byte(`[{"params":{"server_uuid":"cn1"}}]`))
		}
	})
	for _, cn := range []struct{ uuid, host, ip string }{{"cn1", "core1", "10.0.0.21"}, {"cn2", "core2", "10.0.0.22"}} {
		reply("/servers/"+cn.uuid, "", `{"uuid":"`+cn.uuid+`","hostname":"`+cn.host+`","sysinfo":{"Network Interfaces":{
			"ixgbe0":{"ip4addr":"`+cn.ip+`","NIC Names":["admin"]},"ixgbe1":{"ip4addr":"192.168.1.5","NIC Names":["external"]}}}}`)
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestDiscover(t *testing.T) {
	s := fakeAPIs(t)
	got, err := Discover(context.Background(), Discovery{SAPI: s.URL, CNAPI: s.URL, Exclude: []string{"hn"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{
		{UUID: "cn1", Hostname: "core1", AdminIP: "10.0.0.21", Services: []string{"binder", "moray"}},
		{UUID: "cn2", Hostname: "core2", AdminIP: "10.0.0.22", Services: []string{"binder", "manatee"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Discover = %+v, want %+v", got, want)
	}
}

func TestDiscoverAPIDown(t *testing.T) {
	s := fakeAPIs(t)
	s.Close()
	if _, err := Discover(context.Background(), Discovery{SAPI: s.URL, CNAPI: s.URL}); err == nil {
		t.Errorf("Discover with SAPI down = nil error, want one")
	}
}

func TestServiceURLs(t *testing.T) {
	for _, tc := range []struct{ cfg, sapi, cnapi string }{
		{"sapi_admin_ips=10.0.0.12\ncnapi_admin_ips=10.0.0.13,10.0.0.23\nsapi_domain=sapi.dc.example\n", "http://10.0.0.12", "http://10.0.0.13"},
		{"sapi_domain=sapi.dc.example\ncnapi_domain=cnapi.dc.example\n", "http://sapi.dc.example", "http://cnapi.dc.example"},
		{"sapi_domain=sapi.dc.example\n", "", ""},
	} {
		f, err := config.Parse([]byte(tc.cfg))
		if err != nil {
			t.Fatal(err)
		}
		sapi, cnapi, err := ServiceURLs(f)
		if sapi != tc.sapi || cnapi != tc.cnapi || (err != nil) != (tc.sapi == "") {
			t.Errorf("ServiceURLs(%q) = %q, %q, %v, want %q, %q", tc.cfg, sapi, cnapi, err, tc.sapi, tc.cnapi)
		}
	}
}
