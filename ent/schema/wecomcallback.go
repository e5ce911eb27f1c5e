package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// WeComCallback is a WeCom callback already applied, by its msg_signature
// (which covers timestamp, nonce and the encrypted body): a replay of it
// meets the unique key and changes nothing. Written in the callback's own
// transaction, so a callback that failed can be retried by WeCom. Rows older
// than the accepted clock skew are useless and deleted as new ones arrive.
type WeComCallback struct{ ent.Schema }

// Mixin of the WeComCallback.
func (WeComCallback) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.WeComCallback}, TenantMixin{}}
}

// Fields of the WeComCallback.
func (WeComCallback) Fields() []ent.Field {
	return []ent.Field{
		field.String("signature").NotEmpty().MaxRuneLen(64).Immutable(),
		field.Time("received_at").Immutable(),
	}
}

// Indexes of the WeComCallback.
func (WeComCallback) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "signature").Unique(),
		index.Fields("tenant_id", "received_at"),
	}
}

// Annotations of the WeComCallback.
func (WeComCallback) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entsql.Annotation{Table: "wecom_callbacks"}, entgql.Skip(entgql.SkipAll)}
}
