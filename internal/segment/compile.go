package segment

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// The compiled SQL reads leads as "l", lead_tags as "lt" and events as "e";
// every subquery binds the workspace. Conditions are three-valued in SQL
// (a missing value compares as NULL) but only ever combined with AND, OR and
// "IS NOT TRUE", so a lead matches exactly when the two-valued reading of the
// rule (missing values match nothing) says so.

// env is what a compiled condition needs besides its own values.
type env struct {
	tid uuid.UUID
	now time.Time
	// probe compiles for a handful of known leads (Match: a journey's
	// batch): conditions are correlated lookups by lead, which cost the
	// same whatever the table statistics say, instead of set-wide
	// subqueries tuned for whole-workspace computations.
	probe bool
}

// expr writes one condition about the lead "l".
type expr func(b *sql.Builder, e *env)

// compileRule turns a rule without segment references into one condition.
func compileRule(sch *fields.Schema, r *Rule) (expr, error) {
	join := func(list []Rule, sep string) (expr, error) {
		parts := make([]expr, len(list))
		for i := range list {
			p, err := compileRule(sch, &list[i])
			if err != nil {
				return nil, err
			}
			parts[i] = p
		}
		return joined(parts, sep), nil
	}
	switch {
	case r.And != nil:
		return join(r.And, " AND ")
	case r.Intersect != nil:
		return join(r.Intersect, " AND ")
	case r.Or != nil:
		return join(r.Or, " OR ")
	case r.Union != nil:
		return join(r.Union, " OR ")
	case r.Not != nil:
		x, err := compileRule(sch, r.Not)
		if err != nil {
			return nil, err
		}
		return notTrue(x), nil
	case r.Difference != nil:
		parts := make([]expr, len(r.Difference))
		for i := range r.Difference {
			p, err := compileRule(sch, &r.Difference[i])
			if err != nil {
				return nil, err
			}
			if i > 0 {
				p = notTrue(p)
			}
			parts[i] = p
		}
		return joined(parts, " AND "), nil
	case r.Attribute != nil:
		return attributeExpr(sch, r.Attribute)
	case r.Tag != nil:
		return tagExpr(r.Tag), nil
	case r.Stage != nil:
		ids := txn.UUIDArray(r.Stage.In)
		return func(b *sql.Builder, _ *env) {
			b.WriteString("l.stage_id = ANY(").Arg(ids).WriteString("::uuid[])")
		}, nil
	case r.Owner != nil:
		return ownerExpr(r.Owner), nil
	case r.Event != nil:
		return eventExpr(r.Event)
	case r.Segment != nil:
		return nil, fmt.Errorf("segment: reference %s must be evaluated on bitmaps", r.Segment)
	}
	return nil, fmt.Errorf("segment: empty rule node")
}

func joined(parts []expr, sep string) expr {
	return func(b *sql.Builder, e *env) {
		b.WriteString("(")
		for i, p := range parts {
			if i > 0 {
				b.WriteString(sep)
			}
			p(b, e)
		}
		b.WriteString(")")
	}
}

// notTrue is the two-valued negation: NULL (unknown) counts as false first.
func notTrue(x expr) expr {
	return func(b *sql.Builder, e *env) {
		b.WriteString("((")
		x(b, e)
		b.WriteString(") IS NOT TRUE)")
	}
}

func attributeExpr(sch *fields.Schema, a *schematype.AttributeCondition) (expr, error) {
	if bi, ok := builtins[a.Key]; ok {
		return bi.compile(fields.Op(a.Op), a.Value)
	}
	def, ok := sch.Lookup(a.Key)
	if !ok || def.Archived {
		return nil, fmt.Errorf("%w: %q is not a field", fields.ErrInvalidValue, a.Key)
	}
	p, err := fields.Condition("l.attributes", def, fields.Op(a.Op), a.Value)
	if err != nil {
		return nil, err
	}
	return func(b *sql.Builder, _ *env) { b.Join(p) }, nil
}

