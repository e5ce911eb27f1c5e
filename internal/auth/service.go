package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/apikey"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/ent/workspace"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/textinput"
)

// Service signs users in and resolves credentials into a Viewer.
type Service struct {
	client *ent.Client
	tokens *Tokens
	now    func() time.Time
	users  *userCache // nil: the user is read on every request (users.go)
}

// NewService returns an auth service.
func NewService(client *ent.Client, tokens *Tokens, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, tokens: tokens, now: now}
}

// LoginResult is a signed-in user and their token.
type LoginResult struct {
	Token     string
	ExpiresAt time.Time
	User      *ent.User
}

// Login checks a password and issues a token.
func (s *Service) Login(ctx context.Context, slug, email, password string) (*LoginResult, error) {
	// Finding the workspace by slug is the one lookup made before a tenant is
	// known; it reads a single row by a unique key.
	ws, err := s.client.Workspace.Query().
		Where(workspace.Slug(strings.ToLower(strings.TrimSpace(slug)))).
		Only(tenant.System(ctx))
	if err != nil {
		if ent.IsNotFound(err) {
			CheckPassword("", password)
			return nil, ErrBadCredentials
		}
		return nil, fmt.Errorf("login: %w", err)
	}
	ctx = tenant.NewContext(ctx, ws.ID)
	u, err := s.client.User.Query().
		Where(user.Email(strings.ToLower(strings.TrimSpace(email))), user.Active(true)).
		Only(ctx)
	if err != nil {
		if ent.IsNotFound(err) {
			CheckPassword("", password)
			return nil, ErrBadCredentials
		}
		return nil, fmt.Errorf("login: %w", err)
	}
	if !CheckPassword(u.PasswordHash, password) {
		return nil, ErrBadCredentials
	}
	tok, exp, err := s.tokens.Issue(ws.ID, u.ID)
	if err != nil {
		return nil, err
	}
	if err := s.client.User.UpdateOneID(u.ID).SetLastLoginAt(s.now()).Exec(ctx); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return &LoginResult{Token: tok, ExpiresAt: exp, User: u}, nil
}

// Authenticate turns a bearer credential (a login token or an API key) into a
// Viewer, with the credential's expiry (Viewer.ExpiresAt) so that a
// long-lived connection needs no second lookup to learn it. Deactivation,
// role changes and revocation hold on the next request: the key is read on
// every call, the user too unless the process keeps it by its workspace's
// users token (users.go).
func (s *Service) Authenticate(ctx context.Context, bearer string) (*Viewer, error) {
	if IsAPIKey(bearer) {
		return s.authenticateKey(ctx, bearer)
	}
	wsID, userID, exp, err := s.tokens.verify(bearer)
	if err != nil {
		return nil, err
	}
	v, err := s.userViewer(tenant.NewContext(ctx, wsID), wsID, userID)
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, fmt.Errorf("%w: user not found or inactive", ErrUnauthenticated)
		}
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	v.ExpiresAt = exp
	return v, nil
}

// findKey is the live API key whose secret plaintext proves.
func (s *Service) findKey(ctx context.Context, plaintext string) (*ent.APIKey, error) {
	prefix, ok := SplitAPIKey(plaintext)
	if !ok {
		return nil, fmt.Errorf("%w: malformed api key", ErrUnauthenticated)
	}
	// The prefix is unique per workspace and random (60 bits) across them,
	// so this system lookup reads one row, or in theory a few; the key is the
	// one whose secret the caller proves before any tenant data is used.
	keys, err := s.client.APIKey.Query().Where(apikey.Prefix(prefix), apikey.RevokedAtIsNil()).All(tenant.System(ctx))
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	i := slices.IndexFunc(keys, func(k *ent.APIKey) bool { return APIKeyMatches(plaintext, k.SecretHash) })
	if i < 0 {
		return nil, fmt.Errorf("%w: unknown or revoked api key", ErrUnauthenticated)
	}
	return keys[i], nil
}

func (s *Service) authenticateKey(ctx context.Context, plaintext string) (*Viewer, error) {
	k, err := s.findKey(ctx, plaintext)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return nil, &KeyRefused{Reason: "the API key expired at " + k.ExpiresAt.UTC().Format(time.RFC3339)}
	}
	if len(k.AllowedIps) > 0 {
		addr, ok := ClientAddr(ctx)
		if !ok || !AddrAllowed(k.AllowedIps, addr) {
			from := "an unknown address"
			if ok {
				from = addr.String()
			}
			return nil, &KeyRefused{Reason: "the API key may not be used from " + from}
		}
	}
	s.touchKey(ctx, k, now)
	v := &Viewer{TenantID: k.TenantID, APIKeyID: k.ID, Roles: k.Roles}
	if k.ExpiresAt != nil {
		v.ExpiresAt = *k.ExpiresAt
	}
	return v, nil
}

