package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/gid"
)

// ContactWay is a contact-way QR code (渠道活码) made with WeCom's
// add_contact_way: a customer who scans it adds one of its members, and the
// add's callback carries the code's state, unique per workspace. The
// customer becomes (or merges into) a lead with the code's source and tags,
// owned as the strategy says, and gets the code's welcome message.
type ContactWay struct{ ent.Schema }

// Mixin of the ContactWay.
func (ContactWay) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.ContactWay}, TenantMixin{}, TimeMixin{}}
}

// Fields of the ContactWay.
func (ContactWay) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		// state is what WeCom sends back in the add's State (at most 30
		// characters there).
		field.String("state").NotEmpty().MaxRuneLen(30).Immutable(),
		// config_id is WeCom's id of the code.
		field.String("config_id").MaxRuneLen(64).Immutable().Annotations(entgql.Skip()),
		field.String("qr_code_url").MaxRuneLen(1000).Immutable().
			Annotations(entgql.Skip()),
		// user_ids are the code's members (users linked to WeCom members).
		field.JSON("user_ids", []uuid.UUID{}).Annotations(entgql.Skip()),
		// FIXED: the member the customer added owns the lead; ROUND_ROBIN
		// and LEAST_LOADED route it among user_ids.
		field.Enum("strategy").Values("FIXED", "ROUND_ROBIN", "LEAST_LOADED").Default("FIXED").
			Annotations(entgql.Type("ContactWayStrategy")),
		field.String("source").Default("wecom").MaxRuneLen(100),
		field.JSON("tag_ids", []uuid.UUID{}).Optional().Annotations(entgql.Skip()),
		field.String("welcome_message").Default("").MaxRuneLen(4000),
		// welcome_attachments go with the welcome message (send_welcome_msg:
		// images, links, mini-programs; at most 9).
		field.JSON("welcome_attachments", []schematype.WelcomeAttachment{}).Optional().Annotations(entgql.Skip()),
		field.Bool("skip_verify").Default(true),
		// pool_id is where a lead waits when no member can take it.
		field.UUID("pool_id", gidUUID).Optional().Nillable().Annotations(entgql.Skip()),
		// rr_next is the round-robin position.
		field.Int("rr_next").Default(0).Annotations(entgql.Skip()),
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		// deleted_at: deleteContactWay removed the code in WeCom
		// (del_contact_way); the row stays for its adds and stats, out of
		// the list.
		field.Time("deleted_at").Optional().Nillable().Annotations(entgql.Skip()),
	}
}

// Edges of the ContactWay.
func (ContactWay) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("adds", ContactWayAdd.Type).
			Annotations(entgql.Skip(), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the ContactWay.
func (ContactWay) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "state").Unique(),
	}
}

// Annotations of the ContactWay: a Node; contactWays lists them.
func (ContactWay) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entsql.Annotation{Table: "contact_ways"},
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// ContactWayAdd is one customer added through a contact-way code: the lead
// it became (CREATED) or merged into (MERGED), and the welcome message's
// fate.
type ContactWayAdd struct{ ent.Schema }

// Mixin of the ContactWayAdd.
func (ContactWayAdd) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.ContactWayAdd}, TenantMixin{}}
}

// Fields of the ContactWayAdd.
func (ContactWayAdd) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("contact_way_id", gidUUID).Immutable(),
		field.UUID("user_id", gidUUID).Immutable(),
		field.String("external_user_id").MaxRuneLen(64).Immutable(),
		field.UUID("lead_id", gidUUID).Optional().Nillable(),
		field.Enum("outcome").Values("CREATED", "MERGED", "REJECTED").Immutable(),
		field.Time("added_at").Immutable(),
		// welcome_code is WeCom's one-use code for the welcome message,
		// valid 20 seconds from the add.
		field.String("welcome_code").Default("").MaxRuneLen(256).Immutable(),
		// NONE: no message to send; PENDING: queued; SENT; EXPIRED: the
		// window closed first; FAILED: WeCom refused it (welcome_error).
		field.Enum("welcome_status").Values("NONE", "PENDING", "SENT", "EXPIRED", "FAILED").Default("NONE"),
		field.String("welcome_error").Optional().Nillable().MaxRuneLen(500),
		field.Time("welcome_sent_at").Optional().Nillable(),
	}
}

// Edges of the ContactWayAdd.
func (ContactWayAdd) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("contact_way", ContactWay.Type).Ref("adds").Field("contact_way_id").Unique().Required().Immutable(),
	}
}

// Indexes of the ContactWayAdd.
func (ContactWayAdd) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "contact_way_id", "added_at"),
		index.Fields("tenant_id", "lead_id"),
	}
}

// Annotations of the ContactWayAdd: internal, not part of the GraphQL API.
func (ContactWayAdd) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entsql.Annotation{Table: "contact_way_adds"}, entgql.Skip(entgql.SkipAll)}
}
