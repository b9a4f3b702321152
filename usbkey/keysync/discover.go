package keysync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"cntools/internal/node"
	"cntools/usbkey/config"
)

// CoreServices are the services whose servers hold standby copies: the
// HA core that survives the headnode (RFD 67 case 3).
var CoreServices = []string{"binder", "manatee", "moray"}

// Server is a core server Discover found.
type Server struct {
	UUID     string   `json:"uuid"`
	Hostname string   `json:"hostname"`
	AdminIP  string   `json:"admin_ip"`
	Services []string `json:"services"`
}

// Discovery says where SAPI and CNAPI are and which servers to leave out.
type Discovery struct {
	SAPI, CNAPI string       // base URLs, e.g. http://10.0.0.12
	Client      *http.Client // http.DefaultClient when nil
	Services    []string     // CoreServices when nil
	Exclude     []string     // server UUIDs to leave out: this headnode
}

// ServiceURLs reads SAPI's and CNAPI's addresses from the usbkey config:
// the first of sapi_admin_ips/cnapi_admin_ips, else sapi_domain/
// cnapi_domain. The IPs come first: they need no DNS, and binder, which
// serves DNS, is one of the services a failing DC may be missing.
func ServiceURLs(cfg *config.File) (sapi, cnapi string, err error) {
	get := func(svc string) (string, error) {
		for _, k := range []string{svc + "_admin_ips", svc + "_domain"} {
			if v, _, ok := cfg.Get(k); ok && strings.TrimSpace(v) != "" {
				return "http://" + strings.TrimSpace(strings.Split(v, ",")[0]), nil
			}
		}
		return "", fmt.Errorf("the usbkey config has neither %s_admin_ips nor %s_domain: pass --target instead of --discover", svc, svc)
	}
	if sapi, err = get("sapi"); err != nil {
		return "", "", err
	}
	if cnapi, err = get("cnapi"); err != nil {
		return "", "", err
	}
	return sapi, cnapi, nil
}

// Discover asks SAPI which servers host instances of d.Services in the
// "sdc" application (Manta has morays and manatees of its own) and CNAPI
// for each server's admin IP, from its sysinfo. Servers come sorted by
// hostname.
func Discover(ctx context.Context, d Discovery) ([]Server, error) {
	if d.Client == nil {
		d.Client = http.DefaultClient
	}
	if d.Services == nil {
		d.Services = CoreServices
	}
	var apps []struct{ UUID string }
	if err := getJSON(ctx, d.Client, d.SAPI, "/applications", url.Values{"name": {"sdc"}}, &apps); err != nil {
		return nil, err
	}
	if len(apps) != 1 {
		return nil, fmt.Errorf("sapi %s: %d applications named sdc, want 1", d.SAPI, len(apps))
	}
	byUUID := map[string]*Server{}
	for _, svc := range d.Services {
		var svcs []struct{ UUID string }
		if err := getJSON(ctx, d.Client, d.SAPI, "/services", url.Values{"name": {svc}, "application_uuid": {apps[0].UUID}}, &svcs); err != nil {
			return nil, err
		}
		for _, s := range svcs {
			var insts []struct {
				Params struct {
					ServerUUID string `json:"server_uuid"`
				}
			}
			if err := getJSON(ctx, d.Client, d.SAPI, "/instances", url.Values{"service_uuid": {s.UUID}}, &insts); err != nil {
				return nil, err
			}
			for _, in := range insts {
				u := in.Params.ServerUUID
				if u == "" || slices.Contains(d.Exclude, u) {
					continue
				}
				if byUUID[u] == nil {
					byUUID[u] = &Server{UUID: u}
				}
				if !slices.Contains(byUUID[u].Services, svc) {
					byUUID[u].Services = append(byUUID[u].Services, svc)
				}
			}
		}
	}
	var out []Server
	for u, s := range byUUID {
		var cs struct {
			Hostname string
			Sysinfo  json.RawMessage
		}
		if err := getJSON(ctx, d.Client, d.CNAPI, "/servers/"+url.PathEscape(u), nil, &cs); err != nil {
			return nil, err
		}
		si, err := node.ParseSysinfo(cs.Sysinfo)
		if err != nil {
			return nil, fmt.Errorf("cnapi %s: server %s: %w", d.CNAPI, u, err)
		}
		s.Hostname, s.AdminIP = cs.Hostname, si.AdminIP()
		if s.AdminIP == "" {
			return nil, fmt.Errorf("cnapi %s: server %s (%s) has no admin IP in its sysinfo: pass it with --target", d.CNAPI, u, s.Hostname)
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Server) int { return strings.Compare(a.Hostname+a.UUID, b.Hostname+b.UUID) })
	return out, nil
}

func getJSON(ctx context.Context, c *http.Client, base, p string, q url.Values, v any) error {
	u := strings.TrimSuffix(base, "/") + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("discover: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discover: GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("discover: GET %s: %w", u, err)
	}
	return nil
}
