package schema

import "entgo.io/ent"

// PoolTeam is a team whose reps may claim from a pool (pool_teams).
type PoolTeam struct{ ent.Schema }

// Mixin of the PoolTeam.
func (PoolTeam) Mixin() []ent.Mixin { return joinMixins() }

// Fields of the PoolTeam.
func (PoolTeam) Fields() []ent.Field { return joinFields("pool_id", "team_id") }

// Edges of the PoolTeam.
func (PoolTeam) Edges() []ent.Edge {
	return []ent.Edge{joinEdge("pool", Pool.Type, "pool_id"), joinEdge("team", Team.Type, "team_id")}
}

// Annotations of the PoolTeam.
func (PoolTeam) Annotations() []schemaAnnotation { return joinAnnotations("pool_id", "team_id") }
