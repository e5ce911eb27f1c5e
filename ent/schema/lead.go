package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Lead is a chance to sell or to serve: an identity, its attributes (built-in
// and the workspace's custom fields) and where it stands in the pipeline and pools.
type Lead struct{ ent.Schema }

// Mixin of the Lead.
func (Lead) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Lead}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Lead.
func (Lead) Fields() []ent.Field {
	return []ent.Field{
		// seq is the dense per-workspace number segment bitmaps are built from.
		field.Int64("seq").Immutable(),
		field.String("name").Default("").MaxRuneLen(200).
			Annotations(entgql.OrderField("NAME")),
		// phone is E.164; email is lower-case. They are exposed by resolvers
		// that mask them for roles without the lead.contact grant, and get no
		// generated filters: substring filters would reveal masked values.
		field.String("phone").Optional().Nillable().
			Annotations(entgql.Skip()),
		field.String("email").Optional().Nillable().
			Annotations(entgql.Skip()),
		field.String("union_id").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("open_id").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("external_id").Optional().Nillable(),
		// wecom_external_user_id is the customer's external_userid in the
		// workspace's WeCom corp (internal/wecom): an identity key like the
		// others; the members who have the customer are its WeComContacts.
		field.String("wecom_external_user_id").Optional().Nillable().MaxRuneLen(64).
			Annotations(entgql.Skip()),
		field.String("company").Default("").MaxRuneLen(200),
		field.String("source").Default("").MaxRuneLen(100),
		field.String("source_detail").Default("").MaxRuneLen(500),
		field.Enum("status").Values("ACTIVE", "MERGED", "ARCHIVED").Default("ACTIVE").
			Annotations(entgql.Type("LeadStatus")),
		field.Int("score").Default(0).
			Annotations(entgql.OrderField("SCORE")),
		field.Enum("tier").Values("A", "B", "C", "D").Optional().Nillable().
			Annotations(entgql.Type("LeadTier")),
		// attributes holds the custom-field values, written only through
		// internal/fields which validates them against the workspace's definitions.
		field.JSON("attributes", map[string]any{}).Default(map[string]any{}).
			SchemaType(map[string]string{dialect.Postgres: "jsonb"}).
			Annotations(entgql.Skip()),
		field.UUID("owner_id", gidUUID).Optional().Nillable(),
		field.UUID("pool_id", gidUUID).Optional().Nillable(),
		field.UUID("stage_id", gidUUID).Optional().Nillable(),
		field.UUID("territory_id", gidUUID).Optional().Nillable(),
		field.UUID("partner_id", gidUUID).Optional().Nillable(),
		field.UUID("merged_into_id", gidUUID).Optional().Nillable().
			Annotations(entgql.Skip()),
		field.Time("claimed_at").Optional().Nillable().
			Annotations(entgql.OrderField("CLAIMED_AT")),
		field.Time("protected_until").Optional().Nillable(),
		field.Time("last_follow_up_at").Optional().Nillable().
			Annotations(entgql.OrderField("LAST_FOLLOW_UP_AT")),
		// locked leads (a manager's lock) are never recycled.
		field.Bool("locked").Default(false),
		// reachable lists the channels the lead can be contacted on (PHONE,
		// SMS, WECOM, OFFICIAL_ACCOUNT, EMAIL), derived from its identities
		// when they are written. Suppressions are checked separately.
		field.Strings("reachable").Default([]string{}).
			SchemaType(map[string]string{dialect.Postgres: "jsonb"}).
			Annotations(entgql.Skip()),
		// referrer is the lead who referred this one (转介绍).
		field.UUID("referrer_id", gidUUID).Optional().Nillable(),
	}
}

// Edges of the Lead.
func (Lead) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("owner", User.Type).Field("owner_id").Unique(),
		edge.To("pool", Pool.Type).Field("pool_id").Unique(),
		edge.To("stage", Stage.Type).Field("stage_id").Unique(),
		edge.To("territory", Territory.Type).Field("territory_id").Unique(),
		edge.To("partner", Partner.Type).Field("partner_id").Unique(),
		edge.To("tags", Tag.Type).Through("lead_tags", LeadTag.Type),
		edge.To("stage_changes", StageChange.Type).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("follow_ups", FollowUp.Type).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("deals", Deal.Type).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("owner_changes", OwnerChange.Type).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("touches", SourceTouch.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("wecom_contacts", WeComContact.Type).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		edge.To("referrals", Lead.Type).From("referrer").Field("referrer_id").Unique().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the Lead.
func (Lead) Indexes() []ent.Index {
	active := func(col string) ent.Index {
		return index.Fields("tenant_id", col).Unique().
			Annotations(entsql.IndexWhere("status = 'ACTIVE' AND " + col + " IS NOT NULL"))
	}
	return []ent.Index{
		index.Fields("tenant_id", "seq").Unique(),
		index.Fields("tenant_id", "owner_id"),
		index.Fields("tenant_id", "pool_id"),
		index.Fields("tenant_id", "stage_id"),
		index.Fields("tenant_id", "territory_id"),
		// The lists' default order (created_at DESC, id DESC) read off one
		// index: with created_at alone, leads written in one transaction
		// share a timestamp and a page sorted all of them (a 1,000,000-lead
		// workspace seeded at once: 1.9 s a page). status is included so the
		// list's count of active leads is an index-only scan (370 ms → 140 ms
		// at 1,000,000 leads with 50 custom fields, whose heap is wide).
		index.Fields("tenant_id", "created_at", "id").
			Annotations(entsql.IncludeColumns("status")),
		// Identity keys are unique among active leads, so concurrent ingests of
		// the same person cannot both insert.
		active("phone"),
		active("email"),
		active("union_id"),
		active("external_id"),
		active("wecom_external_user_id"),
		// Duplicate review (internal/duplicates): an active lead's phone or
		// email is unique, so a shared one always involves an archived lead;
		// these hold only the archived leads' and stay small.
		index.Fields("tenant_id", "phone").StorageKey("lead_archived_phone").
			Annotations(entsql.IndexWhere("status = 'ARCHIVED' AND phone IS NOT NULL")),
		index.Fields("tenant_id", "email").StorageKey("lead_archived_email").
			Annotations(entsql.IndexWhere("status = 'ARCHIVED' AND email IS NOT NULL")),
		// Active leads by company and name, for the NAME_COMPANY review:
		// company and name are indexed lower-cased and trimmed (the expressions
		// are internal/migrationgen.IndexExpressions: ent names columns only),
		// and read index-only, so the columns themselves are included too
		// (PostgreSQL reads an expression index only when it has every column
		// the expressions use).
		index.Fields("tenant_id", "company", "name").StorageKey("lead_active_company_name").
			Annotations(entsql.IndexWhere("status = 'ACTIVE' AND company <> '' AND name <> ''"),
				entsql.IncludeColumns("company", "name", "created_at", "id")),
	}
}

// Annotations of the Lead.
func (Lead) Annotations() []schemaAnnotation {
	// The leads root field is hand-written (graph/schema/lowcode.graphql) so it
	// can also sort by a custom field.
	return []schemaAnnotation{entgql.RelayConnection()}
}
