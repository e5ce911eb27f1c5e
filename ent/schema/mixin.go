package schema

import (
	"context"
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/intercept"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// IDMixin gives an entity a UUIDv7 primary key that carries the entity type
// (see internal/gid), so every ID names its table.
type IDMixin struct {
	mixin.Schema
	Type gid.Type
}

// Fields of the IDMixin.
func (m IDMixin) Fields() []ent.Field {
	t := m.Type
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(func() uuid.UUID { return gid.New(t) }).Immutable(),
	}
}

// TimeMixin records creation and last update times.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// TenantMixin makes an entity tenant-owned. It is the one place the tenant
// predicate comes from: a privacy rule that fails closed without a tenant, an
// interceptor that scopes every query, and a hook that stamps creates and scopes
// updates and deletes. No resolver or service adds `tenant_id = ?` itself.
type TenantMixin struct{ mixin.Schema }

// Fields of the TenantMixin.
func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("tenant_id", uuid.UUID{}).Immutable().
			Annotations(entgql.Skip()),
	}
}

// Policy denies any query or mutation that has neither a tenant nor a system mark.
func (TenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{requireTenant()},
		Mutation: privacy.MutationPolicy{requireTenant()},
	}
}

func requireTenant() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if _, ok := tenant.FromContext(ctx); ok {
			return privacy.Skip
		}
		if tenant.IsSystem(ctx) {
			return privacy.Allow
		}
		return privacy.Denyf("%v", tenant.ErrMissing)
	})
}

type wherer interface {
	WhereP(...func(*sql.Selector))
}

// Interceptors of the TenantMixin: every query, edge load and traversal is
// limited to the context's tenant.
func (TenantMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
			tid, ok := tenant.FromContext(ctx)
			if !ok {
				if tenant.IsSystem(ctx) {
					return nil
				}
				return tenant.ErrMissing
			}
			q.WhereP(sql.FieldEQ("tenant_id", tid))
			return nil
		}),
	}
}

// Hooks of the TenantMixin.
func (TenantMixin) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				tid, ok := tenant.FromContext(ctx)
				if !ok {
					if tenant.IsSystem(ctx) {
						return next.Mutate(ctx, m)
					}
					return nil, tenant.ErrMissing
				}
				if m.Op().Is(ent.OpCreate) {
					if v, set := m.Field("tenant_id"); set && v.(uuid.UUID) != tid {
						return nil, fmt.Errorf("tenant: create in another workspace refused")
					}
					if err := m.SetField("tenant_id", tid); err != nil {
						return nil, err
					}
					return next.Mutate(ctx, m)
				}
				w, ok := m.(wherer)
				if !ok {
					return nil, fmt.Errorf("tenant: unexpected mutation type %T", m)
				}
				w.WhereP(sql.FieldEQ("tenant_id", tid))
				return next.Mutate(ctx, m)
			})
		},
	}
}
