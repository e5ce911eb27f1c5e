// Package tenant carries the current workspace (the tenant) in a context.
//
// It is the single source of the tenant predicate: the ent privacy rules and
// hooks in ent/schema read it from here, so no resolver or service ever adds a
// tenant filter by hand. A context without a tenant fails closed unless it is
// explicitly marked as a system context.
package tenant

import (
	"context"
	"errors"

	"github.com/google/uuid"
)

// ErrMissing is returned when an operation needs a tenant and the context has none.
var ErrMissing = errors.New("no workspace in context")

type tenantKey struct{}
type systemKey struct{}

// NewContext returns ctx scoped to workspace id.
func NewContext(ctx context.Context, id uuid.UUID) context.Context {
	return context.WithValue(ctx, tenantKey{}, id)
}

// FromContext returns the workspace id of ctx, if any.
func FromContext(ctx context.Context) (uuid.UUID, bool) {
	id, ok := ctx.Value(tenantKey{}).(uuid.UUID)
	return id, ok && id != uuid.Nil
}

// System marks ctx as a system operation (migrations, login lookups, periodic
// jobs that enumerate workspaces). Such contexts bypass tenant scoping, so every
// call site must be one that a user cannot steer to another workspace's data.
func System(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey{}, true)
}

// IsSystem reports whether ctx was marked with System.
func IsSystem(ctx context.Context) bool {
	v, _ := ctx.Value(systemKey{}).(bool)
	return v
}
