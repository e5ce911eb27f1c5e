package fields_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/scrmhq/scrm/internal/fields"
)

// leadDefs define the keys of leadRows.
var leadDefs = map[string]fields.Definition{
	"n":   {Key: "n", Type: fields.TypeNumber},
	"amt": {Key: "amt", Type: fields.TypeMoney},
	"d":   {Key: "d", Type: fields.TypeDate},
	"dt":  {Key: "dt", Type: fields.TypeDateTime},
	"b":   {Key: "b", Type: fields.TypeBoolean},
	"s":   {Key: "s", Type: fields.TypeSelect, Options: colors},
	"ms":  {Key: "ms", Type: fields.TypeMultiSelect, Options: colors},
	"t":   {Key: "t", Type: fields.TypeText},
	"p":   {Key: "p", Type: fields.TypePhone},
	"e":   {Key: "e", Type: fields.TypeEmail},
	"u":   {Key: "u", Type: fields.TypeURL},
}

type filter struct {
	key   string
	op    fields.Op
	value any
}

func (f filter) String() string { return fmt.Sprintf("%s %s %v", f.key, f.op, f.value) }

func l(v ...any) []any { return v }

// TestPredicateMatrix runs filters against real rows and checks the exact
// matches: typed comparisons (9 < 10 numerically, dates as dates),
// containment for multi-selects, escaping for CONTAINS, empties, and the
// rule that NEQ and NOT_IN also match leads without a value.
func TestPredicateMatrix(t *testing.T) {
	t.Parallel()
	db := newLeadsDB(t)
	cases := []struct {
		filters []filter
		want    []int
	}{
		// NUMBER: numeric, not textual ("100" < "9" as text).
		{[]filter{{"n", fields.OpEQ, 10.0}}, []int{2, 8}},
		{[]filter{{"n", fields.OpEQ, "10"}}, []int{2, 8}},
		{[]filter{{"n", fields.OpNEQ, 10.0}}, []int{1, 3, 4, 5, 6, 7, 9}},
		{[]filter{{"n", fields.OpGT, 9.0}}, []int{2, 3, 8}},
		{[]filter{{"n", fields.OpGTE, 9.0}}, []int{1, 2, 3, 8}},
		{[]filter{{"n", fields.OpLT, 10.0}}, []int{1, 7}},
		{[]filter{{"n", fields.OpLTE, 10.0}}, []int{1, 2, 7, 8}},
		{[]filter{{"n", fields.OpBetween, l(9.0, 10.0)}}, []int{1, 2, 8}},
		{[]filter{{"n", fields.OpIn, l(9.0, 100.0)}}, []int{1, 3}},
		{[]filter{{"n", fields.OpNotIn, l(9.0, "100")}}, []int{2, 4, 5, 6, 7, 8, 9}},
		{[]filter{{"n", fields.OpIsEmpty, nil}}, []int{5, 6, 9}},
		{[]filter{{"n", fields.OpIsNotEmpty, nil}}, []int{1, 2, 3, 4, 7, 8}},
		// MONEY: numeric; filter values may have more decimals than amounts.
		{[]filter{{"amt", fields.OpGT, 10.0}}, []int{3}},
		{[]filter{{"amt", fields.OpLT, 0.0}}, []int{7}},
		{[]filter{{"amt", fields.OpEQ, "9.99"}}, []int{1}},
		{[]filter{{"amt", fields.OpGTE, 9.995}}, []int{2, 3}},
		// DATE: canonical strings compare as dates; "2025-1-10" (row 7) is not
		// canonical and matches nothing; "2025-02-30" (row 4) has the shape and
		// sorts where its text does, without failing the query.
		{[]filter{{"d", fields.OpEQ, "2025-1-10"}}, []int{2}},
		{[]filter{{"d", fields.OpGT, "2025-01-09"}}, []int{2, 4}},
		{[]filter{{"d", fields.OpLT, "2025-01-01"}}, []int{3}},
		{[]filter{{"d", fields.OpBetween, l("2025-01-01", "2025-01-31")}}, []int{1, 2}},
		{[]filter{{"d", fields.OpGTE, "2025-01-10T01:00:00+08:00"}}, []int{2, 4}},
		{[]filter{{"d", fields.OpIn, l("2024-12-31", "2025/01/09")}}, []int{1, 3}},
		{[]filter{{"d", fields.OpNEQ, "2025-01-10"}}, []int{1, 3, 4, 5, 6, 7, 8, 9}},
		{[]filter{{"d", fields.OpIsEmpty, nil}}, []int{5, 6, 8, 9}},
		// DATETIME: filter values are converted to UTC first.
		{[]filter{{"dt", fields.OpGT, "2025-01-10T08:00:00Z"}}, []int{2, 7}},
		{[]filter{{"dt", fields.OpEQ, "2025-01-10T17:00:00+08:00"}}, []int{2, 7}},
		{[]filter{{"dt", fields.OpLT, "2025-01-01T08:00:00+08:00"}}, []int{3}},
		{[]filter{{"dt", fields.OpBetween, l("2025-01-01T00:00:00Z", "2025-01-09T10:00:00Z")}}, []int{1}},
		{[]filter{{"dt", fields.OpIsNotEmpty, nil}}, []int{1, 2, 3, 4, 7}},
		// BOOLEAN: JSON booleans only; "yes" (row 4) is neither.
		{[]filter{{"b", fields.OpEQ, true}}, []int{1, 7}},
		{[]filter{{"b", fields.OpEQ, "false"}}, []int{2}},
		{[]filter{{"b", fields.OpNEQ, true}}, []int{2, 3, 4, 5, 6, 8, 9}},
		{[]filter{{"b", fields.OpIsEmpty, nil}}, []int{3, 5, 6, 8, 9}},
		// SELECT: values, or labels resolved to values.
		{[]filter{{"s", fields.OpEQ, "red"}}, []int{1, 7}},
		{[]filter{{"s", fields.OpEQ, "Green"}}, []int{2}},
		{[]filter{{"s", fields.OpIn, l("red", "blue")}}, []int{1, 3, 7}},
		{[]filter{{"s", fields.OpNotIn, l("red")}}, []int{2, 3, 4, 5, 6, 8, 9}},
		{[]filter{{"s", fields.OpNEQ, "red"}}, []int{2, 3, 4, 5, 6, 8, 9}},
		{[]filter{{"s", fields.OpIsEmpty, nil}}, []int{5, 6, 8}},
		// MULTI_SELECT: EQ has, IN has any, CONTAINS has all, NOT_IN has none.
		{[]filter{{"ms", fields.OpEQ, "green"}}, []int{1, 2}},
		{[]filter{{"ms", fields.OpEQ, "Red"}}, []int{1}},
		{[]filter{{"ms", fields.OpIn, l("blue", "red")}}, []int{1, 2, 7}},
		{[]filter{{"ms", fields.OpContains, l("green", "red")}}, []int{1}},
		{[]filter{{"ms", fields.OpContains, "blue"}}, []int{2, 7}},
		{[]filter{{"ms", fields.OpNotIn, l("red")}}, []int{2, 3, 4, 5, 6, 7, 8, 9}},
		{[]filter{{"ms", fields.OpNEQ, "blue"}}, []int{1, 3, 4, 5, 6, 8, 9}},
		{[]filter{{"ms", fields.OpIsEmpty, nil}}, []int{3, 5, 6, 8}},
		{[]filter{{"ms", fields.OpIsNotEmpty, nil}}, []int{1, 2, 4, 7, 9}},
		// TEXT: exact equality; CONTAINS case-insensitive with % _ \ literal.
		{[]filter{{"t", fields.OpEQ, "Hello World"}}, []int{1}},
		{[]filter{{"t", fields.OpEQ, " Hello World "}}, []int{1}},
		{[]filter{{"t", fields.OpContains, "hello"}}, []int{1, 7}},
		{[]filter{{"t", fields.OpContains, "50%"}}, []int{2}},
		{[]filter{{"t", fields.OpContains, "_"}}, []int{2}},
		{[]filter{{"t", fields.OpContains, "o'b"}}, []int{8}},
		{[]filter{{"t", fields.OpContains, `\`}}, []int{8}},
		{[]filter{{"t", fields.OpIn, l("Hello World", "hello world")}}, []int{1, 7}},
		{[]filter{{"t", fields.OpNEQ, "Hello World"}}, []int{2, 3, 4, 5, 6, 7, 8, 9}},
		{[]filter{{"t", fields.OpIsEmpty, nil}}, []int{3, 5, 6}},
		{[]filter{{"t", fields.OpIsNotEmpty, nil}}, []int{1, 2, 4, 7, 8, 9}},
		// PHONE: EQ normalises the number.
		{[]filter{{"p", fields.OpEQ, "138 0013 8000"}}, []int{1}},
		{[]filter{{"p", fields.OpIn, l("+1 650 253 0000", "13912345678")}}, []int{2, 7}},
		// EMAIL and URL.
		{[]filter{{"e", fields.OpEQ, "Zhang@Example.com"}}, []int{1}},
		{[]filter{{"e", fields.OpIsEmpty, nil}}, []int{3, 4, 5, 6, 7, 8, 9}},
		{[]filter{{"u", fields.OpEQ, "https://example.com/a"}}, []int{1}},
		{[]filter{{"u", fields.OpContains, "EXAMPLE"}}, []int{1}},
		// Filters AND together.
		{[]filter{{"n", fields.OpGT, 9.0}, {"s", fields.OpEQ, "green"}}, []int{2}},
		{[]filter{{"n", fields.OpNEQ, 10.0}, {"n", fields.OpIsNotEmpty, nil}}, []int{1, 3, 4, 7}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.filters), func(t *testing.T) {
			t.Parallel()
			var preds []func(*sql.Selector)
			for _, f := range tc.filters {
				p, err := fields.Predicate(leadDefs[f.key], f.op, f.value)
				if err != nil {
					t.Fatalf("Predicate(%v): %v", f, err)
				}
				preds = append(preds, p)
			}
			got, err := selectIDs(t, db, preds)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ids = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPredicateRejects(t *testing.T) {
	t.Parallel()
	many := make([]any, fields.MaxListValues+1)
	for i := range many {
		many[i] = float64(i)
	}
	cases := []struct {
		name  string
		def   fields.Definition
		op    fields.Op
		value any
	}{
		{"GT on BOOLEAN", leadDefs["b"], fields.OpGT, true},
		{"CONTAINS on NUMBER", leadDefs["n"], fields.OpContains, "1"},
		{"BETWEEN on TEXT", leadDefs["t"], fields.OpBetween, l("a", "b")},
		{"GT on SELECT", leadDefs["s"], fields.OpGT, "red"},
		{"unknown op", leadDefs["n"], fields.Op("LIKE"), "1"},
		{"bad key", fields.Definition{Key: "n'; DROP TABLE leads; --", Type: fields.TypeNumber}, fields.OpEQ, 1.0},
		{"reserved key", fields.Definition{Key: "status", Type: fields.TypeText}, fields.OpEQ, "x"},
		{"unknown type", fields.Definition{Key: "x", Type: "JSON"}, fields.OpEQ, "x"},
		{"EQ without value", leadDefs["n"], fields.OpEQ, nil},
		{"EQ with blank", leadDefs["t"], fields.OpEQ, "  "},
		{"EQ with list", leadDefs["n"], fields.OpEQ, l(1.0)},
		{"GT with word", leadDefs["n"], fields.OpGT, "ten"},
		{"IN not a list", leadDefs["n"], fields.OpIn, 1.0},
		{"IN empty", leadDefs["n"], fields.OpIn, l()},
		{"IN too many", leadDefs["n"], fields.OpIn, many},
		{"IN bad element", leadDefs["n"], fields.OpIn, l(1.0, "x")},
		{"BETWEEN three", leadDefs["n"], fields.OpBetween, l(1.0, 2.0, 3.0)},
		{"BETWEEN reversed", leadDefs["n"], fields.OpBetween, l(2.0, 1.0)},
		{"BETWEEN reversed dates", leadDefs["d"], fields.OpBetween, l("2025-02-01", "2025-01-01")},
		{"date February 30", leadDefs["d"], fields.OpEQ, "2025-02-30"},
		{"datetime without zone", leadDefs["dt"], fields.OpGT, "2025-01-01T00:00:00"},
		{"boolean yes", leadDefs["b"], fields.OpEQ, "yes"},
		{"unknown option", leadDefs["s"], fields.OpEQ, "pink"},
		{"unknown multi option", leadDefs["ms"], fields.OpIn, l("red", "pink")},
		{"multi CONTAINS empty", leadDefs["ms"], fields.OpContains, l()},
		{"multi EQ list of two", leadDefs["ms"], fields.OpEQ, l("red", "blue")},
		{"CONTAINS blank", leadDefs["t"], fields.OpContains, " "},
		{"CONTAINS NUL", leadDefs["t"], fields.OpContains, "a\x00"},
		{"CONTAINS bad UTF-8", leadDefs["t"], fields.OpContains, "\xff"},
		{"CONTAINS object", leadDefs["t"], fields.OpContains, map[string]any{}},
		// Contact values are matched whole (fields.Descriptor): a fragment
		// is how a masked value would be guessed.
		{"CONTAINS on PHONE", leadDefs["p"], fields.OpContains, "138-0013"},
		{"CONTAINS on EMAIL", leadDefs["e"], fields.OpContains, "corp"},
		{"phone EQ invalid", leadDefs["p"], fields.OpEQ, "123"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := fields.Predicate(tc.def, tc.op, tc.value)
			if p != nil || !errors.Is(err, fields.ErrInvalidValue) {
				t.Fatalf("Predicate = %v, %v; want an ErrInvalidValue", p != nil, err)
			}
		})
	}
}

// TestPredicateBindsEverything checks that neither the key nor the value is
// in the SQL text: both travel as parameters.
func TestPredicateBindsEverything(t *testing.T) {
	t.Parallel()
	key := "secret_key_name"
	for _, tc := range []struct {
		def   fields.Definition
		op    fields.Op
		value any
	}{
		{fields.Definition{Key: key, Type: fields.TypeText}, fields.OpContains, "needle'); DROP TABLE leads; --"},
		{fields.Definition{Key: key, Type: fields.TypeText}, fields.OpIn, l("needle'", "needle2")},
		{fields.Definition{Key: key, Type: fields.TypeNumber}, fields.OpBetween, l(123456.0, 654321.0)},
		{fields.Definition{Key: key, Type: fields.TypeDate}, fields.OpNEQ, "2031-07-19"},
		{fields.Definition{Key: key, Type: fields.TypeMultiSelect, Options: []fields.Option{{Value: "needle'"}}}, fields.OpIn, l("needle'")},
		{fields.Definition{Key: key, Type: fields.TypeBoolean}, fields.OpEQ, true},
		{fields.Definition{Key: key, Type: fields.TypeSelect, Options: []fields.Option{{Value: "needle'"}}}, fields.OpIsEmpty, nil},
	} {
		p, err := fields.Predicate(tc.def, tc.op, tc.value)
		if err != nil {
			t.Fatal(err)
		}
		s := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("leads"))
		p(s)
		o, err := fields.OrderExpr(tc.def, true)
		if err != nil {
			t.Fatal(err)
		}
		o(s)
		query, args := s.Query()
		for _, needle := range []string{key, "needle", "123456", "2031"} {
			if strings.Contains(strings.ToLower(query), needle) {
				t.Errorf("%s %s: %q is in the SQL text: %s", tc.def.Type, tc.op, needle, query)
			}
		}
		if len(args) == 0 || args[0] != key {
			t.Errorf("%s %s: key is not the first parameter: %v", tc.def.Type, tc.op, args)
		}
	}
}

// TestOrderExpr sorts real rows: numbers numerically, dates as dates,
// selects in option order, multi-selects by their first choice, values of
// the wrong shape and empties last in both directions.
func TestOrderExpr(t *testing.T) {
	t.Parallel()
	db := newLeadsDB(t)
	cases := []struct {
		key  string
		desc bool
		want []int
	}{
		{"n", false, []int{7, 1, 2, 8, 3, 4, 5, 6, 9}},
		{"n", true, []int{3, 2, 8, 1, 7, 4, 5, 6, 9}},
		{"amt", false, []int{7, 1, 2, 3, 4, 5, 6, 8, 9}},
		{"d", false, []int{3, 1, 2, 4, 5, 6, 7, 8, 9}},
		{"d", true, []int{4, 2, 1, 3, 5, 6, 7, 8, 9}},
		{"dt", false, []int{3, 1, 2, 7, 4, 5, 6, 8, 9}},
		{"b", false, []int{2, 1, 7, 3, 4, 5, 6, 8, 9}},
		{"b", true, []int{1, 7, 2, 3, 4, 5, 6, 8, 9}},
		{"s", false, []int{1, 7, 2, 3, 4, 5, 6, 8, 9}},
		{"s", true, []int{3, 2, 1, 7, 4, 5, 6, 8, 9}},
		{"ms", false, []int{1, 2, 7, 3, 4, 5, 6, 8, 9}},
		{"ms", true, []int{7, 2, 1, 3, 4, 5, 6, 8, 9}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s desc=%v", tc.key, tc.desc), func(t *testing.T) {
			t.Parallel()
			o, err := fields.OrderExpr(leadDefs[tc.key], tc.desc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := selectIDs(t, db, nil, o)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("order = %v, want %v", got, tc.want)
			}
		})
	}
	// Text sorts in the database's collation, which differs between servers;
	// what is fixed is that blanks and non-strings come last.
	for _, desc := range []bool{false, true} {
		o, err := fields.OrderExpr(leadDefs["t"], desc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := selectIDs(t, db, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		if tail := got[len(got)-4:]; !reflect.DeepEqual(tail, []int{3, 4, 5, 6}) {
			t.Errorf("text order desc=%v = %v, want 3 4 5 6 last", desc, got)
		}
	}
}

func TestSchemaPredicateAndOrder(t *testing.T) {
	t.Parallel()
	s := testSchema(t)
	if _, err := s.Predicate("t_num", fields.OpGT, 1.0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrderExpr("t_sel", false); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"old", "nope"} {
		if _, err := s.Predicate(key, fields.OpIsEmpty, nil); !errors.Is(err, fields.ErrInvalidValue) {
			t.Errorf("Predicate(%s) = %v", key, err)
		}
		if _, err := s.OrderExpr(key, false); !errors.Is(err, fields.ErrInvalidValue) {
			t.Errorf("OrderExpr(%s) = %v", key, err)
		}
	}
	if _, err := fields.OrderExpr(fields.Definition{Key: "Bad", Type: fields.TypeText}, false); !errors.Is(err, fields.ErrInvalidValue) {
		t.Errorf("OrderExpr with a bad key = %v", err)
	}
}

// TestCondition uses the column form inside a hand-built query, as segment
// compilation does.
func TestCondition(t *testing.T) {
	t.Parallel()
	db := newLeadsDB(t)
	s := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("leads").As("l"))
	p, err := fields.Condition(s.C("attributes"), leadDefs["n"], fields.OpGT, 9.0)
	if err != nil {
		t.Fatal(err)
	}
	term, err := fields.OrderTerm(s.C("attributes"), leadDefs["n"], true)
	if err != nil {
		t.Fatal(err)
	}
	s.Where(p).OrderExpr(term)
	query, args := s.Query()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if !reflect.DeepEqual(got, []int{3, 2, 8}) && !reflect.DeepEqual(got, []int{3, 8, 2}) {
		t.Fatalf("ids = %v", got)
	}
}
