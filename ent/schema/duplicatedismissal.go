package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/gid"
)

// DuplicateDismissal records a reviewer's decision that the leads of a
// duplicate group are different people (不是重复, as Salesforce's and
// HubSpot's "not a duplicate"). internal/duplicates leaves a group out while
// every lead of it the viewer reads is among lead_ids under the same kind and
// key, so the group comes back, with all its leads, when another lead joins.
// The key is kept as a SHA-256 of its normalised value, not the value: a
// phone or email would otherwise sit outside the leads' masking.
type DuplicateDismissal struct{ ent.Schema }

// Mixin of the DuplicateDismissal.
func (DuplicateDismissal) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.DuplicateDismissal}, TenantMixin{}}
}

// Fields of the DuplicateDismissal.
func (DuplicateDismissal) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("PHONE", "EMAIL", "NAME_COMPANY").Immutable(),
		// sha256 of the group's normalised key (internal/duplicates keyHashSQL)
		field.Bytes("key_hash").Immutable(),
		// the leads dismissed, sorted
		field.Other("lead_ids", schematype.UUIDs{}).
			SchemaType(map[string]string{dialect.Postgres: "uuid[]"}).Immutable(),
		// sha256 of lead_ids (their 16 bytes each, in order): what the unique
		// index holds, as an index row cannot hold the array of a group of
		// more than about 170 leads (a third of a page)
		field.Bytes("leads_hash").Immutable(),
		field.UUID("dismissed_by", gidUUID).Optional().Nillable().Immutable(),
		field.Time("dismissed_at").Immutable(),
	}
}

// Indexes of the DuplicateDismissal.
func (DuplicateDismissal) Indexes() []ent.Index {
	return []ent.Index{
		// the group statement's anti-join by key; one row per set of leads
		index.Fields("tenant_id", "kind", "key_hash", "leads_hash").Unique(),
	}
}

// Annotations of the DuplicateDismissal: served by graph/schema/duplicates.graphql only.
func (DuplicateDismissal) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip()}
}
