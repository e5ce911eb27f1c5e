// Package egress decides which addresses scrm may connect to on a
// workspace's behalf. Webhook URLs, SMS gateways, SMTP hosts and WeCom base
// URLs are written by workspace admins; in a multi-tenant installation a
// URL pointing at the installation's own network (a cloud metadata service,
// a database, an admin port) would let one tenant reach what no tenant
// should (SSRF). The check runs on the address actually dialled, after DNS
// resolution, so a name that resolves to a private address (or changes to
// one: DNS rebinding) is refused too.
//
// Public unicast addresses are always allowed. Loopback is allowed by
// default (a developer machine's fakes and receivers); every other
// non-public address (RFC 1918 and unique-local networks, carrier-grade
// NAT, link-local with the metadata address 169.254.169.254, multicast,
// unspecified and reserved ranges) is refused unless the operator lists its
// network in SCRM_EGRESS_ALLOW.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every refusal: retrying cannot help.
var ErrRefused = errors.New("egress: address not allowed")

// Policy is the set of non-public networks connections may reach.
type Policy struct {
	// Allow are the networks allowed beyond public addresses.
	Allow []netip.Prefix
}

// loopback are the loopback networks, allowed by default.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Default allows public addresses and loopback.
func Default() Policy { return Policy{Allow: loopback} }

// DefaultAllow is SCRM_EGRESS_ALLOW's default.
const DefaultAllow = "loopback"

// Parse reads a comma-separated list of networks (CIDR, or a single
// address), where "loopback" stands for 127.0.0.0/8 and ::1, "private" for
// the RFC 1918 and unique-local networks, and "none" for no network beyond
// public addresses.
func Parse(s string) (Policy, error) {
	p := Policy{Allow: []netip.Prefix{}}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		switch item {
		case "", "none":
			continue
		case "loopback":
			p.Allow = append(p.Allow, loopback...)
			continue
		case "private":
			p.Allow = append(p.Allow, private...)
			continue
		}
		if pr, err := netip.ParsePrefix(item); err == nil {
			p.Allow = append(p.Allow, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return Policy{}, fmt.Errorf("egress: %q is neither a network (CIDR), an address, loopback, private nor none", item)
		}
		p.Allow = append(p.Allow, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// private are the private-use networks (RFC 1918, RFC 4193).
var private = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
}

// special are the networks that are not public beyond what net/netip
// classifies: shared address space, IETF protocol assignments,
// documentation, benchmarking, reserved, 6to4 relay, NAT64 and discard.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
}

// Public reports whether a is a public unicast address.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range special {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Check refuses an address that is neither public nor in an allowed network.
func (p Policy) Check(a netip.Addr) error {
	a = a.Unmap()
	if Public(a) {
		return nil
	}
	for _, pr := range p.Allow {
		if pr.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is not a public address (an operator may allow its network with SCRM_EGRESS_ALLOW)", ErrRefused, a)
}

// control checks each address a dialer is about to connect to.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q is not an address", ErrRefused, address)
	}
	return p.Check(ap.Addr())
}

// Dialer returns a dialer that connects only where p allows.
func (p Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control}
}

// DialContext dials where p allows, with a 10-second connect timeout.
func (p Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return p.Dialer(10*time.Second).DialContext(ctx, network, address)
}

// Client returns an HTTP client with timeouts that connects only where p
// allows. A proxy from the environment is dialled like any other address:
// an operator who routes through one on a private network allows it.
func (p Policy) Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = p.Dialer(10 * time.Second).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}
