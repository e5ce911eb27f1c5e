// Package newtype_test shows that a field type is one file: RATING, one to
// five stars, is declared and registered below, outside package fields,
// and then validates, filters, sorts, reads in rule conditions and appears
// in a workspace's typed GraphQL schema with no change anywhere else.
//
// It lives in a package of its own so that the built-in types' tests, which
// count and enumerate the registered types, do not see it.
package newtype_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/graph/generated"
	"github.com/scrmhq/scrm/graph/typed"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/rules"
)

// ---------------------------------------------------------------- the type
// Everything from here to the tests is what a new field_rating.go holds.

// TypeRating is a rating of one to five stars.
const TypeRating fields.Type = "RATING"

func init() { fields.Register(ratingField{}) }

// ratingField stores whole stars as a JSON number, so it is compared,
// sorted and indexed exactly like NUMBER.
type ratingField struct{}

func (ratingField) Type() fields.Type { return TypeRating }

func (ratingField) Describe() fields.Descriptor {
	return fields.Descriptor{
		Ops: []fields.Op{fields.OpEQ, fields.OpNEQ, fields.OpIn, fields.OpNotIn, fields.OpGT, fields.OpGTE,
			fields.OpLT, fields.OpLTE, fields.OpBetween, fields.OpIsEmpty, fields.OpIsNotEmpty},
		Storage:       fields.NumberStorage,
		GraphQLScalar: "Int",
		CEL:           fields.CELDouble,
		Widget:        "rating", // a widget the web app does not know: it shows a text input
		Sortable:      true,
	}
}

func (ratingField) ValidateSettings(d fields.Definition) error {
	if len(d.Options) > 0 || d.Pattern != "" || d.Min != nil || d.Max != nil {
		return &fields.SettingsError{Setting: "type", Message: "RATING fields take no settings"}
	}
	return nil
}

func (ratingField) Coerce(_ fields.Definition, raw any) (any, error) {
	var n float64
	switch v := raw.(type) {
	case nil:
		return nil, nil
	case string:
		if strings.TrimSpace(v) == "" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: must be 1 to 5 stars", fields.ErrInvalidValue)
		}
		n = f
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("%w: must be 1 to 5 stars", fields.ErrInvalidValue)
		}
		n = f
	case float64:
		n = v
	case int:
		n = float64(v)
	default:
		return nil, fmt.Errorf("%w: must be 1 to 5 stars", fields.ErrInvalidValue)
	}
	if n != math.Trunc(n) || n < 1 || n > 5 {
		return nil, fmt.Errorf("%w: must be 1 to 5 stars", fields.ErrInvalidValue)
	}
	return n, nil
}

// ---------------------------------------------------------------- the tests

var (
	stars  = fields.Definition{Key: "stars", Label: "评分", Type: TypeRating}
	number = fields.Definition{Key: "stars", Label: "评分", Type: fields.TypeNumber}
)

func TestRatingIsRegistered(t *testing.T) {
	ts := fields.Types()
	if ts[len(ts)-1] != TypeRating || !TypeRating.Valid() || len(ts) != 13 {
		t.Fatalf("Types() = %v", ts)
	}
	d, _ := fields.Describe(TypeRating)
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if err := fields.ValidateSettings(stars); err != nil {
		t.Fatal(err)
	}
}

func TestRatingValidates(t *testing.T) {
	sch, err := fields.NewSchema([]fields.Definition{stars})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sch.Validate(fields.ModeCreate, nil, map[string]any{"stars": "4"})
	if err != nil || got["stars"] != 4.0 {
		t.Fatalf("Validate = %v, %v", got, err)
	}
	if _, err := sch.Validate(fields.ModeCreate, nil, map[string]any{"stars": 6}); !errors.Is(err, fields.ErrInvalidValue) {
		t.Fatalf("6 stars: %v", err)
	}
}

// query renders a condition or an ordering as PostgreSQL.
func query(t *testing.T, where *sql.Predicate, order sql.Querier) (string, []any) {
	t.Helper()
	s := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("leads"))
	if where != nil {
		s.Where(where)
	}
	if order != nil {
		s.OrderExpr(order)
	}
	return s.Query()
}

