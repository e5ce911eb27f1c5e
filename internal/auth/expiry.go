package auth

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/apikey"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Expiry is when bearer, a credential Authenticate accepted, stops being
// valid: a login token's expiry, an API key's (zero when the key has none).
// A long-lived connection (the GraphQL websocket) closes then.
func (s *Service) Expiry(ctx context.Context, bearer string) (time.Time, error) {
	if IsAPIKey(bearer) {
		prefix, ok := SplitAPIKey(bearer)
		if !ok {
			return time.Time{}, fmt.Errorf("%w: malformed api key", ErrUnauthenticated)
		}
		keys, err := s.client.APIKey.Query().Where(apikey.Prefix(prefix), apikey.RevokedAtIsNil()).All(tenant.System(ctx))
		if err != nil {
			return time.Time{}, fmt.Errorf("auth: expiry: %w", err)
		}
		i := slices.IndexFunc(keys, func(k *ent.APIKey) bool { return APIKeyMatches(bearer, k.SecretHash) })
		if i < 0 {
			return time.Time{}, fmt.Errorf("%w: unknown or revoked api key", ErrUnauthenticated)
		}
		if k := keys[i]; k.ExpiresAt != nil {
			return *k.ExpiresAt, nil
		}
		return time.Time{}, nil
	}
	var c Claims
	// Verified as Authenticate does: the expiry of a forged token means nothing.
	_, err := jwt.ParseWithClaims(bearer, &c, func(*jwt.Token) (any, error) { return s.tokens.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(s.tokens.now), jwt.WithExpirationRequired())
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	return c.ExpiresAt.Time, nil
}
