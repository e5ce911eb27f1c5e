package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
)

// ErrBadState is an OAuth state that scrm did not sign for this purpose and
// workspace, that expired, or whose nonce is not the browser's.
var ErrBadState = errors.New("the sign-in state is missing, expired or not this browser's")

// State is the signed `state` of an OAuth redirect (WeCom's allows 128
// letters and digits): purpose and workspace are bound by the MAC, the
// nonce is the value the browser also keeps in a cookie (login CSRF), and
// exp limits it in time. Hex only, 88 characters.
const stateLen = 32 + 16 + 8 + 32

// SignState returns a state for purpose (e.g. "wecom-oauth") and workspace,
// valid for ttl, and the nonce the caller gives the browser to keep.
func (t *Tokens) SignState(purpose string, workspace uuid.UUID, ttl time.Duration) (state, nonce string, err error) {
	n := make([]byte, 8)
	if _, err := rand.Read(n); err != nil {
		return "", "", fmt.Errorf("state: %w", err)
	}
	nonce = hex.EncodeToString(n)
	exp := fmt.Sprintf("%08x", t.now().Add(ttl).Unix())
	body := hex.EncodeToString(workspace[:]) + nonce + exp
	return body + t.stateMAC(purpose, body), nonce, nil
}

// VerifyState checks a state of SignState for purpose and workspace against
// the nonce the browser kept; ErrBadState when it does not hold.
func (t *Tokens) VerifyState(purpose string, workspace uuid.UUID, state, nonce string) error {
	if len(state) != stateLen || nonce == "" {
		return ErrBadState
	}
	body, mac := state[:stateLen-32], state[stateLen-32:]
	if !hmac.Equal([]byte(mac), []byte(t.stateMAC(purpose, body))) {
		return ErrBadState
	}
	if body[:32] != hex.EncodeToString(workspace[:]) || !hmac.Equal([]byte(body[32:48]), []byte(nonce)) {
		return ErrBadState
	}
	exp, err := strconv.ParseInt(body[48:], 16, 64)
	if err != nil || !t.now().Before(time.Unix(exp, 0)) {
		return ErrBadState
	}
	return nil
}

// stateMAC is the first 16 bytes of HMAC-SHA256 under a key derived from
// the token secret for purpose, so a state never verifies as anything else.
func (t *Tokens) stateMAC(purpose, body string) string {
	k := hmac.New(sha256.New, t.secret)
	k.Write([]byte("state:" + purpose))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// SignState signs an OAuth state with the service's token secret (Tokens.SignState).
func (s *Service) SignState(purpose string, workspace uuid.UUID, ttl time.Duration) (state, nonce string, err error) {
	return s.tokens.SignState(purpose, workspace, ttl)
}

// VerifyState checks a state of SignState (Tokens.VerifyState).
func (s *Service) VerifyState(purpose string, workspace uuid.UUID, state, nonce string) error {
	return s.tokens.VerifyState(purpose, workspace, state, nonce)
}

// IssueFor signs in u, an active user another proof identified (a WeCom
// member's OAuth code, internal/wecom), with the token a password login
// issues, and records the login. ctx carries u's workspace.
func (s *Service) IssueFor(ctx context.Context, u *ent.User) (*LoginResult, error) {
	if !u.Active {
		return nil, fmt.Errorf("%w: user inactive", ErrUnauthenticated)
	}
	tok, exp, err := s.tokens.Issue(u.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	if err := s.client.User.UpdateOneID(u.ID).SetLastLoginAt(s.now()).Exec(ctx); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return &LoginResult{Token: tok, ExpiresAt: exp, User: u}, nil
}

type requestHostKey struct{}

// WithRequestHost records the Host the request came to (the server's
// public host as the browser named it): the WeCom sidebar's JS-SDK signs
// only pages of it unless the channel names its origin.
func WithRequestHost(ctx context.Context, host string) context.Context {
	return context.WithValue(ctx, requestHostKey{}, host)
}

// RequestHost is the host WithRequestHost recorded, or "".
func RequestHost(ctx context.Context) string {
	h, _ := ctx.Value(requestHostKey{}).(string)
	return h
}
