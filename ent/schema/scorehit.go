package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// ScoreHit remembers since when a lead matches a scoring rule, which is
// where its points start to decay. A lead that stops matching loses the hit.
type ScoreHit struct{ ent.Schema }

// Mixin of the ScoreHit.
func (ScoreHit) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.ScoreHit}, TenantMixin{}}
}

// Fields of the ScoreHit.
func (ScoreHit) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID).Immutable(),
		field.UUID("rule_id", gidUUID).Immutable(),
		field.Time("matched_at"),
	}
}

// Indexes of the ScoreHit.
func (ScoreHit) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "lead_id", "rule_id").Unique(),
		index.Fields("tenant_id", "rule_id"),
	}
}

// Annotations of the ScoreHit.
func (ScoreHit) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
