package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Channel is a workspace's configuration of one channel plugin (webhook,
// email, sms, wecom). Secret keys of the config are stored encrypted, apart
// from the rest.
type Channel struct{ ent.Schema }

// Mixin of the Channel.
func (Channel) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Channel}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Channel.
func (Channel) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().MaxRuneLen(50).Immutable(),
		field.Bool("enabled").Default(true),
		// config is the plugin's configuration without its secret keys.
		field.JSON("config", map[string]any{}).Default(map[string]any{}).
			Annotations(entgql.Skip()),
		// secrets is the AES-GCM sealed JSON of the secret keys.
		field.Bytes("secrets").Optional().Sensitive().
			Annotations(entgql.Skip()),
	}
}

// Indexes of the Channel.
func (Channel) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "key").Unique()}
}

// Annotations of the Channel.
func (Channel) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("channels")}
}
