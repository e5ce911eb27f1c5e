package schema

import "entgo.io/ent"

// PoolAdmin is a user who administers a pool (pool_admins).
type PoolAdmin struct{ ent.Schema }

// Mixin of the PoolAdmin.
func (PoolAdmin) Mixin() []ent.Mixin { return joinMixins() }

// Fields of the PoolAdmin.
func (PoolAdmin) Fields() []ent.Field { return joinFields("pool_id", "user_id") }

// Edges of the PoolAdmin.
func (PoolAdmin) Edges() []ent.Edge {
	return []ent.Edge{joinEdge("pool", Pool.Type, "pool_id"), joinEdge("user", User.Type, "user_id")}
}

// Annotations of the PoolAdmin.
func (PoolAdmin) Annotations() []schemaAnnotation { return joinAnnotations("pool_id", "user_id") }
