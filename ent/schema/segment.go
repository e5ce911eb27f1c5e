package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/gid"
)

// Segment (分群) is a saved rule over leads and its materialised members.
// Members live in SegmentVersion rows; the segment points at the newest READY
// one, so readers never see a computation in progress.
type Segment struct{ ent.Schema }

// Mixin of the Segment.
func (Segment) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Segment}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Segment.
func (Segment) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.Text("description").Default(""),
		field.Enum("kind").Values("DYNAMIC", "STATIC").Default("DYNAMIC").
			Annotations(entgql.Type("SegmentKind")),
		field.JSON("rule", schematype.SegmentRule{}).
			Annotations(entgql.Skip()),
		// refresh_every_minutes schedules a DYNAMIC segment's recompute.
		field.Int("refresh_every_minutes").Optional().Nillable().Positive(),
		// status is the state of the latest computation; members stay those of
		// the current version while a new one computes.
		field.Enum("status").Values("PENDING", "COMPUTING", "READY", "FAILED").Default("PENDING").
			Annotations(entgql.Type("SegmentStatus")),
		field.String("error").Optional().Nillable().MaxRuneLen(2000),
		// version_id is the current READY SegmentVersion (nil until the first).
		field.UUID("version_id", gidUUID).Optional().Nillable().
			Annotations(entgql.Skip()),
		// member_count is served by a resolver (graph/schema/segment.graphql),
		// which refuses it to viewers who see masked a field the rule names.
		field.Int("member_count").Default(0).
			Annotations(entgql.Skip(entgql.SkipType)),
		field.Time("computed_at").Optional().Nillable(),
		// next_refresh_at is when the scheduler recomputes a DYNAMIC segment.
		field.Time("next_refresh_at").Optional().Nillable(),
		// depends_on lists the segments the rule references, so a referenced
		// segment cannot be deleted and reference cycles are refused.
		field.JSON("depends_on", []uuid.UUID{}).Default([]uuid.UUID{}).
			SchemaType(map[string]string{dialect.Postgres: "jsonb"}).
			Annotations(entgql.Skip()),
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable(),
	}
}

// Edges of the Segment.
func (Segment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("created_by", User.Type).Field("created_by_id").Unique().Immutable(),
		edge.To("versions", SegmentVersion.Type).Annotations(entgql.Skip(), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Segment.
func (Segment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "name").Unique(),
		index.Fields("next_refresh_at"),
	}
}

// Annotations of the Segment.
func (Segment) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection(), entgql.QueryField("segments")}
}
