package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
