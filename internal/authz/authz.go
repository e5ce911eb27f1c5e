// Package authz answers "may this viewer do this?" for the API layer.
package authz

import (
	"context"

	"github.com/scrmhq/scrm/internal/auth"
)

// Authorizer decides root-field permissions.
type Authorizer struct{}

// New returns an Authorizer.
func New() *Authorizer { return &Authorizer{} }

// Allowed reports whether v may perform action on resource.
func (a *Authorizer) Allowed(_ context.Context, v *auth.Viewer, resource, action string) (bool, error) {
	return v.HasRole("admin") || action == "read", nil
}
