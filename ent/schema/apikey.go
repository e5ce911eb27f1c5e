package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// APIKey lets an integration call the API without a user password. Only a hash
// of the secret is stored; the plaintext is shown once, at creation.
type APIKey struct{ ent.Schema }

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.APIKey}, TenantMixin{}, TimeMixin{}}
}

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		// prefix is the public start of the key, used to find the row before
		// comparing hashes: the lookup runs before the workspace is known, so
		// it has an index of its own; uniqueness is per workspace (a
		// distributed table's unique keys hold tenant_id), and 60 random bits
		// make a clash between workspaces a non-event that the lookup's
		// Only refuses rather than guesses.
		field.String("prefix").Immutable(),
		field.Bytes("secret_hash").Sensitive().Immutable().Annotations(entgql.Skip()),
		field.Strings("roles").Default([]string{}),
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		// expires_at, when set, is when the key stops working (refused as
		// expired from then on; createAPIKey's input.expiresAt).
		field.Time("expires_at").Optional().Nillable().Immutable(),
		// allowed_ips, when not empty, are the addresses (IPs and CIDR
		// prefixes, in netip's canonical text) requests with the key must
		// come from; the TCP peer's address is compared (docs/authorization.md).
		field.Strings("allowed_ips").Default([]string{}).Immutable().Annotations(entgql.Skip(), entsql.Default("[]")),
	}
}

// Edges of the APIKey.
func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("created_by", User.Type).Field("created_by_id").Unique().Immutable(),
	}
}

// Indexes of the APIKey.
func (APIKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "created_at"),
		index.Fields("tenant_id", "prefix").Unique(),
		index.Fields("prefix"),
	}
}

// Annotations of the APIKey.
func (APIKey) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("apiKeys")}
}
