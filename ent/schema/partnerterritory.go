package schema

import "entgo.io/ent"

// PartnerTerritory is a territory a partner works in (partner_territories).
type PartnerTerritory struct{ ent.Schema }

// Mixin of the PartnerTerritory.
func (PartnerTerritory) Mixin() []ent.Mixin { return joinMixins() }

// Fields of the PartnerTerritory.
func (PartnerTerritory) Fields() []ent.Field { return joinFields("partner_id", "territory_id") }

// Edges of the PartnerTerritory.
func (PartnerTerritory) Edges() []ent.Edge {
	return []ent.Edge{joinEdge("partner", Partner.Type, "partner_id"), joinEdge("territory", Territory.Type, "territory_id")}
}

// Annotations of the PartnerTerritory.
func (PartnerTerritory) Annotations() []schemaAnnotation {
	return joinAnnotations("partner_id", "territory_id")
}
