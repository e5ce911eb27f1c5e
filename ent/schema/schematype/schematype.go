// Package schematype holds the Go types of JSON columns. They live apart from
// ent/schema so the generated code can use them without an import cycle.
package schematype

// WorkspaceSettings are per-workspace preferences that services read.
type WorkspaceSettings struct {
	// DefaultRegion is the ISO region used to read phone numbers without a country code.
	DefaultRegion string `json:"defaultRegion,omitempty"`
	// Timezone is the IANA zone for quiet hours, daily limits and reports.
	Timezone string `json:"timezone,omitempty"`
	// Tiers are the score thresholds of tiers A, B and C; lower scores are D.
	Tiers *TierThresholds `json:"tiers,omitempty"`
}

// TierThresholds are the lowest scores of tiers A, B and C (A > B > C).
type TierThresholds struct {
	A int `json:"a"`
	B int `json:"b"`
	C int `json:"c"`
}

// FieldOption is one choice of a select field.
type FieldOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}
