package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/gid"
)

// FieldDefinition is a workspace's own field on an entity (leads for now). Its
// values live in the entity's attributes column; internal/fields validates them.
type FieldDefinition struct{ ent.Schema }

// Mixin of the FieldDefinition.
func (FieldDefinition) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.FieldDefinition}, TenantMixin{}, TimeMixin{}}
}

// Fields of the FieldDefinition.
func (FieldDefinition) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("entity").Values("LEAD").Default("LEAD").Immutable().
			Annotations(entgql.Type("FieldEntity")),
		field.String("key").NotEmpty().MaxRuneLen(63).Immutable(),
		field.String("label").NotEmpty().MaxRuneLen(200),
		field.String("help_text").Default("").MaxRuneLen(1000),
		field.Enum("type").Values("TEXT", "LONG_TEXT", "NUMBER", "MONEY", "DATE", "DATETIME", "BOOLEAN",
			"SELECT", "MULTI_SELECT", "PHONE", "EMAIL", "URL").
			Annotations(entgql.Type("FieldType")),
		field.Bool("required").Default(false),
		field.Bool("unique").Default(false),
		field.JSON("default_value", new(any)).Optional().Annotations(entgql.Skip()),
		field.JSON("options", []schematype.FieldOption{}).Default([]schematype.FieldOption{}).Annotations(entgql.Skip()),
		field.String("pattern").Default("").MaxRuneLen(500),
		field.Float("min").Optional().Nillable(),
		field.Float("max").Optional().Nillable(),
		field.Int("position").Default(0),
		field.Bool("indexed").Default(false),
		field.Enum("index_status").Values("NONE", "PENDING", "BUILDING", "READY", "FAILED").Default("NONE").
			Annotations(entgql.Type("IndexStatus")),
		field.String("index_error").Default(""),
		field.Bool("archived").Default(false),
	}
}

// Indexes of the FieldDefinition.
func (FieldDefinition) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "entity", "key").Unique()}
}
