package schema

import "entgo.io/ent"

// UserTerritory is a territory a user covers (user_territories).
type UserTerritory struct{ ent.Schema }

// Mixin of the UserTerritory.
func (UserTerritory) Mixin() []ent.Mixin { return joinMixins() }

// Fields of the UserTerritory.
func (UserTerritory) Fields() []ent.Field { return joinFields("user_id", "territory_id") }

// Edges of the UserTerritory.
func (UserTerritory) Edges() []ent.Edge {
	return []ent.Edge{joinEdge("user", User.Type, "user_id"), joinEdge("territory", Territory.Type, "territory_id")}
}

// Annotations of the UserTerritory.
func (UserTerritory) Annotations() []schemaAnnotation {
	return joinAnnotations("user_id", "territory_id")
}
