// Package typed builds each workspace's own GraphQL schema, the served
// schema extended with the workspace's custom fields as real GraphQL fields
// and inputs, and rewrites requests validated against it onto the generic
// attributes machinery of the served schema, which gqlgen's generated
// executor runs.
//
// A workspace that defines budget (NUMBER) and city (SELECT) gets
//
//	extend type Lead { budget: Float  city: LeadCityOption }
//	enum LeadCityOption { SHANGHAI BEIJING }
//	extend input LeadWhereInput { budget: Float  budgetGT: Float ... cityIn: [LeadCityOption!] ... }
//	extend enum LeadOrderField { BUDGET CITY }
//	extend input UpdateLeadInput { budget: Float  city: LeadCityOption }
//	extend input LeadInput { budget: Float  city: LeadCityOption }
//
// (bulkUpdateLeads' action.update is an UpdateLeadInput, so it takes the
// same typed fields.)
//
// Requests are parsed and validated against that schema, so errors and
// introspection are the workspace's own. Rewrite then turns, in place,
// lead { b: budget } into lead { b: typedAttribute(field: $reader) },
// where: {budgetGT: 5} into where: {attributes: [{key: "budget", op: GT,
// value: 5}]}, orderBy: {field: BUDGET} into orderByAttribute: {key:
// "budget"}, and typed input fields into the attributes object; the
// response keeps the client's names and aliases because response keys are
// aliases, which the rewrite never changes.
package typed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fields"
)

// Names in the served schema that the typed schema extends.
const (
	leadType        = "Lead"
	leadWhereInput  = "LeadWhereInput"
	leadOrder       = "LeadOrder"
	leadOrderField  = "LeadOrderField"
	updateLeadInput = "UpdateLeadInput"
	leadInput       = "LeadInput"
	// bulkActionInput is bulkUpdateLeads' action, whose update (an
	// UpdateLeadInput) sets one value on many leads.
	bulkActionInput = "BulkLeadActionInput"
	// TypedAttributeField is the served field every custom-field selection
	// is rewritten to; served schemas omit it.
	TypedAttributeField = "typedAttribute"
	// attributeOrderArg is the argument a custom-field orderBy becomes.
	attributeOrderArg = "orderByAttribute"
	dateScalar        = "Date"
)

// Schema is one workspace's typed schema at one version of its field
// definitions. It is immutable and safe for concurrent use.
type Schema struct {
	// AST is the workspace's schema: validation, introspection and SDL.
	AST *ast.Schema

	lead    map[string]*custom // Lead field name → custom field
	filters map[string]filter  // LeadWhereInput field → (field, op)
	orders  map[string]string  // LeadOrderField value → key
	inputs  map[string]*custom // UpdateLeadInput / LeadInput field → custom field
	// rewrite holds the input types whose values may carry typed fields,
	// directly or through nested inputs (and/or/not, hasLeadsWith, lists).
	rewrite   map[string]bool
	typedAttr *ast.FieldDefinition
	// Skipped lists custom fields left out because their key clashes with a
	// served field (a key defined before the name was reserved); they stay
	// reachable through attributes.
	Skipped []string
}

// custom is one custom field as the typed schema serves it.
type custom struct {
	def  fields.Definition
	desc fields.Descriptor
	enum *enum // types whose storage holds options: SELECT, MULTI_SELECT
}

// enum maps option values to GraphQL enum value names and back.
type enum struct {
	name    string
	byName  map[string]string
	byValue map[string]string
}

// filter is one typed where field: the custom field, the generic operator
// it stands for, and for IsNil/NotNil the operator applied when it is true.
type filter struct {
	field *custom
	op    fields.Op
	isNil bool
}

// filterSuffix is how entgql names the filters of a built-in field, and the
// generic operator each stands for.
type filterSuffix struct {
	suffix string
	op     fields.Op
	list   bool // takes a list of values
	flag   bool // takes a Boolean: IsNil, NotNil
}

var (
	eq       = filterSuffix{"", fields.OpEQ, false, false}
	neq      = filterSuffix{"NEQ", fields.OpNEQ, false, false}
	in       = filterSuffix{"In", fields.OpIn, true, false}
	notIn    = filterSuffix{"NotIn", fields.OpNotIn, true, false}
	contains = filterSuffix{"Contains", fields.OpContains, false, false}
	gt       = filterSuffix{"GT", fields.OpGT, false, false}
	gte      = filterSuffix{"GTE", fields.OpGTE, false, false}
	lt       = filterSuffix{"LT", fields.OpLT, false, false}
	lte      = filterSuffix{"LTE", fields.OpLTE, false, false}
	isNil    = filterSuffix{"IsNil", fields.OpIsEmpty, false, true}
	notNil   = filterSuffix{"NotNil", fields.OpIsNotEmpty, false, true}
)