// leadsWithTags is the subquery of leads carrying any of ids (with at least
// n distinct ones of them when n > 1).
func leadsWithTags(ids []uuid.UUID, n int) expr {
	arr := txn.UUIDArray(ids)
	one := ids[0]
	return func(b *sql.Builder, e *env) {
		if e.probe {
			// One probe of the (lead_id, tag_id, tenant_id) key per lead: a
			// tag the same transaction just put on the batch (a journey's
			// addTags step) looks rare to statistics gathered before, and
			// the set-wide form below then rescans its rows for every lead.
			b.WriteString("(SELECT count(DISTINCT lt.tag_id) FROM lead_tags lt WHERE lt.lead_id = l.id AND lt.tenant_id = ").Arg(e.tid).
				WriteString(" AND lt.tag_id = ANY(").Arg(arr).WriteString("::uuid[])) >= ").Arg(n)
			return
		}
		b.WriteString("l.id IN (SELECT lt.lead_id FROM lead_tags lt WHERE lt.tenant_id = ").Arg(e.tid)
		if len(ids) == 1 {
			// Equality keeps the (tenant_id, tag_id, lead_id) index's lead
			// order, so the planner can merge-join instead of scanning leads.
			b.WriteString(" AND lt.tag_id = ").Arg(one)
		} else {
			b.WriteString(" AND lt.tag_id = ANY(").Arg(arr).WriteString("::uuid[])")
		}
		if n > 1 {
			b.WriteString(" GROUP BY lt.lead_id HAVING count(DISTINCT lt.tag_id) = ").Arg(n)
		}
		b.WriteString(")")
	}
}

func tagExpr(t *schematype.TagCondition) expr {
	var parts []expr
	if len(t.Any) > 0 {
		parts = append(parts, leadsWithTags(t.Any, 1))
	}
	if all := distinct(t.All); len(all) > 0 {
		parts = append(parts, leadsWithTags(all, len(all)))
	}
	if len(t.None) > 0 {
		parts = append(parts, notTrue(leadsWithTags(t.None, 1)))
	}
	return joined(parts, " AND ")
}

func distinct(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out)
}

func ownerExpr(o *schematype.OwnerCondition) expr {
	var parts []expr
	if o.In != nil {
		ids := txn.UUIDArray(o.In)
		parts = append(parts, func(b *sql.Builder, _ *env) {
			b.WriteString("l.owner_id = ANY(").Arg(ids).WriteString("::uuid[])")
		})
	}
	if o.Public != nil {
		public := *o.Public
		parts = append(parts, func(b *sql.Builder, _ *env) {
			if public {
				b.WriteString("(l.owner_id IS NULL AND l.pool_id IS NOT NULL)")
			} else {
				b.WriteString("l.owner_id IS NOT NULL")
			}
		})
	}
	return joined(parts, " AND ")
}

// window is the event window of c at now: [from, to), either end open.
func window(c *schematype.EventCondition, now time.Time) (from, to *time.Time) {
	if c.WithinDays != nil {
		t := now.Add(-time.Duration(*c.WithinDays) * 24 * time.Hour)
		from = &t
	}
	if c.Since != nil && (from == nil || c.Since.After(*from)) {
		t := *c.Since
		from = &t
	}
	if c.Until != nil {
		t := *c.Until
		to = &t
	}
	return from, to
}

// counts returns the event condition's inclusive count range; max < 0 means
// unbounded. Without minCount the range starts at 1, or at 0 when only a
// maxCount is given ("did paid at most 0 times" = never).
func counts(c *schematype.EventCondition) (lo, hi int) {
	hi = -1
	if c.MaxCount != nil {
		hi = *c.MaxCount
	}
	switch {
	case c.MinCount != nil:
		lo = *c.MinCount
	case c.MaxCount != nil:
		lo = 0
	default:
		lo = 1
	}
	return lo, hi
}

