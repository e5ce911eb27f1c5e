package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// LostReason is one entry of the workspace's list of reasons a lead was lost.
type LostReason struct{ ent.Schema }

// Mixin of the LostReason.
func (LostReason) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.LostReason}, TenantMixin{}, TimeMixin{}}
}

// Fields of the LostReason.
func (LostReason) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.Int("position").Default(0),
		field.Bool("archived").Default(false),
	}
}

// Indexes of the LostReason.
func (LostReason) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Annotations of the LostReason.
func (LostReason) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("lostReasons")}
}