// bySuffix is the entgql-style filter of each operator that has one;
// BETWEEN has none (GTE and LTE together say it).
var bySuffix = map[fields.Op]filterSuffix{
	fields.OpEQ: eq, fields.OpNEQ: neq, fields.OpIn: in, fields.OpNotIn: notIn,
	fields.OpContains: contains, fields.OpGT: gt, fields.OpGTE: gte, fields.OpLT: lt, fields.OpLTE: lte,
	fields.OpIsEmpty: isNil, fields.OpIsNotEmpty: notNil,
}

// suffixes returns the filters of a field of type t: one per operator of
// the type's descriptor (fields.Ops), so PHONE and EMAIL get no substring
// filter, like the built-in phone and email. On a list (MULTI_SELECT), the
// single-value filters mean "has" and "has not", In "has any", NotIn "has
// none" and Contains "has all" (a list).
func suffixes(t fields.Type) []filterSuffix {
	d, _ := fields.Describe(t)
	var out []filterSuffix
	for _, op := range d.Ops {
		sfx, ok := bySuffix[op]
		if !ok {
			continue
		}
		if op == fields.OpContains && d.Storage.List() {
			sfx.list = true
		}
		out = append(out, sfx)
	}
	return out
}

// Build returns the typed schema of a workspace with field definitions sch
// over the served schema base. base is not modified: definitions that
// change are copied, the rest are shared.
func Build(base *ast.Schema, sch *fields.Schema) (*Schema, error) {
	need := []string{leadType, leadWhereInput, leadOrder, leadOrderField, updateLeadInput, leadInput}
	for _, n := range need {
		if base.Types[n] == nil {
			return nil, fmt.Errorf("typed schema: the served schema has no %s", n)
		}
	}
	typedAttr := base.Types[leadType].Fields.ForName(TypedAttributeField)
	if typedAttr == nil {
		return nil, fmt.Errorf("typed schema: the served schema has no Lead.%s", TypedAttributeField)
	}

	out := *base
	out.Types = maps.Clone(base.Types)
	s := &Schema{
		AST: &out, lead: map[string]*custom{}, filters: map[string]filter{},
		orders: map[string]string{}, inputs: map[string]*custom{}, typedAttr: typedAttr,
	}
	lead := copyDef(base.Types[leadType])
	lead.Fields = slices.DeleteFunc(lead.Fields, func(f *ast.FieldDefinition) bool { return f.Name == TypedAttributeField })
	where := copyDef(base.Types[leadWhereInput])
	order := copyDef(base.Types[leadOrderField])
	update := copyDef(base.Types[updateLeadInput])
	ingest := copyDef(base.Types[leadInput])
	out.Types[dateScalar] = &ast.Definition{
		Kind: ast.Scalar, Name: dateScalar,
		Description: "A calendar date, YYYY-MM-DD (custom fields of type DATE).",
	}

	var defs []fields.Definition
	if sch != nil {
		defs = sch.Definitions()
	}
	for _, d := range defs {
		if d.Archived || !d.Type.Valid() {
			continue
		}
		if clash(d.Key, lead, where, order, update, ingest) {
			s.Skipped = append(s.Skipped, d.Key)
			continue
		}
		ft, _ := fields.Describe(d.Type)
		c := &custom{def: d, desc: ft}
		if ft.Storage.Options() {
			c.enum = newEnum(&out, d)
			out.Types[c.enum.name] = c.enum.definition(d)
		}
		s.lead[d.Key] = c
		s.inputs[d.Key] = c

		desc := d.Label
		lead.Fields = append(lead.Fields, &ast.FieldDefinition{
			Name: d.Key, Description: fmt.Sprintf("%s (custom field, %s).", desc, d.Type), Type: c.outputType(),
		})
		for _, input := range []*ast.Definition{update, ingest} {
			input.Fields = append(input.Fields, &ast.FieldDefinition{
				Name: d.Key, Description: fmt.Sprintf("%s (custom field, %s); null clears it.", desc, d.Type), Type: c.inputType(),
			})
		}
		for _, sfx := range suffixes(d.Type) {
			name := d.Key + sfx.suffix
			s.filters[name] = filter{field: c, op: sfx.op, isNil: sfx.flag}
			where.Fields = append(where.Fields, &ast.FieldDefinition{
				Name: name, Type: c.filterType(sfx),
				Description: fmt.Sprintf("%s %s", desc, describeOp(sfx)),
			})
		}
		if !ft.Sortable {
			continue
		}
		s.orders[strings.ToUpper(d.Key)] = d.Key
		order.EnumValues = append(order.EnumValues, &ast.EnumValueDefinition{
			Name: strings.ToUpper(d.Key), Description: fmt.Sprintf("Order by %s (empty values last).", desc),
		})
	}
	for _, d := range []*ast.Definition{lead, where, order, update, ingest} {
		out.Types[d.Name] = d
	}
	// Interfaces list their implementations by pointer: point them at the
	// typed Lead so that introspection of Node shows its fields too.
	out.PossibleTypes = make(map[string][]*ast.Definition, len(base.PossibleTypes))
	for k, list := range base.PossibleTypes {
		list = slices.Clone(list)
		for i, d := range list {
			if d.Name == leadType {
				list[i] = lead
			}
		}
		out.PossibleTypes[k] = list
	}
	if len(s.lead) > 0 {
		s.rewrite = rewriteTypes(&out)
	}
	return s, nil
}