func eventExpr(c *schematype.EventCondition) (expr, error) {
	props := make([]expr, len(c.Where))
	for i, w := range c.Where {
		p, err := propertyPredicate(w)
		if err != nil {
			return nil, err
		}
		props[i] = p
	}
	lo, hi := counts(c)
	name := c.Name
	// leads with a count in [min, max] (max < 0: unbounded).
	having := func(minimum, maximum int) expr {
		return func(b *sql.Builder, e *env) {
			from, to := window(c, e.now)
			b.WriteString("l.id IN (SELECT e.lead_id FROM events e WHERE e.tenant_id = ").Arg(e.tid).
				WriteString(" AND e.name = ").Arg(name)
			if from != nil {
				b.WriteString(" AND e.occurred_at >= ").Arg(*from)
			}
			if to != nil {
				b.WriteString(" AND e.occurred_at < ").Arg(*to)
			}
			for _, p := range props {
				b.WriteString(" AND ")
				p(b, e)
			}
			b.WriteString(" GROUP BY e.lead_id")
			switch {
			case minimum > 1 && maximum >= 0:
				b.WriteString(" HAVING count(*) BETWEEN ").Arg(minimum).WriteString(" AND ").Arg(maximum)
			case minimum > 1:
				b.WriteString(" HAVING count(*) >= ").Arg(minimum)
			case maximum >= 0:
				b.WriteString(" HAVING count(*) <= ").Arg(maximum)
			}
			b.WriteString(")")
		}
	}
	if lo >= 1 {
		return having(lo, hi), nil
	}
	// Zero events qualify: the lead is in unless it did the event more than
	// max times.
	return notTrue(having(hi+1, -1)), nil
}

// propertyOps are the operators on event properties.
var propertyOps = []fields.Op{
	fields.OpEQ, fields.OpNEQ, fields.OpIn, fields.OpNotIn, fields.OpContains,
	fields.OpGT, fields.OpGTE, fields.OpLT, fields.OpLTE, fields.OpBetween,
	fields.OpIsEmpty, fields.OpIsNotEmpty,
}