// TestRatingFiltersAndSortsLikeNumber: the filter builder and sorts build
// for RATING exactly the SQL of NUMBER, the storage both declare, and apply
// RATING's own operators and coercion.
func TestRatingFiltersAndSortsLikeNumber(t *testing.T) {
	for _, c := range []struct {
		op    fields.Op
		value any
	}{
		{fields.OpGT, 3}, {fields.OpBetween, []any{2, "4"}}, {fields.OpNotIn, []any{1, 5}}, {fields.OpIsEmpty, nil},
	} {
		r, err := fields.Condition("attributes", stars, c.op, c.value)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		n, err := fields.Condition("attributes", number, c.op, c.value)
		if err != nil {
			t.Fatal(err)
		}
		rq, rargs := query(t, r, nil)
		nq, nargs := query(t, n, nil)
		if rq != nq || !reflect.DeepEqual(rargs, nargs) {
			t.Errorf("%s: RATING %s %v, NUMBER %s %v", c.op, rq, rargs, nq, nargs)
		}
	}
	if _, err := fields.Condition("attributes", stars, fields.OpContains, "4"); err == nil {
		t.Error("CONTAINS is not a RATING operator")
	}
	if _, err := fields.Condition("attributes", stars, fields.OpEQ, 7); err == nil {
		t.Error("7 stars is not a rating")
	}
	r, err := fields.OrderTerm("attributes", stars, true)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := fields.OrderTerm("attributes", number, true)
	rq, _ := query(t, nil, r)
	nq, _ := query(t, nil, n)
	if rq != nq {
		t.Errorf("order: RATING %s, NUMBER %s", rq, nq)
	}
	if ri, _ := fields.IndexExpr(stars); !strings.Contains(ri, "::numeric") {
		t.Errorf("IndexExpr = %s", ri)
	}
}

// TestRatingInRules: the rule language types a RATING field as its
// descriptor's CEL type and reads stored values through its storage.
func TestRatingInRules(t *testing.T) {
	env, err := rules.EnvFor(rules.Scoring, []rules.Field{{Key: "stars", Type: TypeRating}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		expr  string
		value any
		want  bool
	}{
		{`attributes.stars >= 4`, 5.0, true},
		{`attributes.stars >= 4`, json.Number("3"), false},
		{`attributes.stars == 5`, 5.0, true},  // an int literal widened for a double field
		{`has(attributes.stars)`, "5", false}, // not the canonical form: absent
	} {
		p, err := env.Compile("c", c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		f := &rules.Facts{ID: uuid.New(), Now: now, Attributes: map[string]any{"stars": c.value}}
		if got := p.Match(f); got != c.want {
			t.Errorf("%s with %#v = %v", c.expr, c.value, got)
		}
	}
	if _, err := env.Compile("c", `attributes.stars == "five"`); err == nil {
		t.Error("a RATING compared with text compiled")
	}
}

// TestRatingInTypedSchema: a workspace's typed schema serves a RATING field
// with its descriptor's GraphQL scalar and one filter per operator.
func TestRatingInTypedSchema(t *testing.T) {
	sch, err := fields.NewSchema([]fields.Definition{stars})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := typed.Build(generated.NewExecutableSchema(generated.Config{}).Schema(), sch)
	if err != nil {
		t.Fatal(err)
	}
	if f := ts.AST.Types["Lead"].Fields.ForName("stars"); f == nil || f.Type.String() != "Int" {
		t.Fatalf("Lead.stars = %v", f)
	}
	where := ts.AST.Types["LeadWhereInput"]
	for name, typ := range map[string]string{"starsGT": "Int", "starsIn": "[Int!]", "starsIsNil": "Boolean"} {
		if f := where.Fields.ForName(name); f == nil || f.Type.String() != typ {
			t.Errorf("LeadWhereInput.%s = %v, want %s", name, f, typ)
		}
	}
	if where.Fields.ForName("starsContains") != nil {
		t.Error("starsContains: CONTAINS is not a RATING operator")
	}
	if ts.AST.Types["LeadOrderField"].EnumValues.ForName("STARS") == nil {
		t.Error("no LeadOrderField STARS")
	}
}
