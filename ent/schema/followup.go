package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// FollowUp is one contact with a lead (跟进记录): a call, a visit, a message or
// a note, with its outcome. The latest one drives recycling.
type FollowUp struct{ ent.Schema }

// Mixin of the FollowUp.
func (FollowUp) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.FollowUp}, TenantMixin{}, TimeMixin{}}
}

// Fields of the FollowUp.
func (FollowUp) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID),
		field.UUID("author_id", gidUUID).Optional().Nillable().Immutable(),
		field.Enum("kind").Values("CALL", "VISIT", "WECOM", "SMS", "EMAIL", "NOTE").Immutable().
			Annotations(entgql.Type("FollowUpKind")),
		field.String("content").Default("").MaxRuneLen(5000),
		// outcome says whether the person was reached; CONNECTED and
		// INTERESTED count as an interaction in the funnel.
		field.Enum("outcome").Values("CONNECTED", "INTERESTED", "NOT_INTERESTED", "NO_ANSWER", "BUSY", "WRONG_NUMBER", "CALLBACK").
			Optional().Nillable().Annotations(entgql.Type("FollowUpOutcome")),
		field.Time("next_follow_up_at").Optional().Nillable(),
	}
}

// Edges of the FollowUp.
func (FollowUp) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("follow_ups").Field("lead_id").Unique().Required(),
		edge.To("author", User.Type).Field("author_id").Unique().Immutable(),
	}
}

// Indexes of the FollowUp.
func (FollowUp) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "lead_id", "created_at"),
		index.Fields("tenant_id", "author_id", "created_at"),
	}
}