// Event properties are schemaless JSON. Equality compares JSON values (3 and
// 3.0 are equal, "3" and 3 are not); ranges compare numbers numerically and
// strings by code point, only against stored values of the same JSON type;
// CONTAINS is a case-insensitive substring of string values; empty is
// missing, null, "", [] or {}.
func propertyPredicate(w schematype.PropertyCondition) (expr, error) {
	key := w.Key
	at := func(b *sql.Builder) { b.WriteString("(e.properties -> ").Arg(key).WriteString("::text)") }
	op := fields.Op(w.Op)
	switch op {
	case fields.OpEQ, fields.OpNEQ:
		v, err := scalarJSON(w.Value)
		if err != nil {
			return nil, err
		}
		eq := func(b *sql.Builder, _ *env) {
			b.WriteString("(")
			at(b)
			b.WriteString(" = ").Arg(v).WriteString("::jsonb)")
		}
		if op == fields.OpNEQ {
			return notTrue(eq), nil
		}
		return eq, nil
	case fields.OpIn, fields.OpNotIn:
		l, ok := list(w.Value)
		if !ok || len(l) == 0 || len(l) > fields.MaxListValues {
			return nil, fmt.Errorf("%s needs a list of 1 to %d values", op, fields.MaxListValues)
		}
		vals := make(pq.StringArray, len(l))
		for i, x := range l {
			s, err := scalarJSON(x)
			if err != nil {
				return nil, err
			}
			vals[i] = s
		}
		in := func(b *sql.Builder, _ *env) {
			b.WriteString("(")
			at(b)
			b.WriteString(" = ANY(").Arg(vals).WriteString("::jsonb[]))")
		}
		if op == fields.OpNotIn {
			return notTrue(in), nil
		}
		return in, nil
	case fields.OpContains:
		s, ok := w.Value.(string)
		if !ok || s == "" || len(s) > maxTextLen {
			return nil, fmt.Errorf("CONTAINS needs a non-empty text of at most %d bytes", maxTextLen)
		}
		pattern := "%" + likeEscape(s) + "%"
		return func(b *sql.Builder, _ *env) {
			b.WriteString("(CASE WHEN jsonb_typeof(")
			at(b)
			b.WriteString(") = 'string' THEN e.properties ->> ").Arg(key).WriteString("::text END ILIKE ").Arg(pattern).WriteString("::text)")
		}, nil
	case fields.OpIsEmpty, fields.OpIsNotEmpty:
		empty := func(b *sql.Builder, _ *env) {
			b.WriteString("(COALESCE(")
			at(b)
			b.WriteString(`, 'null'::jsonb) IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb))`)
		}
		if op == fields.OpIsNotEmpty {
			return notTrue(empty), nil
		}
		return empty, nil
	case fields.OpGT, fields.OpGTE, fields.OpLT, fields.OpLTE, fields.OpBetween:
		vals := []any{w.Value}
		if op == fields.OpBetween {
			l, ok := list(w.Value)
			if !ok || len(l) != 2 {
				return nil, fmt.Errorf("BETWEEN needs a list [low, high]")
			}
			vals = l
		}
		var nums []float64
		var strs []string
		for _, v := range vals {
			switch x := v.(type) {
			case string:
				strs = append(strs, x)
			default:
				if _, isBool := v.(bool); isBool {
					return nil, fmt.Errorf("%s compares numbers or text, not %v", op, v)
				}
				n, ok := number(v)
				if !ok {
					return nil, fmt.Errorf("%s compares numbers or text, not %v", op, v)
				}
				nums = append(nums, n)
			}
		}
		if len(nums) > 0 && len(strs) > 0 {
			return nil, fmt.Errorf("BETWEEN needs two numbers or two texts")
		}
		typed := func(b *sql.Builder) {
			if len(nums) > 0 {
				b.WriteString("(CASE WHEN jsonb_typeof(")
				at(b)
				b.WriteString(") = 'number' THEN (e.properties ->> ").Arg(key).WriteString("::text)::numeric END)")
			} else {
				b.WriteString("(CASE WHEN jsonb_typeof(")
				at(b)
				b.WriteString(") = 'string' THEN e.properties ->> ").Arg(key).WriteString(`::text END) COLLATE "C"`)
			}
		}
		arg := func(b *sql.Builder, i int) {
			if len(nums) > 0 {
				b.Arg(nums[i]).WriteString("::numeric")
			} else {
				// Parenthesised: a BETWEEN bound cannot carry a bare COLLATE.
				b.WriteString("(").Arg(strs[i]).WriteString(`::text COLLATE "C")`)
			}
		}
		cmp := map[fields.Op]string{fields.OpGT: " > ", fields.OpGTE: " >= ", fields.OpLT: " < ", fields.OpLTE: " <= "}
		return func(b *sql.Builder, _ *env) {
			b.WriteString("(")
			typed(b)
			if op == fields.OpBetween {
				b.WriteString(" BETWEEN ")
				arg(b, 0)
				b.WriteString(" AND ")
				arg(b, 1)
			} else {
				b.WriteString(cmp[op])
				arg(b, 0)
			}
			b.WriteString(")")
		}, nil
	}
	return nil, fmt.Errorf("unknown operator %q", clip(w.Op))
}

