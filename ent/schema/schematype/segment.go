package schematype

import (
	"time"

	"github.com/google/uuid"
)

// SegmentRule is one node of a segment rule tree (the SegmentRuleInput of the
// GraphQL contract, which binds to this type). Exactly one key is set per
// node; internal/segment validates and compiles it.
type SegmentRule struct {
	And        []SegmentRule `json:"and,omitempty"`
	Or         []SegmentRule `json:"or,omitempty"`
	Not        *SegmentRule  `json:"not,omitempty"`
	Intersect  []SegmentRule `json:"intersect,omitempty"`
	Union      []SegmentRule `json:"union,omitempty"`
	Difference []SegmentRule `json:"difference,omitempty"`

	Attribute *AttributeCondition `json:"attribute,omitempty"`
	Tag       *TagCondition       `json:"tag,omitempty"`
	Stage     *StageCondition     `json:"stage,omitempty"`
	Owner     *OwnerCondition     `json:"owner,omitempty"`
	Event     *EventCondition     `json:"event,omitempty"`
	// Segment is another saved segment: its current members.
	Segment *uuid.UUID `json:"segment,omitempty"`
}

// AttributeCondition compares a built-in or custom field with a value.
type AttributeCondition struct {
	Key   string `json:"key"`
	Op    string `json:"op"`
	Value any    `json:"value,omitempty"`
}

// TagCondition: the lead has any of Any, all of All and none of None (the
// keys that are set are ANDed).
type TagCondition struct {
	Any  []uuid.UUID `json:"any,omitempty"`
	All  []uuid.UUID `json:"all,omitempty"`
	None []uuid.UUID `json:"none,omitempty"`
}

// StageCondition: the lead is in one of the stages.
type StageCondition struct {
	In []uuid.UUID `json:"in"`
}

// OwnerCondition: the lead is owned by one of In and/or is in a public pool
// (Public true) or owned by someone (Public false); set keys are ANDed.
type OwnerCondition struct {
	In     []uuid.UUID `json:"in,omitempty"`
	Public *bool       `json:"public,omitempty"`
}

// EventCondition: the lead did Name between MinCount and MaxCount times in
// the window (the last WithinDays days and/or [Since, Until)), counting only
// events whose properties match every Where.
type EventCondition struct {
	Name       string              `json:"name"`
	MinCount   *int                `json:"minCount,omitempty"`
	MaxCount   *int                `json:"maxCount,omitempty"`
	WithinDays *int                `json:"withinDays,omitempty"`
	Since      *time.Time          `json:"since,omitempty"`
	Until      *time.Time          `json:"until,omitempty"`
	Where      []PropertyCondition `json:"where,omitempty"`
}

// PropertyCondition compares an event property with a value.
type PropertyCondition struct {
	Key   string `json:"key"`
	Op    string `json:"op"`
	Value any    `json:"value,omitempty"`
}
