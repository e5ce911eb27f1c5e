package segment_test

// An in-memory evaluator of segment rules for the differential test
// (differential_test.go). It is written from the documented semantics
// (internal/segment/compile.go, eval.go and internal/fields/filter.go), one
// lead at a time in plain Go, and never calls the compiler: the two must
// agree on every rule the generator produces.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/segment"
)

// memLead is one lead as stored, read back from the database.
type memLead struct {
	ID             uuid.UUID
	Seq            int64
	Name           string
	Company        string
	Source         string
	SourceDetail   string
	ExternalID     *string
	Status         string
	Score          int
	Tier           *string
	Attributes     map[string]any // decoded with json.Number for numbers
	Owner          *uuid.UUID
	Pool           *uuid.UUID
	Stage          *uuid.UUID
	Territory      *uuid.UUID
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClaimedAt      *time.Time
	LastFollowUpAt *time.Time
	ProtectedUntil *time.Time
	Locked         bool
	Tags           []uuid.UUID
	Events         []memEvent
}

// memEvent is one stored event of a lead.
type memEvent struct {
	Name       string
	Properties map[string]any // decoded with json.Number for numbers
	At         time.Time
}

// memWorld is the whole workspace as the evaluator sees it.
type memWorld struct {
	now    time.Time
	leads  []*memLead
	defs   map[string]fields.Definition
	parent map[uuid.UUID]uuid.UUID // territory -> parent (uuid.Nil for roots)
}

func memDecode(t *testing.T, raw string) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(raw)))
	d.UseNumber()
	out := map[string]any{}
	if err := d.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return out
}

