package schema

import (
	"time"

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
	}
}

// Edges of the TagGroup.
func (TagGroup) Edges() []ent.Edge {
	return []ent.Edge{edge.To("tags", Tag.Type)}
}

// Indexes of the TagGroup.
func (TagGroup) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Annotations of the TagGroup.
func (TagGroup) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("tagGroups")}
}

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
	return []ent.Index{index.Fields("tenant_id", "name").Unique(), index.Fields("tenant_id", "group_id")}
}

// Annotations of the Tag.
func (Tag) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("tags")}
}

// LeadTag is the edge between a lead and a tag, with who put it there, when and how.
type LeadTag struct{ ent.Schema }

// Mixin of the LeadTag.
func (LeadTag) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}}
}

// Fields of the LeadTag.
func (LeadTag) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID),
		field.UUID("tag_id", gidUUID),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.UUID("created_by_id", gidUUID).Optional().Nillable(),
		field.Enum("source").Values("MANUAL", "RULE", "IMPORT", "INGEST", "MERGE").Default("MANUAL"),
	}
}

// Edges of the LeadTag.
func (LeadTag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lead", Lead.Type).Field("lead_id").Unique().Required(),
		edge.To("tag", Tag.Type).Field("tag_id").Unique().Required(),
	}
}

// Indexes of the LeadTag.
func (LeadTag) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "tag_id", "lead_id")}
}

// Annotations of the LeadTag.
func (LeadTag) Annotations() []schemaAnnotation {
	return []schemaAnnotation{field.ID("lead_id", "tag_id"), entgql.Skip()}
}
