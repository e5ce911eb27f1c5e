package fields

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

// Storage is how the canonical values of a type sit in the attributes jsonb
// column, which is what decides the SQL of every operator and sort: twelve
// types need seven storages. A type names its storage in its Descriptor, so
// a new type stored like an existing one (a percentage as a number, a
// colour as text) brings no SQL of its own, and nothing outside this file
// and the type's own file switches on the type to build a query.
//
// The storages are the package variables below; compare them by pointer.
type Storage struct {
	name string
	// jsonType is jsonb_typeof of a canonical value.
	jsonType string
	// options: values are option values of the definition (SELECT,
	// MULTI_SELECT); list: a value is a JSON array of them.
	options, list bool
	// ops are the operators compile can build; a type takes some of them.
	ops []Op
	// compile builds every operator but IS_EMPTY and IS_NOT_EMPTY, which
	// are alike for all storages (emptyAt). d is the searchable definition.
	compile func(d Definition, op Op, value any) (expr, error)
	// order is the sort expression, NULL for no value or a value of
	// another shape.
	order func(d Definition) expr
	// index is the expression a field's expression index is built on, over
	// the column attributes, for the key as a quoted SQL literal.
	index func(lit string) string
	// read turns a canonical stored value into its Go value.
	read func(raw any) (any, bool)
}

// Operators by what a storage can build. IS_EMPTY and IS_NOT_EMPTY are
// built alike for every storage.
var (
	rangeOps      = []Op{OpEQ, OpNEQ, OpIn, OpNotIn, OpGT, OpGTE, OpLT, OpLTE, OpBetween, OpIsEmpty, OpIsNotEmpty}
	searchOps     = append(slices.Clone(rangeOps), OpContains)
	equalityOps   = []Op{OpEQ, OpNEQ, OpIsEmpty, OpIsNotEmpty}
	membershipOps = []Op{OpEQ, OpNEQ, OpIn, OpNotIn, OpContains, OpIsEmpty, OpIsNotEmpty}
)

// The storages of the built-in types.
var (
	// TextStorage is a JSON string compared exactly as text; CONTAINS is a
	// case-insensitive substring; sorts in the database's collation.
	TextStorage = &Storage{name: "text", jsonType: "string", ops: searchOps,
		compile: compileText, order: orderText, index: indexText, read: readString}
	// NumberStorage is a JSON number compared numerically (9 < 10).
	NumberStorage = &Storage{name: "number", jsonType: "number", ops: rangeOps,
		compile: func(d Definition, op Op, value any) (expr, error) {
			return compileOrdered(d, op, value, numberAt(d.Key), "::numeric")
		},
		order: func(d Definition) expr { return numberAt(d.Key) },
		index: func(lit string) string {
			return fmt.Sprintf("(CASE WHEN jsonb_typeof((attributes -> %s::text)) = 'number' THEN ((attributes ->> %s::text))::numeric END)", lit, lit)
		},
		read: readNumber}
	// DateStorage is a "YYYY-MM-DD" string, compared and sorted as such
	// (fixed width: byte order is chronological order).
	DateStorage = timeStorage("date", dateShape, dateLayout)
	// DateTimeStorage is a UTC "YYYY-MM-DDTHH:MM:SSZ" string, compared
	// and sorted like DateStorage.
	DateTimeStorage = timeStorage("datetime", dateTimeShape, time.RFC3339Nano)
	// BooleanStorage is a JSON boolean; false sorts before true.
	BooleanStorage = &Storage{name: "boolean", jsonType: "boolean", ops: equalityOps,
		compile: compileBool, order: orderBool, index: indexText,
		read: func(raw any) (any, bool) { b, ok := raw.(bool); return b, ok }}
	// OptionStorage is one option value as a JSON string: equality like
	// text; sorts in the order of the options.
	OptionStorage = &Storage{name: "option", jsonType: "string", options: true, ops: searchOps,
		compile: compileText, order: orderOption, index: indexText, read: readString}
	// OptionListStorage is a JSON array of option values, compared by
	// membership; sorts by its first choice in option order.
	OptionListStorage = &Storage{name: "optionList", jsonType: "array", options: true, list: true, ops: membershipOps,
		compile: compileMulti, order: orderOptionList, index: indexText, read: readStringList}
)

func timeStorage(name, shape, layout string) *Storage {
	return &Storage{name: name, jsonType: "string", ops: rangeOps,
		compile: func(d Definition, op Op, value any) (expr, error) {
			return compileOrdered(d, op, value, timeAt(d.Key, shape), "::text")
		},
		order: func(d Definition) expr { return timeAt(d.Key, shape) },
		index: indexText,
		read:  func(raw any) (any, bool) { return readTime(raw, layout) },
	}
}