// touchKey records that k was used at now, at most once a minute per key
// so a busy integration does not write a row per request. A failure is not
// the request's: the key is valid all the same.
func (s *Service) touchKey(ctx context.Context, k *ent.APIKey, now time.Time) {
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < time.Minute {
		return
	}
	_ = s.client.APIKey.Update().Where(apikey.ID(k.ID), apikey.Or(apikey.LastUsedAtIsNil(), apikey.LastUsedAtLT(now.Add(-time.Minute)))).
		SetLastUsedAt(now).Exec(tenant.NewContext(ctx, k.TenantID))
}

// Limits of an API key's restrictions.
const (
	// MaxAPIKeyLifetime is how far ahead a key's expiry may be.
	MaxAPIKeyLifetime = 2 * 366 * 24 * time.Hour
	// MaxAllowedIPs is how many addresses and prefixes a key may list.
	MaxAllowedIPs = 50
)

// APIKeyInput is a key to make.
type APIKeyInput struct {
	Name  string
	Roles []string
	// ExpiresAt, when set, must be in the future and at most
	// MaxAPIKeyLifetime ahead.
	ExpiresAt *time.Time
	// AllowedIPs, when not empty, are the IPs and CIDR prefixes requests
	// with the key must come from (at most MaxAllowedIPs).
	AllowedIPs []string
}

// CreateAPIKey makes a key for the viewer's workspace and returns its
// plaintext once. Bad input is refused at its field and writes nothing.
func (s *Service) CreateAPIKey(ctx context.Context, in APIKeyInput) (*ent.APIKey, string, error) {
	v := FromContext(ctx)
	if v == nil {
		return nil, "", ErrUnauthenticated
	}
	name, err := textinput.Clean("name", in.Name, 200, true)
	if err != nil {
		return nil, "", err
	}
	roles := in.Roles
	if len(roles) == 0 {
		return nil, "", apperr.Input("roles", "give the key at least one role")
	}
	for i, r := range roles {
		if !policy.ValidRole(r) {
			return nil, "", apperr.Input(fmt.Sprintf("roles[%d]", i), "invalid role name %q", r)
		}
		if slices.Contains(roles[:i], r) {
			return nil, "", apperr.Input(fmt.Sprintf("roles[%d]", i), "role %q is given twice", r)
		}
	}
	if in.ExpiresAt != nil {
		switch now := s.now(); {
		case !in.ExpiresAt.After(now):
			return nil, "", apperr.Input("expiresAt", "the expiry must be in the future")
		case in.ExpiresAt.After(now.Add(MaxAPIKeyLifetime)):
			return nil, "", apperr.Input("expiresAt", "the expiry may be at most two years ahead")
		}
	}
	allowed, err := CleanAllowedIPs("allowedIPs", in.AllowedIPs)
	if err != nil {
		return nil, "", err
	}
	plain, prefix, hash, err := NewAPIKey()
	if err != nil {
		return nil, "", err
	}
	q := s.client.APIKey.Create().SetName(name).SetPrefix(prefix).SetSecretHash(hash).SetRoles(roles).
		SetNillableExpiresAt(in.ExpiresAt).SetAllowedIps(allowed)
	if v.UserID != uuid.Nil {
		q.SetCreatedByID(v.UserID)
	}
	k, err := q.Save(ctx)
	if err != nil {
		return nil, "", err
	}
	return k, plain, nil
}

// RevokeAPIKey revokes a key of the viewer's workspace.
func (s *Service) RevokeAPIKey(ctx context.Context, id uuid.UUID) (*ent.APIKey, error) {
	k, err := s.client.APIKey.UpdateOneID(id).Where(apikey.RevokedAtIsNil()).SetRevokedAt(s.now()).Save(ctx)
	if ent.IsNotFound(err) {
		if _, gerr := s.client.APIKey.Get(ctx, id); gerr == nil {
			return nil, apperr.New(apperr.Conflict, "id", "the API key is already revoked")
		}
		return nil, apperr.New(apperr.NotFound, "id", "no such API key")
	}
	return k, err
}