// scalarJSON is the JSON text of a string, number or boolean filter value.
func scalarJSON(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if len(x) > maxTextLen {
			return "", fmt.Errorf("values are at most %d bytes", maxTextLen)
		}
	case bool:
	default:
		n, ok := number(v)
		if !ok {
			return "", fmt.Errorf("compare with a text, a number or a boolean, not %T", v)
		}
		v = n
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ---------------------------------------------------------------- built-ins

type kind int

const (
	kindText kind = iota
	kindNumber
	kindTime
	kindBool
	kindChoice
	kindRef // territory: a territory or any below it
)

// builtin is a lead column a segment rule can compare. Comparisons follow
// the custom-field rules (internal/fields): NEQ and NOT_IN are the exact
// complements of EQ and IN, text is compared exactly (CONTAINS:
// case-insensitive substring), empty text is empty.
type builtin struct {
	column  string
	kind    kind
	choices []string
}

var builtins = map[string]builtin{
	"name":           {column: "name", kind: kindText},
	"company":        {column: "company", kind: kindText},
	"source":         {column: "source", kind: kindText},
	"sourceDetail":   {column: "source_detail", kind: kindText},
	"externalID":     {column: "external_id", kind: kindText},
	"score":          {column: "score", kind: kindNumber},
	"status":         {column: "status", kind: kindChoice, choices: []string{"ACTIVE", "ARCHIVED"}},
	"tier":           {column: "tier", kind: kindChoice, choices: []string{"A", "B", "C", "D"}},
	"createdAt":      {column: "created_at", kind: kindTime},
	"updatedAt":      {column: "updated_at", kind: kindTime},
	"claimedAt":      {column: "claimed_at", kind: kindTime},
	"lastFollowUpAt": {column: "last_follow_up_at", kind: kindTime},
	"protectedUntil": {column: "protected_until", kind: kindTime},
	"locked":         {column: "locked", kind: kindBool},
	"territory":      {column: "territory_id", kind: kindRef},
}

func builtinKeys() []string {
	ks := make([]string, 0, len(builtins))
	for k := range builtins {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var kindOps = map[kind][]fields.Op{
	kindText:   {fields.OpEQ, fields.OpNEQ, fields.OpIn, fields.OpNotIn, fields.OpContains, fields.OpIsEmpty, fields.OpIsNotEmpty},
	kindNumber: {fields.OpEQ, fields.OpNEQ, fields.OpIn, fields.OpNotIn, fields.OpGT, fields.OpGTE, fields.OpLT, fields.OpLTE, fields.OpBetween},
	kindTime:   {fields.OpEQ, fields.OpNEQ, fields.OpGT, fields.OpGTE, fields.OpLT, fields.OpLTE, fields.OpBetween, fields.OpIsEmpty, fields.OpIsNotEmpty},
	kindBool:   {fields.OpEQ, fields.OpNEQ},
	kindChoice: {fields.OpEQ, fields.OpNEQ, fields.OpIn, fields.OpNotIn, fields.OpIsEmpty, fields.OpIsNotEmpty},
	kindRef:    {fields.OpEQ, fields.OpNEQ, fields.OpIn, fields.OpNotIn, fields.OpIsEmpty, fields.OpIsNotEmpty},
}

func (bi builtin) ops() []fields.Op { return kindOps[bi.kind] }

// compile returns the condition "column op value".
func (bi builtin) compile(op fields.Op, value any) (expr, error) {
	if !slices.Contains(bi.ops(), op) {
		return nil, fmt.Errorf("%w: operator %q", fields.ErrInvalidValue, clip(string(op)))
	}
	col := "l." + bi.column
	switch op {
	case fields.OpIsEmpty, fields.OpIsNotEmpty:
		empty := func(b *sql.Builder, _ *env) {
			if bi.kind == kindText {
				b.WriteString("(" + col + " IS NULL OR " + col + " = '')")
			} else {
				b.WriteString("(" + col + " IS NULL)")
			}
		}
		if op == fields.OpIsNotEmpty {
			return notTrue(empty), nil
		}
		return empty, nil
	}
	if bi.kind == kindRef {
		ids, err := idList(value)
		if err != nil {
			return nil, err
		}
		if (op == fields.OpEQ || op == fields.OpNEQ) && len(ids) != 1 {
			return nil, fmt.Errorf("%w: %s compares with one id", fields.ErrInvalidValue, op)
		}
		arr := txn.UUIDArray(ids)
		in := func(b *sql.Builder, e *env) {
			b.WriteString(col + " IN (SELECT t.id FROM territories t JOIN territories p ON p.tenant_id = t.tenant_id AND t.path LIKE p.path || '%' WHERE t.tenant_id = ").
				Arg(e.tid).WriteString(" AND p.id = ANY(").Arg(arr).WriteString("::uuid[]))")
		}
		if op == fields.OpNEQ || op == fields.OpNotIn {
			return notTrue(in), nil
		}
		return in, nil
	}
	// One value, a list, or a [low, high] pair, each coerced to the column's type.
	var vals []any
	switch op {
	case fields.OpIn, fields.OpNotIn:
		l, ok := list(value)
		if !ok || len(l) == 0 || len(l) > fields.MaxListValues {
			return nil, fmt.Errorf("%w: %s needs a list of 1 to %d values", fields.ErrInvalidValue, op, fields.MaxListValues)
		}
		vals = l
	case fields.OpBetween:
		l, ok := list(value)
		if !ok || len(l) != 2 {
			return nil, fmt.Errorf("%w: BETWEEN needs a list [low, high]", fields.ErrInvalidValue)
		}
		vals = l
	default:
		vals = []any{value}
	}
	args := make([]any, len(vals))
	cast := ""
	for i, v := range vals {
		a, c, err := bi.coerce(op, v)
		if err != nil {
			return nil, err
		}
		args[i], cast = a, c
	}
	cmp := map[fields.Op]string{fields.OpEQ: " = ", fields.OpNEQ: " = ", fields.OpGT: " > ", fields.OpGTE: " >= ", fields.OpLT: " < ", fields.OpLTE: " <= ", fields.OpContains: " ILIKE "}
	var x expr
	switch op {
	case fields.OpIn, fields.OpNotIn:
		x = func(b *sql.Builder, _ *env) {
			b.WriteString("(" + col + " IN (")
			for i, a := range args {
				if i > 0 {
					b.Comma()
				}
				b.Arg(a).WriteString(cast)
			}
			b.WriteString("))")
		}
	case fields.OpBetween:
		x = func(b *sql.Builder, _ *env) {
			b.WriteString("(" + col + " BETWEEN ").Arg(args[0]).WriteString(cast + " AND ").Arg(args[1]).WriteString(cast + ")")
		}
	default:
		x = func(b *sql.Builder, _ *env) {
			b.WriteString("(" + col + cmp[op]).Arg(args[0]).WriteString(cast + ")")
		}
	}
	if op == fields.OpNEQ || op == fields.OpNotIn {
		return notTrue(x), nil
	}
	return x, nil
}

// coerce converts one filter value to the column's type and the cast that
// goes with its parameter.
func (bi builtin) coerce(op fields.Op, v any) (any, string, error) {
	bad := func(want string) error {
		return fmt.Errorf("%w: %s compares with %s, not %v", fields.ErrInvalidValue, op, want, v)
	}
	switch bi.kind {
	case kindText:
		s, ok := v.(string)
		if !ok || len(s) > maxTextLen {
			return nil, "", bad("a text of at most 1000 bytes")
		}
		if op == fields.OpContains {
			if s == "" {
				return nil, "", bad("a non-empty text")
			}
			return "%" + likeEscape(s) + "%", "::text", nil
		}
		return s, "::text", nil
	case kindNumber:
		if _, isBool := v.(bool); isBool {
			return nil, "", bad("a number")
		}
		n, ok := number(v)
		if !ok {
			return nil, "", bad("a number")
		}
		return n, "::numeric", nil
	case kindTime:
		t, ok := instant(v)
		if !ok {
			return nil, "", bad("an RFC 3339 time or a date (YYYY-MM-DD, midnight UTC)")
		}
		return t.UTC(), "::timestamptz", nil
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, "", bad("true or false")
		}
		return b, "::boolean", nil
	case kindChoice:
		s, ok := v.(string)
		if !ok || !slices.Contains(bi.choices, s) {
			return nil, "", bad("one of " + strings.Join(bi.choices, ", "))
		}
		return s, "::text", nil
	}
	return nil, "", bad("a value")
}

// idList reads one opaque id or a list of them.
func idList(v any) ([]uuid.UUID, error) {
	l, ok := list(v)
	if !ok {
		l = []any{v}
	}
	if len(l) == 0 || len(l) > MaxIDs {
		return nil, fmt.Errorf("%w: give 1 to %d ids", fields.ErrInvalidValue, MaxIDs)
	}
	out := make([]uuid.UUID, len(l))
	for i, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %v is not an id", fields.ErrInvalidValue, x)
		}
		id, err := gid.Decode(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not an id", fields.ErrInvalidValue, clip(s))
		}
		out[i] = id
	}
	return out, nil
}