// Name names the storage ("text", "number", "date", "datetime", "boolean",
// "option", "optionList") for documentation and tests.
func (s *Storage) Name() string { return s.name }

// JSONType is jsonb_typeof of a canonical value: "string", "number",
// "boolean" or "array".
func (s *Storage) JSONType() string { return s.jsonType }

// Options reports whether values are option values of the definition, so
// that an API can offer them as an enum.
func (s *Storage) Options() bool { return s.options }

// List reports whether a value is a list (of option values).
func (s *Storage) List() bool { return s.list }

// Ops returns the operators the storage can build SQL for; a type's
// descriptor takes some of them.
func (s *Storage) Ops() []Op { return slices.Clone(s.ops) }

// Holds reports whether v, a stored value decoded from JSON, has the JSON
// type of the storage's canonical values; a value left by another type's
// definition does not.
func (s *Storage) Holds(v any) bool {
	switch v.(type) {
	case float64, int, int64, interface{ Float64() (float64, error) }:
		return s.jsonType == "number"
	case bool:
		return s.jsonType == "boolean"
	case string:
		return s.jsonType == "string"
	case []any, []string:
		return s.jsonType == "array"
	}
	return false
}

// Read returns the Go value of a canonical stored value: a float64, a bool,
// a UTC time.Time (dates and datetimes), a []string (option lists) or a
// non-empty string. Like the SQL filters, it reads only the canonical form:
// null, "", [] and a value of another shape report false.
func (s *Storage) Read(raw any) (any, bool) { return s.read(raw) }

// IndexExpr is the SQL expression an expression index on the field def is
// built on, over the column attributes: the expression the filters of its
// storage compare, so the planner can use the index. The key is checked
// with ValidKey and written as a quoted literal (DDL takes no parameters).
func IndexExpr(def Definition) (string, error) {
	if err := ValidKey(def.Key); err != nil {
		return "", err
	}
	d, ok := Describe(def.Type)
	if !ok {
		return "", invalid("unknown field type %q", def.Type)
	}
	return d.Storage.index(pq.QuoteLiteral(def.Key)), nil
}

func indexText(lit string) string { return fmt.Sprintf("((attributes ->> %s::text))", lit) }

// compileText is equalityOps on the text of the value, and CONTAINS as a
// substring of JSON strings.
func compileText(d Definition, op Op, value any) (expr, error) {
	if op == OpContains {
		pattern, err := containsPattern(d, value)
		if err != nil {
			return nil, err
		}
		return compare(stringAt(d.Key), "ILIKE", pattern, "::text"), nil
	}
	return compileOrdered(d, op, value, textAt(d.Key), "::text")
}

func compileBool(d Definition, op Op, value any) (expr, error) {
	v, err := filterScalar(d, op, value)
	if err != nil {
		return nil, err
	}
	key := d.Key
	eq := func(b *sql.Builder, col string) {
		b.WriteString("(")
		jsonAt(key)(b, col)
		b.WriteString(" = to_jsonb(").Arg(v).WriteString("::boolean))")
	}
	if op == OpNEQ {
		return notTrue(eq), nil
	}
	return eq, nil
}

func orderText(d Definition) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("NULLIF(")
		stringAt(d.Key)(b, col)
		b.WriteString(", '')")
	}
}

func orderBool(d Definition) expr { return typedAt(d.Key, "boolean", "::boolean") }

func orderOption(d Definition) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("array_position(")
		optionArray(d)(b, col)
		b.WriteString(", ")
		stringAt(d.Key)(b, col)
		b.WriteString(")")
	}
}

func orderOptionList(d Definition) expr {
	return func(b *sql.Builder, col string) {
		b.WriteString("(SELECT min(array_position(")
		optionArray(d)(b, col)
		b.WriteString(", e)) FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof")
		jsonAt(d.Key)(b, col)
		b.WriteString(" = 'array' THEN ")
		jsonAt(d.Key)(b, col)
		b.WriteString(" ELSE '[]'::jsonb END) AS e)")
	}
}

func readString(raw any) (any, bool) {
	s, ok := raw.(string)
	return s, ok && s != ""
}

func readNumber(raw any) (any, bool) {
	var f float64
	switch v := raw.(type) {
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil {
			return nil, false
		}
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case int32:
		f = float64(v)
	default:
		return nil, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return f, true
}

func readTime(raw any, layout string) (any, bool) {
	switch v := raw.(type) {
	case time.Time:
		return v.UTC(), true
	case string:
		t, err := time.Parse(layout, v)
		if err != nil {
			return nil, false
		}
		return t.UTC(), true
	}
	return nil, false
}

func readStringList(raw any) (any, bool) {
	switch v := raw.(type) {
	case []string:
		return v, len(v) > 0
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, len(out) > 0
	}
	return nil, false
}
