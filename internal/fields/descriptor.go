package fields

import (
	"fmt"
	"slices"
	"strings"
)

// Descriptor is everything a field type declares about itself besides
// coercion and settings: how its values are stored and compared, the
// operators it takes, whether its values are contact data, and how the
// GraphQL schema, the rule language and a form present it. Each
// field_<type>.go returns its own, and every layer that needs these facts
// reads them here (the attribute filter builder and sorts, the typed GraphQL
// schema, segment rules, the rule language, the fieldTypes query the web
// app reads), so they cannot disagree and a new type is one new file.
// Register refuses an incomplete descriptor (see Check).
type Descriptor struct {
	// Ops are the filter operators of the type, in the order a UI offers them.
	Ops []Op
	// Mask hides most of a value from a viewer without the lead.contact
	// grant (138****5678); nil for types that are not contact data. A viewer
	// who sees a type masked can neither filter, sort nor segment by it:
	// every operator, even EQ, would let them guess the hidden part.
	Mask func(string) string
	// Storage is the shape of canonical values in the attributes jsonb,
	// which decides the SQL of each operator and of sorting.
	Storage *Storage
	// FilterAs is the type whose coercion reads filter values, when it is
	// not the type itself: a MONEY filter takes any number ("amount >
	// 9.995") though an amount has at most two decimals.
	FilterAs Type
	// GraphQLScalar is the GraphQL type of one value in a workspace's typed
	// schema ("String", "Float", "Boolean", "Date", "Time"). Types whose
	// storage holds options are served there as an enum of the field's
	// options instead (a list of it when the storage is a list); the
	// scalar is then what the option values are: "String".
	GraphQLScalar string
	// CEL is the type of the field's values in rule conditions
	// (attributes.<key>); the values are Storage.Read of the stored ones.
	CEL CELType
	// Widget is the input a form shows for a value (see Widget).
	Widget Widget
	// Sortable reports whether lead lists can be ordered by the field.
	Sortable bool
	// Settings are the definition settings the type takes (options,
	// pattern, what min and max mean), checked by ValidateSettings and
	// offered by the web app's field form.
	Settings Settings
}

// CELType names the type of a field in the rule language (internal/rules),
// in CEL's own spelling.
type CELType string

// The CEL types field values can have, each matching what Storage.Read
// returns: string, float64, bool, time.Time and []string.
const (
	CELString     CELType = "string"
	CELDouble     CELType = "double"
	CELBool       CELType = "bool"
	CELTimestamp  CELType = "google.protobuf.Timestamp"
	CELStringList CELType = "list(string)"
)

var celTypes = []CELType{CELString, CELDouble, CELBool, CELTimestamp, CELStringList}

// Widget names the input a form shows for a value of the type. The web app
// maps each name to a component and falls back to a one-line text input for
// names it does not know, so a new type may name a new widget.
type Widget string

// The widgets of the built-in types.
const (
	WidgetText        Widget = "text"
	WidgetTextarea    Widget = "textarea"
	WidgetNumber      Widget = "number"
	WidgetMoney       Widget = "money"
	WidgetDate        Widget = "date"
	WidgetDateTime    Widget = "datetime"
	WidgetSwitch      Widget = "switch"
	WidgetSelect      Widget = "select"
	WidgetMultiSelect Widget = "multiSelect"
	WidgetPhone       Widget = "phone"
	WidgetEmail       Widget = "email"
	WidgetURL         Widget = "url"
)

// Check reports what a descriptor lacks: operators (valid, without repeats,
// and ones its storage can build), a storage, a GraphQL scalar, a known CEL
// type, a widget, and settings that fit the storage.
func (d Descriptor) Check() error {
	var missing []string
	if len(d.Ops) == 0 {
		missing = append(missing, "operators")
	}
	for i, op := range d.Ops {
		if !op.Valid() || slices.Contains(d.Ops[:i], op) {
			missing = append(missing, fmt.Sprintf("a valid, unrepeated operator instead of %q", op))
		}
	}
	if d.Storage == nil {
		missing = append(missing, "a storage")
	} else {
		for _, op := range d.Ops {
			if !slices.Contains(d.Storage.ops, op) {
				missing = append(missing, fmt.Sprintf("operators its %s storage can build, not %s", d.Storage.name, op))
			}
		}
	}
	if d.GraphQLScalar == "" {
		missing = append(missing, "a GraphQL scalar")
	}
	if !slices.Contains(celTypes, d.CEL) {
		missing = append(missing, fmt.Sprintf("a CEL type (one of %v, not %q)", celTypes, d.CEL))
	}
	if d.Widget == "" {
		missing = append(missing, "a widget")
	}
	if d.Storage != nil && d.Settings.Options != d.Storage.options {
		missing = append(missing, "the options setting exactly when its storage holds option values")
	}
	if d.Settings.Bounds == BoundsLength && d.Settings.MaxLength <= 0 {
		missing = append(missing, "a MaxLength for its length bounds")
	}
	if len(missing) > 0 {
		return fmt.Errorf("descriptor needs %s", strings.Join(missing, ", "))
	}
	return nil
}

// ContactSensitive reports whether values of the type are contact data,
// masked without the lead.contact grant.
func (d Descriptor) ContactSensitive() bool { return d.Mask != nil }

// Operator lists shared by types stored alike. NEQ and NOT_IN are the exact
// complements of EQ and IN (see Op).
var (
	textOps    = []Op{OpEQ, OpNEQ, OpIn, OpNotIn, OpContains, OpIsEmpty, OpIsNotEmpty}
	orderedOps = []Op{OpEQ, OpNEQ, OpIn, OpNotIn, OpGT, OpGTE, OpLT, OpLTE, OpBetween, OpIsEmpty, OpIsNotEmpty}
	boolOps    = []Op{OpEQ, OpNEQ, OpIsEmpty, OpIsNotEmpty}
	choiceOps  = []Op{OpEQ, OpNEQ, OpIn, OpNotIn, OpIsEmpty, OpIsNotEmpty}
	// contactOps have no CONTAINS: like the built-in phone and email, a
	// contact value is looked up whole, never by a fragment.
	contactOps = []Op{OpEQ, OpNEQ, OpIn, OpNotIn, OpIsEmpty, OpIsNotEmpty}
)

// Describe returns the descriptor of type t; ok is false for an unknown type.
func Describe(t Type) (Descriptor, bool) {
	f, ok := registry[t]
	if !ok {
		return Descriptor{}, false
	}
	return f.Describe(), true
}

// Ops returns the operators a field of type t can be filtered with, for a UI
// to offer; nil for an unknown type.
func Ops(t Type) []Op {
	d, _ := Describe(t)
	return slices.Clone(d.Ops)
}

// ContactSensitive reports whether values of type t are contact data.
func ContactSensitive(t Type) bool {
	d, _ := Describe(t)
	return d.ContactSensitive()
}
