package auth

import (
	"context"
	"time"
)

// Expiry is when bearer, a credential Authenticate accepted, stops being
// valid: a login token's expiry, an API key's (zero when the key has none).
// A long-lived connection (the GraphQL websocket) closes then.
func (s *Service) Expiry(ctx context.Context, bearer string) (time.Time, error) {
	if IsAPIKey(bearer) {
		k, err := s.findKey(ctx, bearer)
		if err != nil || k.ExpiresAt == nil {
			return time.Time{}, err
		}
		return *k.ExpiresAt, nil
	}
	// Verified as Authenticate does: the expiry of a forged token means nothing.
	c, err := s.tokens.claims(bearer)
	if err != nil {
		return time.Time{}, err
	}
	return c.ExpiresAt.Time, nil
}
