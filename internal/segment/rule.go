package segment

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/ent/territory"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fields"
)

// Rule is one node of a segment rule tree.
type Rule = schematype.SegmentRule

// Limits of one rule tree.
const (
	MaxDepth   = 12
	MaxNodes   = 200
	MaxIDs     = 1000 // ids in one tag, stage or owner condition
	MaxWhere   = 10   // property filters of one event condition
	MaxWindow  = 3650 // withinDays
	maxTextLen = 1000
)

// propertyKey is what an event property filter may name.
var propertyKey = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.:-]{0,99}$`)

// checked is a validated rule with what it references.
type checked struct {
	rule *Rule
	// refs are the saved segments the rule names, at any depth.
	refs []uuid.UUID
	// status is true when some attribute condition names the lead status, so
	// the rule is evaluated over all unmerged leads instead of active ones.
	status bool
}

// checker walks a rule tree once, checking its shape and collecting the ids
// it names so they are verified in one query per kind.
type checker struct {
	ctx   context.Context // its viewer decides which fields are masked
	sch   *fields.Schema
	nodes int
	ids   map[idKind]map[uuid.UUID]string // id -> the first path naming it
	st    bool
}

type idKind int

const (
	idTag idKind = iota
	idStage
	idUser
	idTerritory
	idSegment
)

// check validates r against the workspace's fields (sch) and, with one query
// per kind of id, that every tag, stage, user, territory and segment it names
// exists. field is the input path of r ("rule"); errors name the
// offending node, e.g. rule.and[2].attribute.key.
func check(ctx context.Context, c *ent.Client, sch *fields.Schema, field string, r *Rule) (*checked, error) {
	if r == nil {
		return nil, apperr.Input(field, "a rule is required")
	}
	k := &checker{ctx: ctx, sch: sch, ids: map[idKind]map[uuid.UUID]string{}}
	if err := k.node(r, field, 1); err != nil {
		return nil, err
	}
	if err := k.exist(ctx, c); err != nil {
		return nil, err
	}
	if err := checkMaskedRefs(ctx, c, sch, k.ids[idSegment]); err != nil {
		return nil, err
	}
	out := &checked{rule: r, status: k.st}
	for id := range k.ids[idSegment] {
		out.refs = append(out.refs, id)
	}
	slices.SortFunc(out.refs, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	return out, nil
}

// keys names the keys set on r, in contract order.
func keys(r *Rule) []string {
	var ks []string
	add := func(set bool, k string) {
		if set {
			ks = append(ks, k)
		}
	}
	add(r.And != nil, "and")
	add(r.Or != nil, "or")
	add(r.Not != nil, "not")
	add(r.Intersect != nil, "intersect")
	add(r.Union != nil, "union")
	add(r.Difference != nil, "difference")
	add(r.Attribute != nil, "attribute")
	add(r.Tag != nil, "tag")
	add(r.Stage != nil, "stage")
	add(r.Owner != nil, "owner")
	add(r.Event != nil, "event")
	add(r.Segment != nil, "segment")
	return ks
}

func (k *checker) node(r *Rule, path string, depth int) error {
	k.nodes++
	if k.nodes > MaxNodes {
		return apperr.New(apperr.LimitExceeded, path, "a rule may have at most %d conditions and groups", MaxNodes)
	}
	if depth > MaxDepth {
		return apperr.New(apperr.LimitExceeded, path, "rules may nest at most %d levels deep", MaxDepth)
	}
	ks := keys(r)
	switch len(ks) {
	case 0:
		return apperr.Input(path, "a rule node needs exactly one key (and, or, not, intersect, union, difference, attribute, tag, stage, owner, event or segment), got none")
	case 1:
	default:
		return apperr.Input(path, "a rule node needs exactly one key, got %s", strings.Join(ks, ", "))
	}
	children := func(name string, list []Rule, least int) error {
		p := path + "." + name
		if len(list) < least {
			return apperr.Input(p, "%s needs at least %d rules", name, least)
		}
		for i := range list {
			if err := k.node(&list[i], fmt.Sprintf("%s[%d]", p, i), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case r.And != nil:
		return children("and", r.And, 1)
	case r.Or != nil:
		return children("or", r.Or, 1)
	case r.Intersect != nil:
		return children("intersect", r.Intersect, 2)
	case r.Union != nil:
		return children("union", r.Union, 2)
	case r.Difference != nil:
		return children("difference", r.Difference, 2)
	case r.Not != nil:
		return k.node(r.Not, path+".not", depth+1)
	case r.Attribute != nil:
		return k.attribute(r.Attribute, path+".attribute")
	case r.Tag != nil:
		t := r.Tag
		if len(t.Any)+len(t.All)+len(t.None) == 0 {
			return apperr.Input(path+".tag", "name tags in any, all or none")
		}
		for name, ids := range map[string][]uuid.UUID{"any": t.Any, "all": t.All, "none": t.None} {
			if err := k.refIDs(idTag, path+".tag."+name, ids); err != nil {
				return err
			}
		}
	case r.Stage != nil:
		if len(r.Stage.In) == 0 {
			return apperr.Input(path+".stage.in", "name at least one stage")
		}
		return k.refIDs(idStage, path+".stage.in", r.Stage.In)
	case r.Owner != nil:
		if r.Owner.In == nil && r.Owner.Public == nil {
			return apperr.Input(path+".owner", "set in (owners) or public")
		}
		if r.Owner.In != nil && len(r.Owner.In) == 0 {
			return apperr.Input(path+".owner.in", "name at least one user")
		}
		return k.refIDs(idUser, path+".owner.in", r.Owner.In)
	case r.Event != nil:
		return k.event(r.Event, path+".event")
	case r.Segment != nil:
		k.remember(idSegment, *r.Segment, path+".segment")
	}
	return nil
}

func (k *checker) remember(kind idKind, id uuid.UUID, path string) {
	m := k.ids[kind]
	if m == nil {
		m = map[uuid.UUID]string{}
		k.ids[kind] = m
	}
	if _, ok := m[id]; !ok {
		m[id] = path
	}
}

func (k *checker) refIDs(kind idKind, path string, ids []uuid.UUID) error {
	if len(ids) > MaxIDs {
		return apperr.New(apperr.LimitExceeded, path, "at most %d ids per condition", MaxIDs)
	}
	for i, id := range ids {
		k.remember(kind, id, fmt.Sprintf("%s[%d]", path, i))
	}
	return nil
}

// attribute checks the key, the operator and the value of a field condition
// by compiling it: the SQL builders refuse what they cannot express.
func (k *checker) attribute(a *schematype.AttributeCondition, path string) error {
	if b, ok := builtins[a.Key]; ok {
		if a.Key == "status" {
			k.st = true
		}
		if _, err := b.compile(fields.Op(a.Op), a.Value); err != nil {
			return k.valueError(err, path, a.Op, b.ops())
		}
		if b.kind == kindRef {
			ids, _ := idList(a.Value)
			for i, id := range ids {
				k.remember(idTerritory, id, fmt.Sprintf("%s.value[%d]", path, i))
			}
		}
		return nil
	}
	def, ok := k.sch.Lookup(a.Key)
	if !ok || def.Archived {
		return apperr.Input(path+".key", "%q is not a field of this workspace (custom fields by key, built-in: %s)", clip(a.Key), strings.Join(builtinKeys(), ", "))
	}
	if err := authz.CheckSearchable(k.ctx, path+".key", def.Type); err != nil {
		return err
	}
	if _, err := fields.Condition("l.attributes", def, fields.Op(a.Op), a.Value); err != nil {
		return k.valueError(err, path, a.Op, fields.Ops(def.Type))
	}
	return nil
}

// valueError points an attribute error at op when the operator is the
// problem and at value otherwise.
func (k *checker) valueError(err error, path, op string, ops []fields.Op) error {
	if !slices.Contains(ops, fields.Op(op)) {
		names := make([]string, len(ops))
		for i, o := range ops {
			names[i] = string(o)
		}
		return apperr.Input(path+".op", "%q does not apply to this field; use one of %s", clip(op), strings.Join(names, ", "))
	}
	return apperr.Input(path+".value", "%s", strings.TrimPrefix(err.Error(), fields.ErrInvalidValue.Error()+": "))
}

func (k *checker) event(e *schematype.EventCondition, path string) error {
	if !events.ValidName(e.Name) {
		return apperr.Input(path+".name", "%q is not an event name (a letter, then letters, digits, _ . : -; at most 100)", clip(e.Name))
	}
	if e.MinCount != nil && *e.MinCount < 0 {
		return apperr.Input(path+".minCount", "must not be negative")
	}
	if e.MaxCount != nil {
		if *e.MaxCount < 0 {
			return apperr.Input(path+".maxCount", "must not be negative")
		}
		if e.MinCount != nil && *e.MaxCount < *e.MinCount {
			return apperr.Input(path+".maxCount", "must be at least minCount")
		}
	}
	if e.MinCount != nil && *e.MinCount == 0 && e.MaxCount == nil {
		return apperr.Input(path+".minCount", "minCount 0 without maxCount matches every lead; set minCount ≥ 1 or a maxCount")
	}
	if e.WithinDays != nil && (*e.WithinDays < 1 || *e.WithinDays > MaxWindow) {
		return apperr.Input(path+".withinDays", "must be between 1 and %d", MaxWindow)
	}
	if e.Since != nil && e.Until != nil && !e.Until.After(*e.Since) {
		return apperr.Input(path+".until", "must be after since")
	}
	if len(e.Where) > MaxWhere {
		return apperr.New(apperr.LimitExceeded, path+".where", "at most %d property filters", MaxWhere)
	}
	for i, w := range e.Where {
		p := fmt.Sprintf("%s.where[%d]", path, i)
		if !propertyKey.MatchString(w.Key) {
			return apperr.Input(p+".key", "%q is not a property name", clip(w.Key))
		}
		if _, err := propertyPredicate(w); err != nil {
			if !slices.Contains(propertyOps, fields.Op(w.Op)) {
				return k.valueError(err, p, w.Op, propertyOps)
			}
			return apperr.Input(p+".value", "%s", err.Error())
		}
	}
	return nil
}

// exist verifies the collected ids, one query per kind.
func (k *checker) exist(ctx context.Context, c *ent.Client) error {
	type lookup struct {
		kind  idKind
		what  string
		found func([]uuid.UUID) ([]uuid.UUID, error)
	}
	lookups := []lookup{
		{idTag, "tag", func(ids []uuid.UUID) ([]uuid.UUID, error) { return c.Tag.Query().Where(tag.IDIn(ids...)).IDs(ctx) }},
		{idStage, "stage", func(ids []uuid.UUID) ([]uuid.UUID, error) { return c.Stage.Query().Where(stage.IDIn(ids...)).IDs(ctx) }},
		{idUser, "user", func(ids []uuid.UUID) ([]uuid.UUID, error) { return c.User.Query().Where(user.IDIn(ids...)).IDs(ctx) }},
		{idTerritory, "territory", func(ids []uuid.UUID) ([]uuid.UUID, error) {
			return c.Territory.Query().Where(territory.IDIn(ids...)).IDs(ctx)
		}},
		{idSegment, "segment", func(ids []uuid.UUID) ([]uuid.UUID, error) {
			return c.Segment.Query().Where(segment.IDIn(ids...)).IDs(ctx)
		}},
	}
	for _, l := range lookups {
		want := k.ids[l.kind]
		if len(want) == 0 {
			continue
		}
		ids := make([]uuid.UUID, 0, len(want))
		for id := range want {
			ids = append(ids, id)
		}
		found, err := l.found(ids)
		if err != nil {
			return err
		}
		var missing []string
		for id, path := range want {
			if !slices.Contains(found, id) {
				missing = append(missing, path)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return apperr.New(apperr.NotFound, missing[0], "%s not found", l.what)
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Values of JSON-ish inputs: GraphQL gives float64/int64/json.Number/string.

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

func list(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// instant reads an RFC 3339 time or a date (midnight UTC).
func instant(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		if t, ok := v.(time.Time); ok {
			return t, true
		}
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}
