package auth

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/scrmhq/scrm/internal/apperr"
)

// KeyRefused is why a genuine API key (its secret proven) is refused:
// expired, or used from an address outside its list. Unlike a bad token's
// reason it is said to the caller, who holds the key and needs to know
// what to fix; it is an ErrUnauthenticated.
type KeyRefused struct{ Reason string }

func (e *KeyRefused) Error() string { return ErrUnauthenticated.Error() + ": " + e.Reason }

// Unwrap makes a KeyRefused an ErrUnauthenticated.
func (e *KeyRefused) Unwrap() error { return ErrUnauthenticated }

type clientAddrKey struct{}

// WithClientAddr records the address a request came from: the TCP peer
// (scrm has no trusted-proxy setting, so X-Forwarded-For is never read).
// An API key with allowed addresses is checked against it.
func WithClientAddr(ctx context.Context, addr netip.Addr) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr.Unmap())
}

// ClientAddr is the address WithClientAddr recorded, and whether there is one.
func ClientAddr(ctx context.Context) (netip.Addr, bool) {
	a, ok := ctx.Value(clientAddrKey{}).(netip.Addr)
	return a, ok && a.IsValid()
}

// PeerAddr parses an http.Request's RemoteAddr ("ip:port").
func PeerAddr(remote string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// CleanAllowedIPs checks a key's allowed addresses (IPs or CIDR prefixes,
// at most MaxAllowedIPs, none twice) and returns them in canonical form: an
// IP as itself, a prefix masked ("10.1.2.3/8" is 10.0.0.0/8). Errors name
// at[i].
func CleanAllowedIPs(at string, in []string) ([]string, error) {
	if len(in) > MaxAllowedIPs {
		return nil, apperr.Input(at, "at most %d addresses", MaxAllowedIPs)
	}
	out := make([]string, 0, len(in))
	for i, raw := range in {
		s := strings.TrimSpace(raw)
		var canon string
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, apperr.Input(fmt.Sprintf("%s[%d]", at, i), "%q is not an IP address or CIDR prefix", raw)
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			canon = p.Masked().String()
		} else {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				return nil, apperr.Input(fmt.Sprintf("%s[%d]", at, i), "%q is not an IP address or CIDR prefix", raw)
			}
			canon = a.Unmap().String()
		}
		if slices.Contains(out, canon) {
			return nil, apperr.Input(fmt.Sprintf("%s[%d]", at, i), "%s is given twice", canon)
		}
		out = append(out, canon)
	}
	return out, nil
}

// AddrAllowed says whether addr is one of allowed (as CleanAllowedIPs
// returns them) or inside one of its prefixes.
func AddrAllowed(allowed []string, addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, s := range allowed {
		if p, err := netip.ParsePrefix(s); err == nil {
			if p.Contains(addr) {
				return true
			}
		} else if a, err := netip.ParseAddr(s); err == nil && a == addr {
			return true
		}
	}
	return false
}
