package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// SourceTouch is one arrival of a lead from a source (来源触点): the first
// ingest and every later duplicate that merged into it, so attribution keeps
// all of them while the lead keeps its first source.
type SourceTouch struct{ ent.Schema }

// Mixin of the SourceTouch.
func (SourceTouch) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.SourceTouch}, TenantMixin{}}
}

// Fields of the SourceTouch.
func (SourceTouch) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID),
		field.String("source").Default("").MaxRuneLen(100).Immutable(),
		field.String("source_detail").Default("").MaxRuneLen(500).Immutable(),
		field.String("external_id").Optional().Nillable().Immutable(),
		// duplicate is true for a touch that merged into an existing lead.
		field.Bool("duplicate").Default(false).Immutable(),
		field.Time("at").Immutable(),
	}
}

// Edges of the SourceTouch.
func (SourceTouch) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("touches").Field("lead_id").Unique().Required(),
	}
}

// Indexes of the SourceTouch.
func (SourceTouch) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "lead_id", "at"),
		index.Fields("tenant_id", "source", "at"),
	}
}
