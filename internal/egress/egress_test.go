package egress_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/egress"
)

func mustParse(t *testing.T, s string) egress.Policy {
	t.Helper()
	p, err := egress.Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return p
}

func TestCheck(t *testing.T) {
	t.Parallel()
	def, none := egress.Default(), mustParse(t, "none")
	office := mustParse(t, " 10.8.0.0/16 , 192.168.1.20,loopback")
	cases := []struct {
		addr                string
		def, none, office bool // allowed?
	}{
		{"203.0.114.7", true, true, true},
		{"8.8.8.8", true, true, true},
		{"2400:3200::1", true, true, true},
		{"127.0.0.1", true, false, true},
		{"127.8.9.10", true, false, true},
		{"::1", true, false, true},
		{"::ffff:127.0.0.1", true, false, true},
		{"10.8.3.4", false, false, true},
		{"10.9.3.4", false, false, false},
		{"::ffff:10.8.3.4", false, false, true},
		{"192.168.1.20", false, false, true},
		{"192.168.1.21", false, false, false},
		{"172.16.0.1", false, false, false},
		{"169.254.169.254", false, false, false}, // cloud metadata
		{"fe80::1", false, false, false},
		{"fd00:ec2::254", false, false, false},
		{"100.64.0.1", false, false, false},
		{"0.0.0.0", false, false, false},
		{"::", false, false, false},
		{"224.0.0.1", false, false, false},
		{"255.255.255.255", false, false, false},
		{"198.18.0.1", false, false, false},
		{"240.0.0.1", false, false, false},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr)
		for _, pc := range []struct {
			name string
			p    egress.Policy
			want bool
		}{{"default", def, c.def}, {"none", none, c.none}, {"office", office, c.office}} {
			err := pc.p.Check(a)
			if (err == nil) != pc.want {
				t.Errorf("%s: Check(%s) = %v, want allowed %v", pc.name, c.addr, err, pc.want)
			}
			if err != nil && !errors.Is(err, egress.ErrRefused) {
				t.Errorf("%s: Check(%s) = %v, not ErrRefused", pc.name, c.addr, err)
			}
		}
	}
}

func TestParseRefusesWhatIsNotANetwork(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"10.0.0.0/33", "intranet", "10.0.0.1-10.0.0.9", "loopback,example.com"} {
		if _, err := egress.Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	if p := mustParse(t, "private"); p.Check(netip.MustParseAddr("172.20.1.1")) != nil || p.Check(netip.MustParseAddr("127.0.0.1")) == nil {
		t.Errorf("private = %v", p.Allow)
	}
}

// The check is on the address dialled, after DNS: a name that resolves to a
// refused address is refused (and so is a name that starts to: rebinding).
func TestClientChecksTheDialledAddress(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, u := range []string{srv.URL, "http://localhost" + port} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
		resp, err := egress.Default().Client().Do(req)
		if err != nil {
			t.Fatalf("default policy, %s: %v", u, err)
		}
		_ = resp.Body.Close()
		_, err = mustParse(t, "none").Client().Do(req)
		if !errors.Is(err, egress.ErrRefused) {
			t.Errorf("none, %s: err = %v, want ErrRefused", u, err)
		}
	}
}
