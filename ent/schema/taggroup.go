package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// TagGroup groups tags; in an exclusive group a lead carries at most one tag.
type TagGroup struct{ ent.Schema }

// Mixin of the TagGroup.
func (TagGroup) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.TagGroup}, TenantMixin{}, TimeMixin{}}
}

// Fields of the TagGroup.
func (TagGroup) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(100),
		field.Bool("exclusive").Default(false),
		field.Int("position").Default(0),
		// wecom_group_id links the group to a WeCom corp tag group (internal/wecom).
		field.String("wecom_group_id").Optional().Nillable().MaxRuneLen(64).Annotations(entgql.Skip()),
		// wecom_removed_at: the linked corp tag group was deleted in WeCom; its
		// tags are not added back to WeCom.
		field.Time("wecom_removed_at").Optional().Nillable().Annotations(entgql.Skip()),
	}
}

// Edges of the TagGroup.
func (TagGroup) Edges() []ent.Edge {
	return []ent.Edge{edge.To("tags", Tag.Type)}
}

// Indexes of the TagGroup.
func (TagGroup) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique(), index.Fields("tenant_id", "wecom_group_id").Unique()}
}

// Annotations of the TagGroup.
func (TagGroup) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("tagGroups")}
}
