package auth

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// tokenTTL is how long a login token is valid.
const tokenTTL = 12 * time.Hour

const issuer = "scrm"

// Claims are the JWT claims of a login token. Roles are not in the token: they
// are read from the database on every request so a change holds at once.
type Claims struct {
	Workspace string `json:"ws"`
	jwt.RegisteredClaims
}

// Tokens signs and verifies login tokens with an HMAC secret.
type Tokens struct {
	secret []byte
	now    func() time.Time
}

// NewTokens returns a Tokens that signs with secret.
func NewTokens(secret string, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{secret: []byte(secret), now: now}
}

// Issue signs a token for user of workspace.
func (t *Tokens) Issue(workspace, user uuid.UUID) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(tokenTTL)
	c := Claims{
		Workspace: workspace.String(),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   user.String(),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        uuid.NewString(),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	return s, exp, err
}

// claims verifies token (signature, method, issuer, expiry by the clock)
// and returns its claims.
func (t *Tokens) claims(token string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(t.now),
		jwt.WithExpirationRequired(),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	return &c, nil
}

// Parse verifies a token and returns its workspace and user.
func (t *Tokens) Parse(token string) (workspace, user uuid.UUID, err error) {
	workspace, user, _, err = t.verify(token)
	return workspace, user, err
}

// verify verifies a token and returns its workspace, user and expiry.
func (t *Tokens) verify(token string) (workspace, user uuid.UUID, expires time.Time, err error) {
	c, err := t.claims(token)
	if err != nil {
		return uuid.Nil, uuid.Nil, time.Time{}, err
	}
	if workspace, err = uuid.Parse(c.Workspace); err != nil {
		return uuid.Nil, uuid.Nil, time.Time{}, fmt.Errorf("%w: bad workspace claim", ErrUnauthenticated)
	}
	if user, err = uuid.Parse(c.Subject); err != nil {
		return uuid.Nil, uuid.Nil, time.Time{}, fmt.Errorf("%w: bad subject claim", ErrUnauthenticated)
	}
	return workspace, user, c.ExpiresAt.Time, nil
}
