package fields

import "slices"

// Descriptor is what a field type declares about itself besides coercion:
// the filter operators it takes and whether its values are contact data.
// Each field_<type>.go returns its own, and every layer that needs these
// facts reads them here (the attribute filter builder, the typed GraphQL
// schema, segment rules, the rule language, the fieldTypes query the web
// app reads), so they cannot disagree.
type Descriptor struct {
	// Ops are the filter operators of the type, in the order a UI offers them.
	Ops []Op
	// Mask hides most of a value from a viewer without the lead.contact
	// grant (138****5678); nil for types that are not contact data. A viewer
	// who sees a type masked can neither filter, sort nor segment by it:
	// every operator, even EQ, would let them guess the hidden part.
	Mask func(string) string
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
