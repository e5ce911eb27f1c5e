package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Suppression is a do-not-disturb (防骚扰) or blacklist (黑名单) entry for a
// phone number, an email address or a lead, optionally until a date.
// Broadcasts skip suppressed people; a blacklisted identity is refused at ingest.
type Suppression struct{ ent.Schema }

// Mixin of the Suppression.
func (Suppression) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Suppression}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Suppression.
func (Suppression) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("DND", "BLACKLIST").Immutable().
			Annotations(entgql.Type("SuppressionKind")),
		// phone is E.164 and email lower-case, as on leads, so they match
		// exactly. Not exposed in GraphQL: they would bypass contact masking.
		field.String("phone").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.String("email").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.UUID("lead_id", gidUUID).Optional().Nillable().Immutable(),
		field.String("reason").Default("").MaxRuneLen(500),
		field.Time("until").Optional().Nillable(),
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable().
			Annotations(entgql.Skip()),
	}
}

// Edges of the Suppression.
func (Suppression) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lead", Lead.Type).Field("lead_id").Unique().Immutable(),
	}
}

// Indexes of the Suppression.
func (Suppression) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "phone"),
		index.Fields("tenant_id", "email"),
		index.Fields("tenant_id", "lead_id"),
	}
}
