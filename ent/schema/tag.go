package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Tag is a label on leads.
type Tag struct{ ent.Schema }

// Mixin of the Tag.
func (Tag) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Tag}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Tag.
func (Tag) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(100),
		field.String("color").Default("").MaxRuneLen(32),
		field.UUID("group_id", gidUUID).Optional().Nillable(),
		// wecom_tag_id links the tag to a WeCom corp tag (internal/wecom).
		field.String("wecom_tag_id").Optional().Nillable().MaxRuneLen(64).Annotations(entgql.Skip()),
		// wecom_removed_at: the linked corp tag was deleted in WeCom; the tag
		// stays in the workspace, unlinked, and is not added back to WeCom.
		field.Time("wecom_removed_at").Optional().Nillable().Annotations(entgql.Skip()),
	}
}

// Edges of the Tag.
func (Tag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("group", TagGroup.Type).Ref("tags").Field("group_id").Unique(),
		edge.From("leads", Lead.Type).Ref("tags").Through("lead_tags", LeadTag.Type).
			Annotations(entgql.Skip()),
	}
}

// Indexes of the Tag.
func (Tag) Indexes() []ent.Index {
	// Names are unique in the workspace, not just the group: ingest and
	// segment rules name tags.
	return []ent.Index{index.Fields("tenant_id", "name").Unique(), index.Fields("tenant_id", "group_id"),
		index.Fields("tenant_id", "wecom_tag_id").Unique()}
}

// Annotations of the Tag.
func (Tag) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("tags")}
}
