package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// SavedView is a named state of a list (the leads list's filters, columns,
// sort and page size) that a user keeps on the server, optionally shared
// with everyone in the workspace. The server stores the state as given and
// never applies it: a shared view's filters run under each viewer's own row
// scope and masking.
type SavedView struct{ ent.Schema }

// Mixin of the SavedView.
func (SavedView) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.SavedView}, TenantMixin{}, TimeMixin{}}
}

// Fields of the SavedView.
func (SavedView) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("list").Values("LEADS").Default("LEADS").Immutable().
			Annotations(entgql.Type("SavedViewList")),
		field.String("name").NotEmpty().MaxRuneLen(60),
		field.JSON("state", map[string]any{}).Annotations(entgql.Type("JSON")),
		field.Bool("shared").Default(false),
		field.UUID("owner_id", gidUUID).Immutable().Annotations(entgql.Skip()),
	}
}

// Edges of the SavedView.
func (SavedView) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("owner", User.Type).Field("owner_id").Unique().Required().Immutable(),
	}
}

// Indexes of the SavedView.
func (SavedView) Indexes() []ent.Index {
	return []ent.Index{
		// a user's views of a list by name, one per name
		index.Fields("tenant_id", "owner_id", "list", "name").Unique(),
		// the views shared with the workspace
		index.Fields("tenant_id", "list", "shared"),
	}
}

// Annotations of the SavedView: a Node; no generic list field, filters or
// mutation inputs (graph/schema/savedview.graphql serves it).
func (SavedView) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
