package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/gid"
)

// Journey (客户SOP) is an automation: a trigger enrols leads, who then run
// the steps of the version they entered, in order (internal/journey).
type Journey struct{ ent.Schema }

// Mixin of the Journey.
func (Journey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Journey}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Journey.
func (Journey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		// DRAFT enrols nobody; ACTIVE enrols and runs steps; PAUSED runs no
		// step (enrolments wait where they are); ARCHIVED is PAUSED for good.
		field.Enum("status").Values("DRAFT", "ACTIVE", "PAUSED", "ARCHIVED").Default("DRAFT").
			Annotations(entgql.Type("JourneyStatus")),
		// version is the number of the current JourneyVersion (new enrolments
		// run it); version_id is that row.
		field.Int("version").Default(1),
		field.UUID("version_id", gidUUID).Optional().Nillable().Annotations(entgql.Skip()),
		field.JSON("trigger", schematype.JourneyTrigger{}).Annotations(entgql.Skip()),
		// trigger_kind and trigger_key (source, event name or the id the
		// trigger names) are what the trigger hooks look journeys up by.
		field.String("trigger_kind").Annotations(entgql.Skip()),
		field.String("trigger_key").Default("").Annotations(entgql.Skip()),
		// reentry: a lead that left may enrol again.
		field.Bool("reentry").Default(false),
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
	}
}

// Edges of the Journey.
func (Journey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("versions", JourneyVersion.Type).
			Annotations(entgql.Skip(), entsql.OnDelete(entsql.Cascade)),
		edge.To("enrollments", Enrollment.Type).
			Annotations(entgql.Skip(), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Journey.
func (Journey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "trigger_kind", "trigger_key").
			Annotations(entsql.IndexWhere("status = 'ACTIVE'")),
		index.Fields("tenant_id", "status"),
	}
}

// Annotations of the Journey.
func (Journey) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection(), entgql.QueryField("journeys")}
}

// JourneyVersion is one immutable definition of a journey's steps and exit
// rule. Editing an active journey writes a new version; enrolments run the
// version they entered until they leave.
type JourneyVersion struct{ ent.Schema }

// Mixin of the JourneyVersion.
func (JourneyVersion) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.JourneyVersion}, TenantMixin{}}
}

// Fields of the JourneyVersion.
func (JourneyVersion) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("journey_id", gidUUID).Immutable(),
		field.Int("version").Immutable(),
		field.JSON("steps", []schematype.JourneyStep{}).Immutable(),
		// exit_rule: a lead matching it leaves at its next step.
		field.JSON("exit_rule", &schematype.SegmentRule{}).Optional().Immutable(),
		field.Time("created_at").Immutable(),
	}
}

// Edges of the JourneyVersion.
func (JourneyVersion) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("journey", Journey.Type).Ref("versions").Field("journey_id").Unique().Required().Immutable(),
	}
}

// Indexes of the JourneyVersion.
func (JourneyVersion) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "journey_id", "version").Unique()}
}

// Annotations of the JourneyVersion.
func (JourneyVersion) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