// Fields reports the number of custom fields the schema serves.
func (s *Schema) Fields() int { return len(s.lead) }

func copyDef(d *ast.Definition) *ast.Definition {
	c := *d
	c.Fields = slices.Clone(d.Fields)
	c.EnumValues = slices.Clone(d.EnumValues)
	return &c
}

// clash reports whether a name the key would take is already served. Keys
// are checked against the served names when they are defined
// (fields.ValidKey); this guards keys defined before a name was added.
func clash(key string, lead, where, order, update, ingest *ast.Definition) bool {
	if lead.Fields.ForName(key) != nil || update.Fields.ForName(key) != nil || ingest.Fields.ForName(key) != nil {
		return true
	}
	if order.EnumValues.ForName(strings.ToUpper(key)) != nil {
		return true
	}
	for _, t := range fields.Types() {
		for _, sfx := range suffixes(t) {
			if where.Fields.ForName(key+sfx.suffix) != nil {
				return true
			}
		}
	}
	return false
}

// rewriteTypes returns the input types whose values can hold typed fields:
// the extended inputs and every input that reaches one through its fields.
func rewriteTypes(s *ast.Schema) map[string]bool {
	need := map[string]bool{leadWhereInput: true, leadOrder: true, updateLeadInput: true, leadInput: true}
	for changed := true; changed; {
		changed = false
		for name, d := range s.Types {
			if d.Kind != ast.InputObject || need[name] {
				continue
			}
			for _, f := range d.Fields {
				if need[f.Type.Name()] {
					need[name], changed = true, true
					break
				}
			}
		}
	}
	return need
}

func named(name string, nonNull bool) *ast.Type {
	return &ast.Type{NamedType: name, NonNull: nonNull}
}

func listOf(elem *ast.Type) *ast.Type { return &ast.Type{Elem: elem} }

// scalar is the GraphQL type of one value of the field: its type's scalar,
// or the enum of its options.
func (c *custom) scalar(nonNull bool) *ast.Type {
	if c.enum != nil {
		return named(c.enum.name, nonNull)
	}
	return named(c.desc.GraphQLScalar, nonNull)
}

// outputType is nullable: leads created before a field was required, or
// whose value the caller may not see, have none.
func (c *custom) outputType() *ast.Type {
	if c.desc.Storage.List() {
		return listOf(c.scalar(true))
	}
	return c.scalar(false)
}

func (c *custom) inputType() *ast.Type { return c.outputType() }

func (c *custom) filterType(sfx filterSuffix) *ast.Type {
	switch {
	case sfx.flag:
		return named("Boolean", false)
	case sfx.list:
		return listOf(c.scalar(true))
	}
	return c.scalar(false)
}

func describeOp(sfx filterSuffix) string {
	switch sfx.op {
	case fields.OpEQ:
		return "equals (MULTI_SELECT: has the option)."
	case fields.OpNEQ:
		return "differs, or is empty (MULTI_SELECT: lacks the option)."
	case fields.OpIn:
		return "is one of (MULTI_SELECT: has any of)."
	case fields.OpNotIn:
		return "is none of, or is empty (MULTI_SELECT: has none of)."
	case fields.OpContains:
		return "contains (text: case-insensitive substring; MULTI_SELECT: has all of)."
	case fields.OpIsEmpty:
		return "is empty (when true)."
	case fields.OpIsNotEmpty:
		return "is not empty (when true)."
	}
	return string(sfx.op) + "."
}

