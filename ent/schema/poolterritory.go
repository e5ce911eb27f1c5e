package schema

import "entgo.io/ent"

// PoolTerritory is a territory whose reps may claim from a pool (pool_territories).
type PoolTerritory struct{ ent.Schema }

// Mixin of the PoolTerritory.
func (PoolTerritory) Mixin() []ent.Mixin { return joinMixins() }

// Fields of the PoolTerritory.
func (PoolTerritory) Fields() []ent.Field { return joinFields("pool_id", "territory_id") }

// Edges of the PoolTerritory.
func (PoolTerritory) Edges() []ent.Edge {
	return []ent.Edge{joinEdge("pool", Pool.Type, "pool_id"), joinEdge("territory", Territory.Type, "territory_id")}
}

// Annotations of the PoolTerritory.
func (PoolTerritory) Annotations() []schemaAnnotation {
	return joinAnnotations("pool_id", "territory_id")
}
