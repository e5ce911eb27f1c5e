// Package auth signs people and integrations in and tells every layer who is
// calling: passwords, tokens, API keys and the Viewer in the request context.
package auth

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Sentinel errors of the auth package.
var (
	// ErrUnauthenticated means no valid credentials came with the request.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrBadCredentials means the workspace, email or password did not match.
	ErrBadCredentials = errors.New("invalid workspace, email or password")
	// ErrForbidden means the caller may not do this.
	ErrForbidden = errors.New("forbidden")
)

// Viewer is the authenticated caller: a user, or an integration's API key.
type Viewer struct {
	TenantID     uuid.UUID
	UserID       uuid.UUID // zero for API keys
	APIKeyID     uuid.UUID // zero for users
	Roles        []string
	TeamID       *uuid.UUID
	PartnerID    *uuid.UUID
	TerritoryIDs []uuid.UUID
	// ExpiresAt is when the credential the viewer signed in with stops being
	// valid (a login token's expiry, an API key's); zero when it does not
	// expire. A long-lived connection (a websocket, an SSE stream) ends then.
	ExpiresAt time.Time
	// LeadScopes are the lead.scope actions the viewer's roles allow (all,
	// team, territory, pool, own, partner), resolved once per request.
	LeadScopes []string
	// ContactGrant says whether the viewer may read unmasked phones and emails.
	ContactGrant bool
	// AllJobs says whether the viewer sees every job of the workspace (job
	// manage: its admins), not only the jobs it started.
	AllJobs bool
	// AllTasks says whether the viewer sees every task of the workspace
	// (task manage with lead.scope all), not only its own.
	AllTasks bool
	// TeamTasks says whether the viewer sees, besides its own, the tasks of
	// the members of the teams it manages (task manage without lead.scope
	// all: a team manager).
	TeamTasks bool
	// PolicySynced says the policy version was checked for this request, so
	// later decisions of the same request need not ask Redis again.
	PolicySynced bool
}

// HasRole reports whether the viewer holds role.
func (v *Viewer) HasRole(role string) bool { return slices.Contains(v.Roles, role) }

type viewerKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// FromContext returns the viewer of ctx, or nil.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}