// enumName is the GraphQL name of a select field's option enum.
func enumName(s *ast.Schema, key string) string {
	var b strings.Builder
	b.WriteString("Lead")
	for _, part := range strings.Split(key, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	b.WriteString("Option")
	name := b.String()
	if s.Types[name] != nil {
		// Another key spells the same (a_b and a__b) or a served type has
		// the name: fall back to the key itself, which is unique.
		name = "Lead_" + key + "_Option"
	}
	return name
}

var plainValue = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_ .-]*$`)

// optionName is the enum value name of an option value: the value in upper
// snake case when it is plain ASCII ("tier-1" is TIER_1), otherwise, and on
// a collision, V_ and a hash of the value, which stays the same whatever
// else changes in the options. Labels are in the value's description.
func optionName(value string, used map[string]bool) string {
	if plainValue.MatchString(value) {
		n := strings.ToUpper(strings.NewReplacer(" ", "_", ".", "_", "-", "_").Replace(value))
		if n[0] >= '0' && n[0] <= '9' {
			n = "_" + n
		}
		if !used[n] && n != "TRUE" && n != "FALSE" && n != "NULL" {
			return n
		}
	}
	sum := sha256.Sum256([]byte(value))
	return "V_" + hex.EncodeToString(sum[:5])
}

// OptionNames returns the enum value name of each option value of a
// SELECT or MULTI_SELECT field, in the options' order, as the workspace's
// typed schema names them (FieldOption.graphqlName serves them to clients).
func OptionNames(values []string) []string {
	names := make([]string, len(values))
	used := map[string]bool{}
	for i, v := range values {
		names[i] = optionName(v, used)
		used[names[i]] = true
	}
	return names
}

func newEnum(s *ast.Schema, d fields.Definition) *enum {
	e := &enum{name: enumName(s, d.Key), byName: map[string]string{}, byValue: map[string]string{}}
	values := make([]string, len(d.Options))
	for i, o := range d.Options {
		values[i] = o.Value
	}
	for i, n := range OptionNames(values) {
		e.byName[n], e.byValue[values[i]] = values[i], n
	}
	return e
}

func (e *enum) definition(d fields.Definition) *ast.Definition {
	def := &ast.Definition{Kind: ast.Enum, Name: e.name, Description: fmt.Sprintf("Choices of the custom field %s (%s).", d.Key, d.Label)}
	for _, o := range d.Options {
		desc := o.Label
		if o.Label != o.Value {
			desc = fmt.Sprintf("%s (value %q)", o.Label, o.Value)
		}
		def.EnumValues = append(def.EnumValues, &ast.EnumValueDefinition{Name: e.byValue[o.Value], Description: desc})
	}
	return def
}

// reader reads one custom field of leads for one request: it implements
// ent.AttributeReader, the argument of the rewritten selections.
type reader struct {
	ctx   context.Context
	field *custom
}

var _ ent.AttributeReader = (*reader)(nil)

// AttributeKey implements ent.AttributeReader.
func (r *reader) AttributeKey() string { return r.field.def.Key }

// ReadAttribute returns the lead's value as the generic attributes field
// shows it to the request's viewer (masked contact values included), in
// the field's GraphQL type.
func (r *reader) ReadAttribute(l *ent.Lead) any {
	v, ok := l.Attributes[r.field.def.Key]
	if !ok {
		return nil
	}
	return r.field.output(authz.MaskAttribute(r.ctx, r.field.def.Type, l.ID, v))
}

// output converts a stored value into the field's typed GraphQL form:
// option values become enum value names, and a value that does not fit the
// field's type (data older than a definition change) reads as null rather
// than breaking the declared type.
func (c *custom) output(v any) any {
	if v == nil {
		return nil
	}
	if c.enum != nil {
		return c.enum.output(v, c.desc.Storage.List())
	}
	if c.desc.Storage.Holds(v) {
		return v
	}
	return nil
}

// output maps a stored option value, or a list of them, to enum value
// names; unknown options are dropped, a value of another shape is null.
func (e *enum) output(v any, list bool) any {
	if !list {
		str, _ := v.(string)
		if n, ok := e.byValue[str]; ok {
			return n
		}
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]any, 0, len(items))
	for _, item := range items {
		str, _ := item.(string)
		if n, ok := e.byValue[str]; ok {
			out = append(out, n)
		}
	}
	return out
}
