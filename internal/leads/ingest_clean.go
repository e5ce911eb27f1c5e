package leads

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/clean"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/textinput"
)

// Channels a lead can be reached on, stored in leads.reachable.
const (
	ChannelPhone           = "PHONE"
	ChannelSMS             = "SMS"
	ChannelWeCom           = "WECOM"
	ChannelOfficialAccount = "OFFICIAL_ACCOUNT"
	ChannelEmail           = "EMAIL"
)

// Length limits of the built-in fields, as in ent/schema/lead.go.
const (
	maxName      = 200
	maxCompany   = 200
	maxSource    = 100
	maxDetail    = 500
	maxIdentity  = 200
	maxTagName   = 50
	maxTagsOfRow = 50
)

// identity is the set of keys that identify one person. Empty means absent.
type identity struct {
	ExternalID, WeComExternalUserID, UnionID, Phone, Email string
}

// keys returns the identity keys in match priority order, prefixed by kind so
// values of different kinds never collide.
func (id identity) keys() []string {
	var ks []string
	for _, k := range [...]struct{ kind, v string }{
		{"x", id.ExternalID}, {"w", id.WeComExternalUserID}, {"u", id.UnionID}, {"p", id.Phone}, {"e", id.Email},
	} {
		if k.v != "" {
			ks = append(ks, k.kind+":"+k.v)
		}
	}
	return ks
}

// cleanRow is a row after cleaning: every value normalised, attributes
// coerced by the field validator (no defaults or required checks yet: a row
// that merges into an existing lead need not repeat what the lead has).
type cleanRow struct {
	identity
	OpenID, Name, Company, Source, SourceDetail string
	TerritoryID, ReferrerID                     *uuid.UUID
	Attributes                                  map[string]any
	Tags                                        []string
	Errors                                      []RowError
}

// cleanRows cleans rows on up to maxWorkers goroutines (phone parsing
// dominates big batches).
func cleanRows(rows []Row, sch *fields.Schema, region, defaultSource string, maxWorkers int) []cleanRow {
	out := make([]cleanRow, len(rows))
	workers := max(1, min(maxWorkers, 1+len(rows)/500))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(rows); i += workers {
				out[i] = cleanOne(rows[i], sch, region, defaultSource)
			}
		}()
	}
	wg.Wait()
	return out
}

// cleanOne normalises one row and collects every problem with it.
func cleanOne(r Row, sch *fields.Schema, region, defaultSource string) cleanRow {
	var c cleanRow
	fail := func(field, code, msg string) {
		c.Errors = append(c.Errors, RowError{Field: field, Code: code, Message: msg})
	}
	text := func(field, raw string, limit int) string {
		v, err := textinput.Clean(field, raw, limit, false)
		if err != nil {
			fail(field, CodeInvalid, errMessage(err))
			return ""
		}
		return v
	}
	if v := strings.TrimSpace(r.Phone); v != "" {
		if clean.IsMasked(v) {
			fail("phone", CodeInvalid, "a masked phone number cannot be ingested")
		} else if p, err := clean.Phone(v, region); err != nil {
			fail("phone", CodeInvalid, err.Error())
		} else {
			c.Phone = p
		}
	}
	if v := strings.TrimSpace(r.Email); v != "" {
		if clean.IsMasked(v) {
			fail("email", CodeInvalid, "a masked email cannot be ingested")
		} else if e, err := clean.Email(v); err != nil {
			fail("email", CodeInvalid, err.Error())
		} else {
			c.Email = e
		}
	}
	c.ExternalID = text("externalID", r.ExternalID, maxIdentity)
	c.WeComExternalUserID = text("wecomExternalUserID", r.WeComExternalUserID, maxIdentity)
	c.UnionID = text("unionID", r.UnionID, maxIdentity)
	c.OpenID = text("openID", r.OpenID, maxIdentity)
	c.Name = clean.Name(text("name", r.Name, maxName))
	c.Company = clean.Name(text("company", r.Company, maxCompany))
	c.Source = clean.Name(text("source", cmpOr(r.Source, defaultSource), maxSource))
	c.SourceDetail = clean.Name(text("sourceDetail", r.SourceDetail, maxDetail))
	c.TerritoryID, c.ReferrerID = r.TerritoryID, r.ReferrerID
	c.Tags = cleanTags(r.Tags, fail)
	if c.identity == (identity{}) && c.OpenID == "" && len(c.Errors) == 0 {
		fail("", CodeNoIdentity, "a lead needs a phone, an email, a unionID, an openID or an externalID")
	}
	if len(r.Attributes) > 0 {
		attrs, errs := cleanAttributes(r.Attributes, sch)
		c.Attributes = attrs
		c.Errors = append(c.Errors, errs...)
	}
	return c
}

