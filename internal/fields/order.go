package fields

import (
	"encoding/json"
	"fmt"

	"entgo.io/ent/dialect/sql"
)

// OrderExpr returns an ordering by a custom field for ent's Order (it is a
// lead.OrderOption) or any selector over a table with an attributes column.
// Values sort by type: numbers numerically, dates and times
// chronologically, booleans false before true, SELECT values in the order
// of the options (how "priority: high, medium, low" is meant to sort),
// MULTI_SELECT by their first choice in option order, text in the
// database's collation. Leads without a value, or with a value of the wrong
// shape, come last in both directions (NULLS LAST), so a descending sort
// does not open with a page of blanks. Add a unique tie-breaker (the id) for
// stable pages.
//
// Why it is safe: the key is checked with ValidKey and, like the option
// values, is sent as a bound parameter; the SQL text is fixed per storage.
// PostgreSQL accepts parameters in ORDER BY expressions, but not in a
// SELECT DISTINCT whose select list lacks the expression, so use it on plain
// lead queries.
func OrderExpr(def Definition, desc bool) (func(*sql.Selector), error) {
	e, err := orderBy(def, desc)
	if err != nil {
		return nil, err
	}
	return func(s *sql.Selector) {
		col := s.C("attributes")
		// Not OrderExprFunc: it renders the SQL text and drops the arguments.
		s.OrderExpr(sql.ExprFunc(func(b *sql.Builder) { e(b, col) }))
	}, nil
}

// OrderTerm is OrderExpr for callers that assemble SQL themselves: the
// ORDER BY term (with direction and NULLS LAST) over column, a column
// reference written verbatim, which must come from code, never from input.
func OrderTerm(column string, def Definition, desc bool) (sql.Querier, error) {
	e, err := orderBy(def, desc)
	if err != nil {
		return nil, err
	}
	return sql.ExprFunc(func(b *sql.Builder) { e(b, column) }), nil
}

func orderBy(def Definition, desc bool) (expr, error) {
	if err := ValidKey(def.Key); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidValue, err)
	}
	d, ok := Describe(def.Type)
	if !ok {
		return nil, invalid("unknown field type %q", def.Type)
	}
	if !d.Sortable {
		return nil, invalid("%s fields cannot be sorted by", def.Type)
	}
	x := d.Storage.order(def)
	dir := " ASC NULLS LAST"
	if desc {
		dir = " DESC NULLS LAST"
	}
	return func(b *sql.Builder, col string) {
		x(b, col)
		b.WriteString(dir)
	}, nil
}

// optionArray is the option values as a text[], sent as one JSON parameter
// (one placeholder however many options, and no driver-specific array type).
// The sub-select is uncorrelated, so PostgreSQL evaluates it once per query;
// WITH ORDINALITY keeps the option order, which ARRAY(SELECT ...) alone does
// not promise.
func optionArray(def Definition) expr {
	values := make([]string, len(def.Options))
	for i, o := range def.Options {
		values[i] = o.Value
	}
	j, _ := json.Marshal(values) // strings always marshal
	return func(b *sql.Builder, _ string) {
		b.WriteString("ARRAY(SELECT o.v FROM jsonb_array_elements_text(").Arg(string(j)).
			WriteString("::jsonb) WITH ORDINALITY AS o(v, i) ORDER BY o.i)")
	}
}
