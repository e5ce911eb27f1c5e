package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// The many-to-many edges between workspace entities (a pool's teams, a
// user's territories, ...) are ent edge schemas: each row carries tenant_id
// like every other distributed table (docs/scaling.md), which a plain ent
// join table cannot. Rows are written through the edge schema's client
// (client.PoolTeam.Create()...), whose tenancy hook stamps the workspace; the
// ends' Add…IDs setters would insert rows without one and are refused by
// the NOT NULL constraint.

// joinMixins are the mixins of a join row: tenant-owned, nothing else.
func joinMixins() []ent.Mixin { return []ent.Mixin{TenantMixin{}} }

// joinFields are the two ends of a join row.
func joinFields(a, b string) []ent.Field {
	return []ent.Field{field.UUID(a, gidUUID).Immutable(), field.UUID(b, gidUUID).Immutable()}
}

// joinEdge is one end of a join row; the row goes when that end is deleted.
func joinEdge(name string, t any, column string) ent.Edge {
	return edge.To(name, t).Field(column).Unique().Required().Immutable().
		Annotations(entsql.OnDelete(entsql.Cascade))
}

// joinAnnotations key a join row by its two ends and keep it out of GraphQL.
func joinAnnotations(a, b string) []schemaAnnotation {
	return []schemaAnnotation{field.ID(a, b), entgql.Skip()}
}