// cleanTags trims, dedups and checks tag names, keeping their order.
func cleanTags(names []string, fail func(field, code, msg string)) []string {
	if len(names) > maxTagsOfRow {
		fail("tags", CodeInvalid, fmt.Sprintf("at most %d tags per lead", maxTagsOfRow))
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for i, n := range names {
		v, err := textinput.Clean(fmt.Sprintf("tags[%d]", i), n, maxTagName, false)
		if err != nil {
			fail(fmt.Sprintf("tags[%d]", i), CodeInvalid, errMessage(err))
			continue
		}
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

// cleanAttributes coerces the given custom-field values. Empty values mean
// "not given" on ingest, so they are dropped rather than clearing anything.
func cleanAttributes(in map[string]any, sch *fields.Schema) (map[string]any, []RowError) {
	given := make(map[string]any, len(in))
	var errs []RowError
	for k, v := range in {
		if s, ok := v.(string); ok && strings.TrimSpace(s) == "" || v == nil {
			continue
		}
		if def, ok := sch.Lookup(k); ok && fields.ContactSensitive(def.Type) {
			if s, isStr := v.(string); isStr && clean.IsMasked(s) {
				errs = append(errs, RowError{Field: "attributes." + k, Code: CodeInvalid, Message: "a masked value cannot be ingested"})
				continue
			}
		}
		given[k] = v
	}
	out, err := sch.Validate(fields.ModePatch, nil, given)
	if err != nil {
		return nil, append(errs, fieldErrors(err)...)
	}
	return out, errs
}

// fieldErrors turns a validator error into row errors.
func fieldErrors(err error) []RowError {
	var ve *fields.ValidationError
	if !errors.As(err, &ve) {
		return []RowError{{Field: "attributes", Code: CodeInvalid, Message: err.Error()}}
	}
	out := make([]RowError, len(ve.Errors))
	for i, fe := range ve.Errors {
		out[i] = RowError{Field: fe.Field, Code: fe.Code, Message: fe.Message}
	}
	return out
}

// reachable derives the channels an identity can be contacted on.
func reachable(phone, email, unionID, openID string) []string {
	ch := []string{}
	if phone != "" {
		ch = append(ch, ChannelPhone)
		if clean.IsMobile(phone) {
			ch = append(ch, ChannelSMS)
		}
	}
	if unionID != "" {
		ch = append(ch, ChannelWeCom)
	}
	if openID != "" {
		ch = append(ch, ChannelOfficialAccount)
	}
	if email != "" {
		ch = append(ch, ChannelEmail)
	}
	return ch
}

// group is one person of a batch: the valid rows that share an identity key,
// folded into one lead description (the earliest row wins field by field
// unless its value is empty).
type group struct {
	rows []int // batch indexes; rows[0] is the earliest
	cleanRow
	// newAttrs and newErrs are the attributes the group's lead gets, or
	// why it cannot get them, should it create one (validateNew).
	newAttrs map[string]any
	newErrs  []RowError
}

// validateNew checks every group's attributes as a new lead's (defaults,
// required fields) before the batch's transaction: it needs only the
// schema, and the groups that turn out to merge do not use it.
func validateNew(gs []*group, sch *fields.Schema) {
	for _, g := range gs {
		attrs, err := sch.Validate(fields.ModeCreate, nil, g.Attributes)
		if err != nil {
			g.newErrs = fieldErrors(err)
			continue
		}
		g.newAttrs = attrs
	}
}

// groupRows folds the valid rows that share any identity key (transitively)
// into groups, in order of their first row.
func groupRows(rows []cleanRow) []*group {
	parent := make([]int, len(rows))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, r := range rows {
		if len(r.Errors) > 0 {
			continue
		}
		for _, k := range r.keys() {
			if j, ok := owner[k]; ok {
				a, b := find(i), find(j)
				if a != b {
					parent[max(a, b)] = min(a, b)
				}
			} else {
				owner[k] = i
			}
		}
	}
	byRoot := map[int]*group{}
	var out []*group
	for i, r := range rows {
		if len(r.Errors) > 0 {
			continue
		}
		root := find(i)
		g, ok := byRoot[root]
		if !ok {
			g = &group{cleanRow: r}
			g.Attributes = cloneMap(r.Attributes)
			g.Tags = append([]string(nil), r.Tags...)
			byRoot[root] = g
			out = append(out, g)
		} else {
			g.absorb(r)
		}
		g.rows = append(g.rows, i)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rows[0] < out[j].rows[0] })
	return out
}

// absorb fills g's empty values from a later row of the same person.
func (g *group) absorb(r cleanRow) {
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&g.ExternalID, r.ExternalID)
	fill(&g.WeComExternalUserID, r.WeComExternalUserID)
	fill(&g.UnionID, r.UnionID)
	fill(&g.OpenID, r.OpenID)
	fill(&g.Name, r.Name)
	fill(&g.Company, r.Company)
	fill(&g.Source, r.Source)
	fill(&g.SourceDetail, r.SourceDetail)
	// A second phone or email of the same person cannot be kept (a lead has
	// one of each), and it must not be used to reach someone else either.
	fill(&g.Phone, r.Phone)
	fill(&g.Email, r.Email)
	if g.TerritoryID == nil {
		g.TerritoryID = r.TerritoryID
	}
	if g.ReferrerID == nil {
		g.ReferrerID = r.ReferrerID
	}
	g.Attributes = fillAttributes(g.Attributes, r.Attributes)
	g.Tags = unionStrings(g.Tags, r.Tags)
}

// fillAttributes returns base with the keys of extra that base lacks (or has
// empty) added: the existing value wins unless it is empty.
func fillAttributes(base, extra map[string]any) map[string]any {
	if len(extra) == 0 {
		return base
	}
	out := cloneMap(base)
	if out == nil {
		out = make(map[string]any, len(extra))
	}
	for k, v := range extra {
		if cur, ok := out[k]; !ok || emptyValue(cur) {
			out[k] = v
		}
	}
	return out
}

func emptyValue(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	}
	return false
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func unionStrings(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// errMessage is the client-safe message of err without its field prefix.
func errMessage(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return err.Error()
}