// loadMemWorld reads every lead, tag, event and territory of the workspace.
func loadMemWorld(t *testing.T, ctx context.Context, c *ent.Client, tid uuid.UUID, now time.Time, defs []fields.Definition) *memWorld {
	t.Helper()
	m := &memWorld{now: now, defs: map[string]fields.Definition{}, parent: map[uuid.UUID]uuid.UUID{}}
	for _, d := range defs {
		m.defs[d.Key] = d
	}
	query := func(q string, scan func(*sql.Rows) error) {
		t.Helper()
		rows, err := c.QueryContext(ctx, q, tid)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatalf("scan %s: %v", q, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	nullUUID := func(n uuid.NullUUID) *uuid.UUID {
		if !n.Valid {
			return nil
		}
		return &n.UUID
	}
	nullString := func(n sql.NullString) *string {
		if !n.Valid {
			return nil
		}
		return &n.String
	}
	nullTime := func(n sql.NullTime) *time.Time {
		if !n.Valid {
			return nil
		}
		u := n.Time.UTC()
		return &u
	}
	byID := map[uuid.UUID]*memLead{}
	query(`SELECT id, seq, name, company, source, source_detail, external_id, status, score, tier,
		attributes::text, owner_id, pool_id, stage_id, territory_id, created_at, updated_at,
		claimed_at, last_follow_up_at, protected_until, locked
		FROM leads WHERE tenant_id = $1 ORDER BY seq`, func(r *sql.Rows) error {
		l := &memLead{}
		var ext, tier sql.NullString
		var attrs string
		var owner, pool, stage, terr uuid.NullUUID
		var claimed, follow, protected sql.NullTime
		if err := r.Scan(&l.ID, &l.Seq, &l.Name, &l.Company, &l.Source, &l.SourceDetail, &ext, &l.Status,
			&l.Score, &tier, &attrs, &owner, &pool, &stage, &terr, &l.CreatedAt, &l.UpdatedAt,
			&claimed, &follow, &protected, &l.Locked); err != nil {
			return err
		}
		l.ExternalID, l.Tier = nullString(ext), nullString(tier)
		l.Attributes = memDecode(t, attrs)
		l.Owner, l.Pool, l.Stage, l.Territory = nullUUID(owner), nullUUID(pool), nullUUID(stage), nullUUID(terr)
		l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
		l.ClaimedAt, l.LastFollowUpAt, l.ProtectedUntil = nullTime(claimed), nullTime(follow), nullTime(protected)
		m.leads = append(m.leads, l)
		byID[l.ID] = l
		return nil
	})
	query(`SELECT lead_id, tag_id FROM lead_tags WHERE tenant_id = $1 ORDER BY lead_id, tag_id`, func(r *sql.Rows) error {
		var lid, tag uuid.UUID
		if err := r.Scan(&lid, &tag); err != nil {
			return err
		}
		if l := byID[lid]; l != nil {
			l.Tags = append(l.Tags, tag)
		}
		return nil
	})
	query(`SELECT lead_id, name, properties::text, occurred_at FROM events WHERE tenant_id = $1 ORDER BY occurred_at, id`, func(r *sql.Rows) error {
		var lid uuid.UUID
		var e memEvent
		var props string
		if err := r.Scan(&lid, &e.Name, &props, &e.At); err != nil {
			return err
		}
		e.At = e.At.UTC()
		e.Properties = memDecode(t, props)
		if l := byID[lid]; l != nil {
			l.Events = append(l.Events, e)
		}
		return nil
	})
	query(`SELECT id, parent_id FROM territories WHERE tenant_id = $1`, func(r *sql.Rows) error {
		var id uuid.UUID
		var p uuid.NullUUID
		if err := r.Scan(&id, &p); err != nil {
			return err
		}
		m.parent[id] = p.UUID // uuid.Nil for a root
		return nil
	})
	return m
}

// ---------------------------------------------------------------- rules

// memMentionsStatus: rules naming the status attribute anywhere are read
// over every unmerged lead, the others over active leads only.
func memMentionsStatus(r *segment.Rule) bool {
	if r.Attribute != nil && r.Attribute.Key == "status" {
		return true
	}
	if r.Not != nil && memMentionsStatus(r.Not) {
		return true
	}
	for _, list := range [][]segment.Rule{r.And, r.Or, r.Intersect, r.Union, r.Difference} {
		for i := range list {
			if memMentionsStatus(&list[i]) {
				return true
			}
		}
	}
	return false
}

// universe is the leads the top-level rule r is evaluated over.
func (m *memWorld) universe(r *segment.Rule) []*memLead {
	all := memMentionsStatus(r)
	var out []*memLead
	for _, l := range m.leads {
		if l.Status == "ACTIVE" || (all && l.Status != "MERGED") {
			out = append(out, l)
		}
	}
	return out
}

// members evaluates r: the matching leads of its universe, in seq order.
func (m *memWorld) members(r *segment.Rule) []*memLead {
	var out []*memLead
	for _, l := range m.universe(r) {
		if m.match(l, r) {
			out = append(out, l)
		}
	}
	return out
}

func (m *memWorld) match(l *memLead, r *segment.Rule) bool {
	switch {
	case r.And != nil:
		return m.all(l, r.And)
	case r.Intersect != nil:
		return m.all(l, r.Intersect)
	case r.Or != nil:
		return m.any(l, r.Or)
	case r.Union != nil:
		return m.any(l, r.Union)
	case r.Not != nil:
		return !m.match(l, r.Not)
	case r.Difference != nil:
		if !m.match(l, &r.Difference[0]) {
			return false
		}
		return !m.any(l, r.Difference[1:])
	case r.Attribute != nil:
		return m.attribute(l, r.Attribute)
	case r.Tag != nil:
		return memTagMatch(l, r.Tag)
	case r.Stage != nil:
		return l.Stage != nil && slices.Contains(r.Stage.In, *l.Stage)
	case r.Owner != nil:
		o := r.Owner
		if o.In != nil && (l.Owner == nil || !slices.Contains(o.In, *l.Owner)) {
			return false
		}
		if o.Public != nil {
			public := l.Owner == nil && l.Pool != nil
			owned := l.Owner != nil
			if *o.Public && !public || !*o.Public && !owned {
				return false
			}
		}
		return true
	case r.Event != nil:
		return m.event(l, r.Event)
	}
	panic(fmt.Sprintf("memeval: unsupported rule node %+v", *r))
}

func (m *memWorld) all(l *memLead, rs []segment.Rule) bool {
	for i := range rs {
		if !m.match(l, &rs[i]) {
			return false
		}
	}
	return true
}

func (m *memWorld) any(l *memLead, rs []segment.Rule) bool {
	for i := range rs {
		if m.match(l, &rs[i]) {
			return true
		}
	}
	return false
}

// memTagMatch: any of Any, all of All, none of None; unset keys are no condition.
func memTagMatch(l *memLead, c *schematype.TagCondition) bool {
	has := func(id uuid.UUID) bool { return slices.Contains(l.Tags, id) }
	if len(c.Any) > 0 && !slices.ContainsFunc(c.Any, has) {
		return false
	}
	for _, id := range c.All {
		if !has(id) {
			return false
		}
	}
	return !slices.ContainsFunc(c.None, has)
}

// event counts the lead's events of the name inside the window whose
// properties pass every filter and checks the count against the range.
func (m *memWorld) event(l *memLead, c *schematype.EventCondition) bool {
	n := 0
	for _, e := range l.Events {
		if e.Name != c.Name {
			continue
		}
		if c.WithinDays != nil && e.At.Before(m.now.Add(-time.Duration(*c.WithinDays)*24*time.Hour)) {
			continue
		}
		if c.Since != nil && e.At.Before(*c.Since) {
			continue
		}
		if c.Until != nil && !e.At.Before(*c.Until) {
			continue
		}
		ok := true
		for _, w := range c.Where {
			if !memProperty(e.Properties, w) {
				ok = false
				break
			}
		}
		if ok {
			n++
		}
	}
	// Without minCount the range starts at 1, or at 0 when only maxCount is set.
	lo := 1
	switch {
	case c.MinCount != nil:
		lo = *c.MinCount
	case c.MaxCount != nil:
		lo = 0
	}
	if n < lo {
		return false
	}
	return c.MaxCount == nil || n <= *c.MaxCount
}

// ---------------------------------------------------------------- event properties

func memNumber(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil
}

// memJSONEqual compares a stored property with a string, number or boolean
// filter value as JSON values: 3 and 3.0 are equal, "3" and 3 are not.
func memJSONEqual(stored, filter any) bool {
	switch f := filter.(type) {
	case string:
		s, ok := stored.(string)
		return ok && s == f
	case bool:
		b, ok := stored.(bool)
		return ok && b == f
	case float64:
		n, ok := memNumber(stored)
		return ok && n == f
	}
	panic(fmt.Sprintf("memeval: property filter value %T", filter))
}

func memEmptyJSON(v any, present bool) bool {
	if !present || v == nil {
		return true
	}
	switch x := v.(type) {
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func memContainsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func memProperty(props map[string]any, w schematype.PropertyCondition) bool {
	v, present := props[w.Key]
	switch w.Op {
	case "EQ":
		return present && memJSONEqual(v, w.Value)
	case "NEQ":
		return !(present && memJSONEqual(v, w.Value))
	case "IN", "NOT_IN":
		in := false
		for _, x := range w.Value.([]any) {
			if present && memJSONEqual(v, x) {
				in = true
			}
		}
		return in == (w.Op == "IN")
	case "CONTAINS":
		s, ok := v.(string)
		return ok && memContainsFold(s, w.Value.(string))
	case "IS_EMPTY":
		return memEmptyJSON(v, present)
	case "IS_NOT_EMPTY":
		return !memEmptyJSON(v, present)
	}
	// Ranges: numbers against stored numbers, texts against stored texts (by
	// byte order); nothing else compares.
	bounds := []any{w.Value}
	if w.Op == "BETWEEN" {
		bounds = w.Value.([]any)
	}
	var cmps []int
	for _, b := range bounds {
		switch x := b.(type) {
		case float64:
			n, ok := memNumber(v)
			if !ok {
				return false
			}
			cmps = append(cmps, memCompareFloat(n, x))
		case string:
			s, ok := v.(string)
			if !ok {
				return false
			}
			cmps = append(cmps, strings.Compare(s, x))
		default:
			panic(fmt.Sprintf("memeval: range bound %T", b))
		}
	}
	return memRangeHolds(w.Op, cmps)
}

func memCompareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// memRangeHolds reads the comparisons of the value with the bound(s).
func memRangeHolds(op string, cmps []int) bool {
	switch op {
	case "GT":
		return cmps[0] > 0
	case "GTE":
		return cmps[0] >= 0
	case "LT":
		return cmps[0] < 0
	case "LTE":
		return cmps[0] <= 0
	case "BETWEEN":
		return cmps[0] >= 0 && cmps[1] <= 0
	}
	panic("memeval: range operator " + op)
}

// ---------------------------------------------------------------- attributes

func (m *memWorld) attribute(l *memLead, a *schematype.AttributeCondition) bool {
	switch a.Key {
	case "name":
		return memText(&l.Name, a.Op, a.Value)
	case "company":
		return memText(&l.Company, a.Op, a.Value)
	case "source":
		return memText(&l.Source, a.Op, a.Value)
	case "sourceDetail":
		return memText(&l.SourceDetail, a.Op, a.Value)
	case "externalID":
		return memText(l.ExternalID, a.Op, a.Value)
	case "status":
		return memText(&l.Status, a.Op, a.Value)
	case "tier":
		return memText(l.Tier, a.Op, a.Value)
	case "score":
		f := float64(l.Score)
		return memNumberCond(&f, a.Op, a.Value)
	case "createdAt":
		return memTime(&l.CreatedAt, a.Op, a.Value)
	case "updatedAt":
		return memTime(&l.UpdatedAt, a.Op, a.Value)
	case "claimedAt":
		return memTime(l.ClaimedAt, a.Op, a.Value)
	case "lastFollowUpAt":
		return memTime(l.LastFollowUpAt, a.Op, a.Value)
	case "protectedUntil":
		return memTime(l.ProtectedUntil, a.Op, a.Value)
	case "locked":
		b := a.Value.(bool)
		return (l.Locked == b) == (a.Op == "EQ")
	case "territory":
		return m.territory(l, a.Op, a.Value)
	}
	def, ok := m.defs[a.Key]
	if !ok {
		panic("memeval: unknown attribute " + a.Key)
	}
	v, present := l.Attributes[a.Key]
	return memCustom(def, v, present, a.Op, a.Value)
}

// memComplement handles the operators every type shares: NEQ and NOT_IN are
// the exact complements of EQ and IN.
func memComplement(op string) (string, bool) {
	switch op {
	case "NEQ":
		return "EQ", true
	case "NOT_IN":
		return "IN", true
	case "IS_NOT_EMPTY":
		return "IS_EMPTY", true
	}
	return op, false
}

// memText: exact comparison (no trimming), CONTAINS case-insensitive,
// empty is NULL or "".
func memText(v *string, op string, value any) bool {
	if pos, neg := memComplement(op); neg {
		return !memText(v, pos, value)
	}
	if op == "IS_EMPTY" {
		return v == nil || *v == ""
	}
	if v == nil {
		return false
	}
	switch op {
	case "EQ":
		return *v == value.(string)
	case "IN":
		return slices.ContainsFunc(value.([]any), func(x any) bool { return x.(string) == *v })
	case "CONTAINS":
		return memContainsFold(*v, value.(string))
	}
	panic("memeval: text operator " + op)
}

// memFloat reads a number filter value: a number or a numeric text.
func memFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			panic(err)
		}
		return f
	}
	panic(fmt.Sprintf("memeval: number value %T", v))
}

func memNumberCond(v *float64, op string, value any) bool {
	if pos, neg := memComplement(op); neg {
		return !memNumberCond(v, pos, value)
	}
	if op == "IS_EMPTY" {
		return v == nil
	}
	if v == nil {
		return false
	}
	switch op {
	case "EQ":
		return *v == memFloat(value)
	case "IN":
		return slices.ContainsFunc(value.([]any), func(x any) bool { return memFloat(x) == *v })
	case "BETWEEN":
		l := value.([]any)
		return memCompareFloat(*v, memFloat(l[0])) >= 0 && memCompareFloat(*v, memFloat(l[1])) <= 0
	}
	return memRangeHolds(op, []int{memCompareFloat(*v, memFloat(value))})
}

// memInstant reads an RFC 3339 time or a date (midnight UTC).
func memInstant(v any) time.Time {
	s := strings.TrimSpace(v.(string))
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func memTime(v *time.Time, op string, value any) bool {
	if pos, neg := memComplement(op); neg {
		return !memTime(v, pos, value)
	}
	if op == "IS_EMPTY" {
		return v == nil
	}
	if v == nil {
		return false
	}
	if op == "BETWEEN" {
		l := value.([]any)
		return v.Compare(memInstant(l[0])) >= 0 && v.Compare(memInstant(l[1])) <= 0
	}
	c := v.Compare(memInstant(value))
	if op == "EQ" {
		return c == 0
	}
	return memRangeHolds(op, []int{c})
}

// territory: the lead's territory is one of the given ones or below one.
func (m *memWorld) territory(l *memLead, op string, value any) bool {
	if pos, neg := memComplement(op); neg {
		return !m.territory(l, pos, value)
	}
	if op == "IS_EMPTY" {
		return l.Territory == nil
	}
	if l.Territory == nil {
		return false
	}
	var given []uuid.UUID
	list, ok := value.([]any)
	if !ok {
		list = []any{value}
	}
	for _, x := range list {
		id, err := gid.Decode(x.(string))
		if err != nil {
			panic(err)
		}
		given = append(given, id)
	}
	for t := *l.Territory; t != uuid.Nil; t = m.parent[t] {
		if slices.Contains(given, t) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- custom fields

var (
	memDateShape     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	memDateTimeShape = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`)
)

// memDate converts a DATE filter value: ISO or slashed dates, or a
// timestamp whose date is taken in its own offset.
func memDate(v any) string {
	s := strings.TrimSpace(v.(string))
	for _, layout := range []string{"2006-1-2", "2006/1/2", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	panic("memeval: date " + s)
}

// memDateTime converts a DATETIME filter value to UTC, to the second.
func memDateTime(v any) string {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v.(string)))
	if err != nil {
		panic(err)
	}
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// memJSONText is PostgreSQL's ->> of a stored scalar: strings as themselves,
// numbers and booleans as their JSON text.
func memJSONText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func memBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1":
			return true
		case "false", "0":
			return false
		}
	}
	panic(fmt.Sprintf("memeval: boolean value %v", v))
}

// memOption resolves a choice by value, then by label.
func memOption(def fields.Definition, v any) string {
	s := strings.TrimSpace(v.(string))
	for _, o := range def.Options {
		if o.Value == s {
			return s
		}
	}
	for _, o := range def.Options {
		if o.Label == s {
			return o.Value
		}
	}
	panic("memeval: no option " + s)
}

func memList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// memCustom is a custom-field condition on a stored value (present says
// the key exists). Empty is a missing key, null, "" or []. Values of another
// JSON type or shape than the field's match no comparison (but NEQ and
// NOT_IN, which are complements), and are not empty.
func memCustom(def fields.Definition, v any, present bool, op string, value any) bool {
	if pos, neg := memComplement(op); neg {
		return !memCustom(def, v, present, pos, value)
	}
	if op == "IS_EMPTY" {
		if !present || v == nil {
			return true
		}
		switch x := v.(type) {
		case string:
			return x == ""
		case []any:
			return len(x) == 0
		}
		return false
	}
	if !present {
		return false
	}
	switch def.Type {
	case fields.TypeNumber, fields.TypeMoney:
		n, ok := memNumber(v)
		if !ok {
			return false
		}
		return memNumberCond(&n, op, value)
	case fields.TypeDate, fields.TypeDateTime:
		s, ok := v.(string)
		shape, canon := memDateShape, memDate
		if def.Type == fields.TypeDateTime {
			shape, canon = memDateTimeShape, memDateTime
		}
		if !ok || !shape.MatchString(s) {
			return false
		}
		switch op {
		case "EQ":
			return s == canon(value)
		case "IN":
			return slices.ContainsFunc(value.([]any), func(x any) bool { return s == canon(x) })
		case "BETWEEN":
			l := value.([]any)
			return s >= canon(l[0]) && s <= canon(l[1])
		}
		return memRangeHolds(op, []int{strings.Compare(s, canon(value))})
	case fields.TypeBoolean:
		b, ok := v.(bool)
		return ok && b == memBool(value)
	case fields.TypeMultiSelect:
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		has := func(x any) bool { return slices.Contains(arr, any(memOption(def, x))) }
		switch op {
		case "EQ":
			return has(memList(value)[0])
		case "IN":
			return slices.ContainsFunc(value.([]any), has)
		case "CONTAINS":
			for _, x := range memList(value) {
				if !has(x) {
					return false
				}
			}
			return true
		}
	case fields.TypeSelect:
		s, ok := memJSONText(v)
		if !ok {
			return false
		}
		switch op {
		case "EQ":
			return s == memOption(def, value)
		case "IN":
			return slices.ContainsFunc(value.([]any), func(x any) bool { return s == memOption(def, x) })
		}
	default: // text types
		switch op {
		case "CONTAINS":
			s, ok := v.(string)
			return ok && memContainsFold(s, strings.TrimSpace(value.(string)))
		case "EQ", "IN":
			s, ok := memJSONText(v)
			if !ok {
				return false
			}
			return slices.ContainsFunc(memList(value), func(x any) bool { return s == memTextValue(x) })
		}
	}
	panic(fmt.Sprintf("memeval: %s on %s", op, def.Type))
}

// memTextValue is a text filter value as the field stores text: trimmed;
// numbers written as their digits.
func memTextValue(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	panic(fmt.Sprintf("memeval: text value %T", v))
}
