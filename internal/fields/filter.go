package fields

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"
)

// Op is a filter operator on a custom field; the values are the GraphQL
// CompareOp enum.
type Op string

// The filter operators. NEQ and NOT_IN are the exact complements of EQ and
// IN: they match every lead the positive form does not, including leads
// with no value. Plain SQL (value <> x) would silently drop those leads,
// and "status is not won" is expected to list leads without a status too.
// Use IS_NOT_EMPTY alongside to exclude them.
const (
	OpEQ         Op = "EQ"
	OpNEQ        Op = "NEQ"
	OpIn         Op = "IN"
	OpNotIn      Op = "NOT_IN"
	OpContains   Op = "CONTAINS"
	OpGT         Op = "GT"
	OpGTE        Op = "GTE"
	OpLT         Op = "LT"
	OpLTE        Op = "LTE"
	OpBetween    Op = "BETWEEN"
	OpIsEmpty    Op = "IS_EMPTY"
	OpIsNotEmpty Op = "IS_NOT_EMPTY"
)

var allOps = []Op{OpEQ, OpNEQ, OpIn, OpNotIn, OpContains, OpGT, OpGTE, OpLT, OpLTE, OpBetween, OpIsEmpty, OpIsNotEmpty}

// Valid reports whether o is one of the operators above.
func (o Op) Valid() bool { return slices.Contains(allOps, o) }

// MaxListValues bounds the list of IN and NOT_IN (and CONTAINS on
// MULTI_SELECT): each value is a bound parameter, and a filter is not a bulk
// lookup.
const MaxListValues = 1000

// maxContains bounds the text of a CONTAINS filter.
const maxContains = 1000

// expr writes SQL about the attributes column col. col is SQL text built by
// the caller's selector (s.C("attributes")), never input; keys and values are
// always written with b.Arg, so they reach PostgreSQL as parameters.
type expr func(b *sql.Builder, col string)

// Shapes of the stored value of key. Each is parenthesised so that it can be
// used as an operand anywhere.
func jsonAt(key string) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(" + col + " -> ").Arg(key).WriteString("::text)")
	}
}

func textAt(key string) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(" + col + " ->> ").Arg(key).WriteString("::text)")
	}
}

// stringAt is the text of JSON strings only: what CONTAINS searches and text
// sorts, so that a list or object left in a text field (its JSON text) is not
// mistaken for a value.
func stringAt(key string) expr { return typedAt(key, "string", "") }

// numberAt casts only values whose JSON type is number, in the same CASE, so
// a string left by an old TEXT definition reads as NULL instead of failing
// the whole query with "invalid input syntax for type numeric".
func numberAt(key string) expr { return typedAt(key, "number", "::numeric") }

// typedAt is the text of key cast by cast when its JSON type is jsonType,
// else NULL.
func typedAt(key, jsonType, cast string) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(CASE WHEN jsonb_typeof")
		jsonAt(key)(b, col)
		b.WriteString(" = '" + jsonType + "' THEN ")
		textAt(key)(b, col)
		b.WriteString(cast + " END)")
	}
}

