package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// SegmentVersion is one computation of a segment's members: a Roaring bitmap
// of leads.seq, written whole when the computation finishes.
type SegmentVersion struct{ ent.Schema }

// Mixin of the SegmentVersion.
func (SegmentVersion) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.SegmentVersion}, TenantMixin{}}
}

// Fields of the SegmentVersion.
func (SegmentVersion) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("segment_id", gidUUID).Immutable(),
		field.Int("version").Immutable(),
		field.Enum("status").Values("COMPUTING", "READY", "FAILED").Default("COMPUTING"),
		// members is the serialised Roaring bitmap of the members' leads.seq.
		field.Bytes("members").Optional(),
		// member_count is served by a resolver (graph/schema/segment.graphql),
		// which refuses it to viewers who see masked a field the rule names.
		field.Int("member_count").Default(0).
			Annotations(entgql.Skip(entgql.SkipType)),
		field.String("error").Optional().Nillable().MaxRuneLen(2000),
		field.Time("started_at").Immutable(),
		field.Time("finished_at").Optional().Nillable(),
	}
}

// Edges of the SegmentVersion.
func (SegmentVersion) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("segment", Segment.Type).Ref("versions").Field("segment_id").Unique().Required().Immutable(),
	}
}

// Indexes of the SegmentVersion.
func (SegmentVersion) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "segment_id", "version").Unique()}
}

// Annotations of the SegmentVersion.
func (SegmentVersion) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
