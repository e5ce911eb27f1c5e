package auth_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/auth"
)

// TestAllowedIPs: entries are cleaned to canonical form and an address
// matches an IP exactly or falls inside a prefix, IPv4-mapped IPv6 peers as
// their IPv4 address.
func TestAllowedIPs(t *testing.T) {
	got, err := auth.CleanAllowedIPs("allowedIPs", []string{" 10.1.2.3/8", "2001:DB8::1", "::ffff:192.0.2.1", "::ffff:10.9.0.0/112", "::/0"})
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, " "); s != "10.0.0.0/8 2001:db8::1 192.0.2.1 10.9.0.0/16 ::/0" {
		t.Fatalf("cleaned %q", s)
	}
	allowed := []string{"10.0.0.0/8", "2001:db8::1", "192.0.2.1"}
	for addr, want := range map[string]bool{
		"10.200.1.1": true, "11.0.0.1": false, "2001:db8::1": true, "2001:db8::2": false,
		"192.0.2.1": true, "::ffff:192.0.2.1": true, "::ffff:10.0.0.1": true, "192.0.2.2": false,
	} {
		if got := auth.AddrAllowed(allowed, netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s allowed: %v, want %v", addr, got, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.256", "10.0.0.0/33", "host.example", "fe80::1%eth0", "10.0.0.1:80"} {
		if _, err := auth.CleanAllowedIPs("allowedIPs", []string{"10.0.0.1", bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for remote, want := range map[string]string{"203.0.113.9:443": "203.0.113.9", "[::ffff:203.0.113.9]:1": "203.0.113.9", "[2001:db8::5]:80": "2001:db8::5"} {
		if a, ok := auth.PeerAddr(remote); !ok || a.String() != want {
			t.Errorf("PeerAddr(%q) = %v, %v", remote, a, ok)
		}
	}
}