// Canonical shapes of DATE and DATETIME values. Comparing canonical strings
// needs no cast at all, so a stored "2025-02-30" cannot raise "date/time
// field value out of range" (a regex guard alone would let it through to a
// ::date cast); values of another shape read as NULL and match no range.
const (
	dateShape     = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	dateTimeShape = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`
)

// timeAt compares in the C collation: byte order is the order of fixed-width
// ISO strings whatever the database's locale.
func timeAt(key, shape string) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("((CASE WHEN ")
		textAt(key)(b, col)
		b.WriteString(" ~ '" + shape + "' THEN ")
		textAt(key)(b, col)
		b.WriteString(` END) COLLATE "C")`)
	}
}

// emptyAt is true for a missing key, JSON null, "" and []: every spelling
// of "no value", including ones written before Validate dropped them. It is
// never NULL, so NOT of it is safe.
func emptyAt(key string) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(COALESCE(")
		jsonAt(key)(b, col)
		b.WriteString(`, 'null'::jsonb) IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb))`)
	}
}

func compare(x expr, op string, arg any, cast string) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(")
		x(b, col)
		b.WriteString(" " + op + " ").Arg(arg).WriteString(cast + ")")
	}
}

func inList(x expr, args []any, cast string) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(")
		x(b, col)
		b.WriteString(" IN (")
		for i, a := range args {
			if i > 0 {
				b.Comma()
			}
			b.Arg(a).WriteString(cast)
		}
		b.WriteString("))")
	}
}

func between(x expr, lo, hi any, cast string) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(")
		x(b, col)
		b.WriteString(" BETWEEN ").Arg(lo).WriteString(cast + " AND ").Arg(hi).WriteString(cast + ")")
	}
}

// notTrue is the complement of e under SQL's three-valued logic: it holds
// where e is false or NULL (no value, a value of another type).
func notTrue(e expr) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(")
		e(b, col)
		b.WriteString(" IS NOT TRUE)")
	}
}

func not(e expr) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(NOT ")
		e(b, col)
		b.WriteString(")")
	}
}

// Predicate returns a filter on the attributes column of the selector's
// table, for ent's Where (it is a predicate.Lead) or a segment's selector.
// value is a decoded JSON value: a scalar for EQ, NEQ, GT, GTE, LT, LTE and
// CONTAINS; a non-empty list (at most MaxListValues) for IN and NOT_IN; a
// list [lo, hi] for the inclusive BETWEEN; ignored for IS_EMPTY and
// IS_NOT_EMPTY. Values are coerced like stored values (a DATETIME filter
// value in +08:00 compares with stored UTC values, a SELECT label finds its
// option), without the definition's pattern and bounds, which constrain
// what is stored, not what is searched for.
//
// Comparisons follow the type: NUMBER and MONEY numerically (9 < 10), DATE
// and DATETIME chronologically, text exactly (CONTAINS is a case-insensitive
// substring), MULTI_SELECT by membership (EQ: has the choice, IN: has any,
// CONTAINS: has all, NOT_IN: has none). Stored values of another JSON type
// or shape, left by a definition change (a string in a NUMBER field, a
// DATETIME with an offset, a string in a MULTI_SELECT), read as no value: they
// match no comparison, only NEQ and NOT_IN, and they never make the query
// fail. Text EQ and IN compare the value's JSON text, so a number stored
// in a TEXT field matches its digits, as Coerce would convert it.
//
// The key must pass ValidKey and is sent as a parameter like every value;
// nothing from def or value is written into the SQL text. Errors wrap
// ErrInvalidValue: a bad key, an operator the type does not support (GT on
// BOOLEAN, CONTAINS on NUMBER) or a value that does not fit.
func Predicate(def Definition, op Op, value any) (func(*sql.Selector), error) {
	e, err := compile(def, op, value)
	if err != nil {
		return nil, err
	}
	return func(s *sql.Selector) {
		col := s.C("attributes")
		s.Where(sql.P(func(b *sql.Builder) { e(b, col) }))
	}, nil
}

// Condition is Predicate for callers that assemble SQL themselves (segment
// compilation): the same filter as a predicate on column, a column reference
// written verbatim into the SQL. column must come from code, e.g. a
// selector's C("attributes"), never from input.
func Condition(column string, def Definition, op Op, value any) (*sql.Predicate, error) {
	e, err := compile(def, op, value)
	if err != nil {
		return nil, err
	}
	return sql.P(func(b *sql.Builder) { e(b, column) }), nil
}

func compile(def Definition, op Op, value any) (expr, error) {
	if err := ValidKey(def.Key); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidValue, err)
	}
	desc, ok := Describe(def.Type)
	if !ok {
		return nil, invalid("unknown field type %q", def.Type)
	}
	if !op.Valid() {
		return nil, invalid("unknown filter operator %q", truncate(string(op), 40))
	}
	if !slices.Contains(desc.Ops, op) {
		return nil, invalid("%s cannot filter %s fields", op, def.Type)
	}
	switch op {
	case OpIsEmpty:
		return emptyAt(def.Key), nil
	case OpIsNotEmpty:
		return not(emptyAt(def.Key)), nil
	}
	return desc.Storage.compile(searchable(def, desc), op, value)
}

// searchable is def without what constrains stored values only: a filter
// "amount > 5" is meaningful on a field whose values must be at least 10,
// and filter values are read by the type's FilterAs (MONEY filter values may
// have more decimals than amounts).
func searchable(def Definition, desc Descriptor) Definition {
	d := def
	d.Pattern, d.Min, d.Max, d.Default, d.Required = "", nil, nil, nil, false
	if desc.FilterAs != "" {
		d.Type = desc.FilterAs
	}
	return d
}

// compileOrdered builds EQ, NEQ, IN, NOT_IN and the range operators on the
// comparable expression x.
func compileOrdered(d Definition, op Op, value any, x expr, cast string) (expr, error) {
	switch op {
	case OpIn, OpNotIn:
		vs, err := filterList(d, op, value)
		if err != nil {
			return nil, err
		}
		in := inList(x, vs, cast)
		if op == OpNotIn {
			return notTrue(in), nil
		}
		return in, nil
	case OpBetween:
		vs, err := filterList(d, op, value)
		if err != nil {
			return nil, err
		}
		if len(vs) != 2 {
			return nil, invalid("BETWEEN needs a list of two values [low, high]")
		}
		if less(vs[1], vs[0]) {
			return nil, invalid("BETWEEN needs the low value first")
		}
		return between(x, vs[0], vs[1], cast), nil
	}
	v, err := filterScalar(d, op, value)
	if err != nil {
		return nil, err
	}
	sqlOp := map[Op]string{OpEQ: "=", OpNEQ: "=", OpGT: ">", OpGTE: ">=", OpLT: "<", OpLTE: "<="}[op]
	c := compare(x, sqlOp, v, cast)
	if op == OpNEQ {
		return notTrue(c), nil
	}
	return c, nil
}

// less orders two coerced filter values of one type: numbers, or canonical
// strings whose byte order is their order.
func less(a, b any) bool {
	switch x := a.(type) {
	case float64:
		return x < b.(float64)
	case string:
		return x < b.(string)
	}
	return false
}

// filterScalar coerces the single value of a comparison.
func filterScalar(d Definition, op Op, value any) (any, error) {
	switch value.(type) {
	case []any, []string, map[string]any:
		return nil, invalid("%s needs a single value, not %s", op, describe(value))
	}
	v, err := Coerce(d, value)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, invalid("%s needs a value; use IS_EMPTY to find leads without one", op)
	}
	return v, nil
}

// filterList coerces the values of IN, NOT_IN and BETWEEN.
func filterList(d Definition, op Op, value any) ([]any, error) {
	var raw []any
	switch v := value.(type) {
	case []any:
		raw = v
	case []string:
		for _, s := range v {
			raw = append(raw, s)
		}
	default:
		return nil, invalid("%s needs a list of values", op)
	}
	if len(raw) == 0 || len(raw) > MaxListValues {
		return nil, invalid("%s needs between 1 and %d values", op, MaxListValues)
	}
	out := make([]any, len(raw))
	for i, r := range raw {
		v, err := filterScalar(d, op, r)
		if err != nil {
			return nil, invalid("value %d: %s", i+1, message(err))
		}
		out[i] = v
	}
	return out, nil
}

// containsPattern turns a CONTAINS value into an ILIKE pattern matching it
// anywhere, with the wildcards % and _ (and the escape \) escaped so they
// match themselves: searching "50%" must not find "500".
func containsPattern(d Definition, value any) (string, error) {
	s, err := toText(value)
	if err != nil {
		return "", invalid("CONTAINS needs text")
	}
	if err := storable(s); err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid("CONTAINS needs some text to look for")
	}
	if utf8.RuneCountInString(s) > maxContains || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", invalid("CONTAINS needs at most %d characters of printable text", maxContains)
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + esc.Replace(s) + "%", nil
}

// compileMulti builds membership tests with the jsonb containment operator
// @>, which, unlike ?, ?| and ?&, cannot be mistaken for a placeholder by a
// driver, and which a GIN index on attributes can serve. Containment of a
// non-array (a stored string left by an old SELECT definition) is simply
// false.
func compileMulti(d Definition, op Op, value any) (expr, error) {
	key := d.Key
	choice := func(raw any) (string, error) {
		s, err := toString(raw)
		if err != nil || strings.TrimSpace(s) == "" {
			return "", invalid("%s needs option values", op)
		}
		i, err := resolveOption(d, s)
		if err != nil {
			return "", err
		}
		return d.Options[i].Value, nil
	}
	has := func(values ...string) string {
		b, _ := json.Marshal(values) // strings always marshal
		return string(b)
	}
	switch op {
	case OpEQ, OpNEQ:
		if isEmpty(value) {
			return nil, invalid("%s needs a value; use IS_EMPTY to find leads without one", op)
		}
		v, err := choice(single(value))
		if err != nil {
			return nil, err
		}
		c := compare(jsonAt(key), "@>", has(v), "::jsonb")
		if op == OpNEQ {
			return notTrue(c), nil
		}
		return c, nil
	case OpContains:
		raw, ok := value.([]any)
		if !ok {
			raw = []any{value}
			if ss, isStrings := value.([]string); isStrings {
				raw = make([]any, len(ss))
				for i, s := range ss {
					raw[i] = s
				}
			}
		}
		if len(raw) == 0 || len(raw) > MaxListValues {
			return nil, invalid("CONTAINS needs between 1 and %d values", MaxListValues)
		}
		all := make([]string, len(raw))
		for i, r := range raw {
			v, err := choice(r)
			if err != nil {
				return nil, err
			}
			all[i] = v
		}
		return compare(jsonAt(key), "@>", has(all...), "::jsonb"), nil
	}
	// IN, NOT_IN: has any of the values.
	raw, ok := value.([]any)
	if ss, isStrings := value.([]string); isStrings {
		raw, ok = make([]any, len(ss)), true
		for i, s := range ss {
			raw[i] = s
		}
	}
	if !ok {
		return nil, invalid("%s needs a list of values", op)
	}
	if len(raw) == 0 || len(raw) > MaxListValues {
		return nil, invalid("%s needs between 1 and %d values", op, MaxListValues)
	}
	anyOf := make([]any, len(raw))
	for i, r := range raw {
		v, err := choice(r)
		if err != nil {
			return nil, err
		}
		anyOf[i] = has(v)
	}
	in := func(b *sql.Builder, col string) {
		b.WriteString("(")
		jsonAt(key)(b, col)
		b.WriteString(" @> ANY (ARRAY[")
		for i, a := range anyOf {
			if i > 0 {
				b.Comma()
			}
			b.Arg(a).WriteString("::jsonb")
		}
		b.WriteString("]))")
	}
	if op == OpNotIn {
		return notTrue(in), nil
	}
	return in, nil
}

// Predicate is the package Predicate for the field key of this schema.
// Unknown and archived fields are refused: archived values are hidden from
// reads, so they must not be findable through filters either.
func (s *Schema) Predicate(key string, op Op, value any) (func(*sql.Selector), error) {
	def, err := s.readable(key)
	if err != nil {
		return nil, err
	}
	return Predicate(def, op, value)
}

// OrderExpr is the package OrderExpr for the field key of this schema, with
// the same refusal of unknown and archived fields as Schema.Predicate.
func (s *Schema) OrderExpr(key string, desc bool) (func(*sql.Selector), error) {
	def, err := s.readable(key)
	if err != nil {
		return nil, err
	}
	return OrderExpr(def, desc)
}

func (s *Schema) readable(key string) (Definition, error) {
	def, ok := s.Lookup(key)
	switch {
	case !ok:
		return Definition{}, invalid("%q is not a field of this workspace", truncate(key, 80))
	case def.Archived:
		return Definition{}, invalid("%q is archived", key)
	}
	return def, nil
}
