package schema

import (
	"context"
	"fmt"
	"regexp"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema/field"

	"github.com/scrmhq/scrm/ent/intercept"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// SlugPattern is what a workspace slug must look like; it appears in logins and URLs.
var SlugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// Workspace is a tenant: one company using the product. Everything else belongs
// to exactly one workspace.
type Workspace struct{ ent.Schema }

// Mixin of the Workspace.
func (Workspace) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Workspace}, TimeMixin{}}
}

// Fields of the Workspace.
func (Workspace) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").Unique().Immutable().Match(SlugPattern),
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.JSON("settings", schematype.WorkspaceSettings{}).Default(schematype.WorkspaceSettings{}).
			Annotations(entgql.Skip()),
		// lead_seq hands out the dense per-workspace lead numbers that segment
		// bitmaps are built from.
		field.Int64("lead_seq").Default(0).Annotations(entgql.Skip()),
		// schema_version is bumped on every change of the workspace's custom
		// schema so caches in every process know to reload.
		field.Int64("schema_version").Default(0).Annotations(entgql.Skip()),
	}
}

// Policy of the Workspace: only system code creates or deletes workspaces.
func (Workspace) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{requireTenant()},
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(privacy.ContextQueryMutationRule(func(ctx context.Context) error {
				if tenant.IsSystem(ctx) {
					return privacy.Allow
				}
				return privacy.Denyf("workspaces are created by the system")
			}), ent.OpCreate|ent.OpDelete|ent.OpDeleteOne),
			requireTenant(),
		},
	}
}

// Interceptors of the Workspace: a tenant context sees only its own workspace.
func (Workspace) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
			tid, ok := tenant.FromContext(ctx)
			if !ok {
				if tenant.IsSystem(ctx) {
					return nil
				}
				return tenant.ErrMissing
			}
			q.WhereP(sql.FieldEQ("id", tid))
			return nil
		}),
	}
}

// Hooks of the Workspace: a tenant context updates only its own workspace.
func (Workspace) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if tid, ok := tenant.FromContext(ctx); ok && !m.Op().Is(ent.OpCreate) {
					w, ok := m.(wherer)
					if !ok {
						return nil, fmt.Errorf("tenant: unexpected mutation type %T", m)
					}
					w.WhereP(sql.FieldEQ("id", tid))
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}
