package segment_test

// A seeded differential test of the segment rule compiler: random rule trees
// over a generated workspace must select, through Preview (the compiled SQL),
// exactly the leads that a straightforward in-memory evaluation of the same
// rule over the same stored data selects (memeval_test.go).
//
// SCRM_SEGMENT_SEED=<n> replays another seed; SCRM_SEGMENT_RULES=<n> changes
// the number of rules (default diffRuleCount).

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/rules/rulestest"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/testenv"
)

const (
	diffDefaultSeed uint64 = 20261123
	diffLeadCount          = 1500
	diffRuleCount          = 600
	// diffMaxGroupDepth is the deepest level that may still be a group, so
	// leaves sit at most one level deeper.
	diffMaxGroupDepth = 3
	diffSample        = 100000
	diffLeafSample    = 50
)

func diffSeed(t *testing.T) uint64 {
	t.Helper()
	if s := os.Getenv("SCRM_SEGMENT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("SCRM_SEGMENT_SEED=%q: %v", s, err)
		}
		return v
	}
	return diffDefaultSeed
}

func diffRules(t *testing.T) int {
	t.Helper()
	if s := os.Getenv("SCRM_SEGMENT_RULES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SCRM_SEGMENT_RULES=%q: want a positive number", s)
		}
		return n
	}
	return diffRuleCount
}

func diffPick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// hoursAgo is the test clock minus h hours: every generated time sits on
// this hour grid, so windows and bounds often fall exactly on stored times.
func diffHoursAgo(h int) time.Time { return t0.Add(-time.Duration(h) * time.Hour) }

// diffWorkspace is the generated workspace, its in-memory copy and what the
// rule generator draws ids and values from.
type diffWorkspace struct {
	*rulestest.Workspace
	svc         *segment.Service
	mem         *memWorld
	defs        []fields.Definition
	tags        []uuid.UUID
	stages      []uuid.UUID
	users       []uuid.UUID
	territories []uuid.UUID
	eventNames  []string
	// propKeys are the property keys seen per event name; propValues the
	// values seen per key, over all events.
	propKeys   map[string][]string
	propValues map[string][]any
}

var diffFieldInputs = []fielddefs.Input{
	{Key: "budget", Label: "Budget", Type: fielddefinition.Type(fields.TypeNumber)},
	{Key: "deal", Label: "Deal", Type: fielddefinition.Type(fields.TypeMoney)},
	{Key: "note", Label: "Note", Type: fielddefinition.Type(fields.TypeText)},
	{Key: "city", Label: "City", Type: fielddefinition.Type(fields.TypeSelect), Options: []schematype.FieldOption{
		{Value: "sh", Label: "Shanghai"}, {Value: "bj", Label: "Beijing"}, {Value: "gz", Label: "Guangzhou"},
		{Value: "sz", Label: "Shenzhen"}, {Value: "cd", Label: "Chengdu"}}},
	{Key: "interests", Label: "Interests", Type: fielddefinition.Type(fields.TypeMultiSelect), Options: []schematype.FieldOption{
		{Value: "golf", Label: "Golf"}, {Value: "tennis", Label: "Tennis"}, {Value: "chess", Label: "Chess"},
		{Value: "music", Label: "Music"}, {Value: "travel", Label: "Travel"}}},
	{Key: "vip", Label: "VIP", Type: fielddefinition.Type(fields.TypeBoolean)},
	{Key: "birthday", Label: "Birthday", Type: fielddefinition.Type(fields.TypeDate)},
	{Key: "next_call", Label: "Next call", Type: fielddefinition.Type(fields.TypeDateTime)},
}

var (
	diffNames = []string{"Alice Wang", "alice wang", "Bob", "Carol Li", "张伟", "李娜", "O'Brien", "50% Off Club",
		"under_score", `back\slash`, "Dave", "Eve Zhang", "Frank", "Grace Li", "Heidi", "", "WANG Lei"}
	diffCompanies = []string{"Acme", "ACME Corp", "Globex", "Initech", "腾讯", "", "Umbrella_Co", "100% Pure", "acme"}
	diffSources   = []string{"web", "Web", "ads", "referral", "wechat", ""}
	diffDetails   = []string{"campaign-1", "campaign-2", "campaign-10", "spring_sale", "50%_promo", "", "springXsale"}
	diffNotes     = []string{"Call back Monday", "VIP customer", "asked for 50% discount", "under_score", `back\slash`,
		"O'Brien deal", "hello WORLD", "张三的备注", "call later", "Monday"}
	diffChannels = []any{"web", "Web", "app", "wechat", "", nil, `quo"te`, `back\slash`, "WEB-2"}
	diffAmounts  = []any{5.0, 12.5, 20.0, 99.99, json.RawMessage("3.0"), json.RawMessage("12.50"), "12.5", 0.0, -1.0, 3.0, 250.0}
)

// diffLeadSpec is one generated lead before it is stored.
type diffLeadSpec struct {
	name, company, source, detail string
	ext                           *string
	status                        lead.Status
	score                         int
	tier                          *lead.Tier
	attrs                         map[string]any
	owner, pool, stage, territory *uuid.UUID
	created, updated              time.Time
	claimed, followUp, protected  *time.Time
	locked                        bool
	tags                          []int // indexes of diffWorkspace.tags
	events                        []diffEventSpec
}

type diffEventSpec struct {
	name  string
	props map[string]any
	at    time.Time
}

// newDiffWorkspace generates and stores the workspace, then reads it back.
func newDiffWorkspace(t *testing.T, r *rand.Rand) *diffWorkspace {
	t.Helper()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	d := &diffWorkspace{Workspace: w,
		svc: &segment.Service{Client: w.C, Fields: w.Fields, Now: func() time.Time { return t0 }, PreviewTimeout: 2 * time.Minute}}
	ctx := w.Ctx
	for _, in := range diffFieldInputs {
		if _, err := w.Fields.Create(ctx, in); err != nil {
			t.Fatalf("field %s: %v", in.Key, err)
		}
	}
	sch, err := w.Fields.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range diffFieldInputs {
		def, ok := sch.Lookup(in.Key)
		if !ok {
			t.Fatalf("field %s not in schema", in.Key)
		}
		d.defs = append(d.defs, def)
	}
	for _, n := range []string{"vip", "hot", "cold", "partner", "churn-risk", "newsletter", "rare"} {
		tg, err := w.C.Tag.Create().SetName(n).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d.tags = append(d.tags, tg.ID)
	}
	d.users = []uuid.UUID{w.Admin}
	for i := range 3 {
		u, err := w.C.User.Create().SetName(fmt.Sprintf("rep%d", i)).SetEmail(fmt.Sprintf("rep%d@diff.test", i)).
			SetPasswordHash("x").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d.users = append(d.users, u.ID)
	}
	pools, err := w.C.Pool.Query().Order(pool.ByName()).IDs(ctx)
	if err != nil || len(pools) == 0 {
		t.Fatalf("pools %v: %v", pools, err)
	}
	second, err := w.C.Pool.Create().SetName("second pool").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pools = append(pools, second.ID)
	// In a fixed order: ids are random, and the seed must replay the rules.
	if d.stages, err = w.C.Stage.Query().Order(stage.ByKey()).IDs(ctx); err != nil || len(d.stages) == 0 {
		t.Fatalf("stages %v: %v", d.stages, err)
	}
	// Territories: North{NorthEast{Harbin}, NorthWest}, South{Guangdong}.
	terr := func(name string, parent *uuid.UUID) *uuid.UUID {
		tr, err := org.New(w.C).CreateTerritory(ctx, name, parent)
		if err != nil {
			t.Fatal(err)
		}
		d.territories = append(d.territories, tr.ID)
		return &tr.ID
	}
	north := terr("North", nil)
	ne := terr("NorthEast", north)
	terr("Harbin", ne)
	terr("NorthWest", north)
	south := terr("South", nil)
	terr("Guangdong", south)

	// Leads.
	maybe := func(p int) bool { return r.IntN(100) < p }
	hourIn := func(lo, hi int) time.Time { return diffHoursAgo(lo + r.IntN(hi-lo+1)) }
	optTime := func(p, lo, hi int) *time.Time {
		if !maybe(p) {
			return nil
		}
		x := hourIn(lo, hi)
		return &x
	}
	specs := make([]diffLeadSpec, diffLeadCount)
	dates := make([]string, 40)
	for i := range dates {
		dates[i] = time.Date(1970+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	for i := range specs {
		s := &specs[i]
		s.name, s.company = diffPick(r, diffNames), diffPick(r, diffCompanies)
		s.source, s.detail = diffPick(r, diffSources), diffPick(r, diffDetails)
		switch x := r.IntN(100); {
		case x < 80:
			s.status = lead.StatusACTIVE
		case x < 95:
			s.status = lead.StatusARCHIVED
		default:
			s.status = lead.StatusMERGED
		}
		switch x := r.IntN(100); {
		case x < 55:
			e := fmt.Sprintf("EXT-%05d", i)
			s.ext = &e
		case x < 58 && s.status != lead.StatusACTIVE: // "" is unique among active leads
			e := ""
			s.ext = &e
		}
		s.score = r.IntN(101)
		if maybe(70) {
			tr := diffPick(r, []lead.Tier{lead.TierA, lead.TierB, lead.TierC, lead.TierD})
			s.tier = &tr
		}
		s.attrs = diffAttributes(r, dates)
		if maybe(60) {
			s.owner = ptr(diffPick(r, d.users))
		}
		if maybe(70) {
			s.pool = ptr(diffPick(r, pools))
		}
		if maybe(80) {
			s.stage = ptr(diffPick(r, d.stages))
		}
		if maybe(70) {
			s.territory = ptr(diffPick(r, d.territories))
		}
		s.created = hourIn(0, 24*365)
		s.updated = s.created.Add(time.Duration(r.IntN(24*30)) * time.Hour)
		s.claimed = optTime(60, 0, 24*60)
		s.followUp = optTime(50, 0, 24*90)
		s.protected = optTime(40, -24*30, 24*30)
		s.locked = maybe(20)
		for ti, p := range []int{50, 30, 20, 10, 5, 40, 2} {
			if maybe(p) {
				s.tags = append(s.tags, ti)
			}
		}
		if maybe(70) {
			for range 1 + r.IntN(6) {
				s.events = append(s.events, diffEvent(r))
			}
		}
	}
	specs = append(specs, diffSentinelSpecs()...)
	ids := w.Leads(t, len(specs), func(i int, q *ent.LeadCreate) {
		s := &specs[i]
		q.SetName(s.name).SetCompany(s.company).SetSource(s.source).SetSourceDetail(s.detail).
			SetNillableExternalID(s.ext).SetStatus(s.status).SetScore(s.score).SetNillableTier(s.tier).
			SetAttributes(s.attrs).SetNillableOwnerID(s.owner).SetNillablePoolID(s.pool).
			SetNillableStageID(s.stage).SetNillableTerritoryID(s.territory).
			SetCreatedAt(s.created).SetUpdatedAt(s.updated).SetNillableClaimedAt(s.claimed).
			SetNillableLastFollowUpAt(s.followUp).SetNillableProtectedUntil(s.protected).SetLocked(s.locked)
	})

	// Tags and events in bulk.
	var tagLeads, tagIDs pq.StringArray
	type eventRow struct {
		ID         uuid.UUID       `json:"id"`
		LeadID     uuid.UUID       `json:"lead_id"`
		Name       string          `json:"name"`
		Properties json.RawMessage `json:"properties"`
		OccurredAt time.Time       `json:"occurred_at"`
	}
	var rows []eventRow
	for i, s := range specs {
		if i >= diffLeadCount { // the sentinels' tags and events
			s = diffSentinelData(specs[i], i-diffLeadCount)
		}
		for _, ti := range s.tags {
			tagLeads = append(tagLeads, ids[i].String())
			tagIDs = append(tagIDs, d.tags[ti].String())
		}
		for _, e := range s.events {
			props, err := json.Marshal(e.props)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, eventRow{ID: gid.New(gid.Event), LeadID: ids[i], Name: e.name, Properties: props, OccurredAt: e.at})
		}
	}
	if _, err := w.C.ExecContext(ctx, `INSERT INTO lead_tags (tenant_id, created_at, lead_id, tag_id)
		SELECT $1, now(), l, t FROM unnest($2::uuid[], $3::uuid[]) AS x(l, t)`, w.ID, tagLeads, tagIDs); err != nil {
		t.Fatalf("insert tags: %v", err)
	}
	raw, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.C.ExecContext(ctx, `INSERT INTO events (tenant_id, id, lead_id, name, properties, occurred_at, source)
		SELECT $1, r.id, r.lead_id, r.name, r.properties, r.occurred_at, 'diff'
		FROM json_to_recordset($2::json) AS r(id uuid, lead_id uuid, name text, properties jsonb, occurred_at timestamptz)`,
		w.ID, string(raw)); err != nil {
		t.Fatalf("insert events: %v", err)
	}
	// Move the events out of the default partition into monthly ones, as the
	// daily job does, so queries run over a partitioned table.
	if _, err := events.EnsurePartitions(ctx, db.DB, t0, 1); err != nil {
		t.Fatal(err)
	}

	d.mem = loadMemWorld(t, ctx, w.C, w.ID, t0, d.defs)
	if len(d.mem.leads) != len(specs) {
		t.Fatalf("read back %d leads, stored %d", len(d.mem.leads), len(specs))
	}
	d.propKeys, d.propValues = map[string][]string{}, map[string][]any{}
	seen := map[string]bool{}
	for _, l := range d.mem.leads {
		for _, e := range l.Events {
			if !slices.Contains(d.eventNames, e.Name) {
				d.eventNames = append(d.eventNames, e.Name)
			}
			for k, v := range e.Properties {
				if !slices.Contains(d.propKeys[e.Name], k) {
					d.propKeys[e.Name] = append(d.propKeys[e.Name], k)
				}
				if key := k + "\x00" + fmt.Sprintf("%T:%v", v, v); !seen[key] {
					seen[key] = true
					d.propValues[k] = append(d.propValues[k], v)
				}
			}
		}
	}
	slices.Sort(d.eventNames)
	for n := range d.propKeys {
		slices.Sort(d.propKeys[n])
	}
	for k := range d.propValues {
		slices.SortFunc(d.propValues[k], func(a, b any) int {
			return strings.Compare(fmt.Sprintf("%T:%v", a, a), fmt.Sprintf("%T:%v", b, b))
		})
	}
	return d
}

// diffAttributes draws custom-field values, mostly canonical, some missing or
// empty, and a few of another type or shape (left by definition changes).
func diffAttributes(r *rand.Rand, dates []string) map[string]any {
	a := map[string]any{}
	maybe := func(p int) bool { return r.IntN(100) < p }
	set := func(key string, p int, v func() any) {
		switch x := r.IntN(100); {
		case x < p:
			a[key] = v()
		case x < p+3:
			a[key] = nil
		}
	}
	set("budget", 70, func() any {
		switch {
		case maybe(4):
			return "150" // a string in a NUMBER field: no value to comparisons
		case maybe(10):
			return float64(r.IntN(1000)) + 0.5
		}
		return float64(50 * r.IntN(21))
	})
	set("deal", 60, func() any {
		switch {
		case maybe(10):
			return json.RawMessage("150.50")
		case maybe(10):
			return json.RawMessage("1e2")
		}
		return float64(r.IntN(100000)) / 100
	})
	set("note", 60, func() any {
		switch {
		case maybe(4):
			return 42.0 // a number in a TEXT field compares as its digits
		case maybe(4):
			return ""
		}
		return diffPick(r, diffNotes)
	})
	set("city", 70, func() any { return diffPick(r, []string{"sh", "bj", "gz", "sz", "cd"}) })
	set("interests", 65, func() any {
		switch {
		case maybe(5):
			return []any{}
		case maybe(4):
			return "golf" // a string in a MULTI_SELECT: no value
		}
		var out []any
		for _, o := range []string{"golf", "tennis", "chess", "music", "travel"} {
			if maybe(35) {
				out = append(out, o)
			}
		}
		if len(out) == 0 {
			out = []any{"music"}
		}
		return out
	})
	set("vip", 70, func() any {
		if maybe(4) {
			return "yes"
		}
		return maybe(40)
	})
	set("birthday", 60, func() any {
		switch {
		case maybe(3):
			return "2025-1-10" // not the canonical shape: no value
		case maybe(3):
			return "2025-02-30" // the shape: compares as its text
		}
		return diffPick(r, dates)
	})
	set("next_call", 60, func() any {
		if maybe(4) {
			return "2026-11-20T10:00:00+08:00" // not canonical: no value
		}
		return diffHoursAgo(r.IntN(24*60) - 24*30).Format("2006-01-02T15:04:05Z")
	})
	return a
}

var diffEventNames = []string{"viewed_ad", "paid", "opened_email", "visited_page"}

func diffEvent(r *rand.Rand) diffEventSpec {
	maybe := func(p int) bool { return r.IntN(100) < p }
	e := diffEventSpec{name: diffPick(r, diffEventNames), props: map[string]any{}}
	if maybe(4) {
		e.at = t0.Add(time.Duration(1+r.IntN(48)) * time.Hour) // a little in the future
	} else {
		e.at = diffHoursAgo(r.IntN(24 * 120))
	}
	p := e.props
	switch e.name {
	case "paid":
		if maybe(90) {
			p["amount"] = diffPick(r, diffAmounts)
		}
		if maybe(70) {
			p["currency"] = diffPick(r, []string{"CNY", "USD", "cny"})
		}
		if maybe(50) {
			p["channel"] = diffPick(r, diffChannels)
		}
	case "viewed_ad":
		if maybe(80) {
			p["channel"] = diffPick(r, diffChannels)
		}
		if maybe(60) {
			p["campaign"] = diffPick(r, []string{"spring_sale", "50%off", "springXsale", "Summer Sale", "a_b"})
		}
		if maybe(30) {
			p["utm.source"] = diffPick(r, []string{"google", "baidu", "Baidu"}) // a key with a dot is one key
		}
		if maybe(50) {
			p["position"] = float64(1 + r.IntN(5))
		}
	case "opened_email":
		if maybe(70) {
			p["subject"] = diffPick(r, []string{"Welcome", "Your invoice", "welcome back", "50% off today", ""})
		}
		if maybe(40) {
			p["tags"] = diffPick(r, []any{[]any{}, []any{"a", "b"}, []any{"x"}})
		}
		if maybe(30) {
			p["meta"] = diffPick(r, []any{map[string]any{}, map[string]any{"k": 1.0}})
		}
	case "visited_page":
		if maybe(90) {
			p["path"] = diffPick(r, []string{"/pricing", "/Pricing", "/docs", "/blog/50%", "/a_b"})
		}
		if maybe(50) {
			p["duration"] = float64(r.IntN(600))
		}
		if maybe(50) {
			p["flag"] = maybe(50)
		}
		if maybe(10) {
			p["amount"] = diffPick(r, diffAmounts)
		}
	}
	return e
}

// ---------------------------------------------------------------- sentinels

// The sentinels are three leads with known data, for hand-written rules with
// known answers: they prove the in-memory evaluator (and Preview) can fail.
const diffSentinelCompany = "Zeta Sentinel Labs"

func diffSentinelSpecs() []diffLeadSpec {
	out := make([]diffLeadSpec, 3)
	for i := range out {
		out[i] = diffLeadSpec{name: "Sentinel " + string(rune('A'+i)), company: diffSentinelCompany, status: lead.StatusACTIVE,
			attrs: map[string]any{}, created: diffHoursAgo(10), updated: diffHoursAgo(10)}
	}
	out[0].attrs["budget"] = 100.0
	out[2].attrs["budget"] = 100.0
	out[2].status = lead.StatusARCHIVED
	return out
}

// diffSentinelData adds the tags and events of sentinel i: A has one paid event
// over 10 and the vip tag; B two paid over 10 (and one under) and no tags;
// C (archived) two paid under 10 and the vip tag.
func diffSentinelData(s diffLeadSpec, i int) diffLeadSpec {
	paid := func(amount float64, h int) diffEventSpec {
		return diffEventSpec{name: "paid", props: map[string]any{"amount": amount}, at: diffHoursAgo(h)}
	}
	switch i {
	case 0:
		s.tags = []int{0}
		s.events = []diffEventSpec{paid(20, 48)}
	case 1:
		s.events = []diffEventSpec{paid(20, 24), paid(20, 72), paid(5, 48)}
	case 2:
		s.tags = []int{0}
		s.events = []diffEventSpec{paid(5, 24), paid(5, 48)}
	}
	return s
}

func (d *diffWorkspace) checkSentinels(t *testing.T) {
	t.Helper()
	byName := map[string]uuid.UUID{}
	for _, l := range d.mem.leads {
		if l.Company == diffSentinelCompany {
			byName[l.Name] = l.ID
		}
	}
	a, b, c := byName["Sentinel A"], byName["Sentinel B"], byName["Sentinel C"]
	ours := attr("company", "EQ", diffSentinelCompany)
	and := func(rs ...segment.Rule) segment.Rule { return segment.Rule{And: append([]segment.Rule{ours}, rs...)} }
	paidOver10 := []schematype.PropertyCondition{{Key: "amount", Op: "GT", Value: 10.0}}
	cases := []struct {
		name string
		rule segment.Rule
		want []uuid.UUID
	}{
		{"name", attr("name", "EQ", "Sentinel A"), []uuid.UUID{a}},
		{"active only", ours, []uuid.UUID{a, b}},
		{"archived", and(attr("status", "EQ", "ARCHIVED")), []uuid.UUID{c}},
		{"any status", and(attr("status", "IN", []any{"ACTIVE", "ARCHIVED"})), []uuid.UUID{a, b, c}},
		{"paid twice over 10 this week", and(segment.Rule{Event: &schematype.EventCondition{
			Name: "paid", MinCount: ptr(2), WithinDays: ptr(7), Where: paidOver10}}), []uuid.UUID{b}},
		{"paid over 10 at most once", and(segment.Rule{Event: &schematype.EventCondition{
			Name: "paid", MaxCount: ptr(1), Where: paidOver10}}), []uuid.UUID{a}},
		{"paid in the last 2 days", and(segment.Rule{Event: &schematype.EventCondition{
			Name: "paid", WithinDays: ptr(2), Until: ptr(diffHoursAgo(30))}}), []uuid.UUID{a, b}},
		{"not vip", and(segment.Rule{Not: &segment.Rule{Tag: &schematype.TagCondition{Any: d.tags[:1]}}}), []uuid.UUID{b}},
		{"budget not 100", and(attr("budget", "NEQ", 100)), []uuid.UUID{b}},
		{"archived with budget", and(attr("status", "NEQ", "ACTIVE"), attr("budget", "EQ", "100")), []uuid.UUID{c}},
	}
	for _, tc := range cases {
		r := diffRoundTrip(t, tc.rule)
		var mem []uuid.UUID
		for _, l := range d.mem.members(&r) {
			mem = append(mem, l.ID)
		}
		sameSet(t, "in-memory "+tc.name, mem, tc.want)
		got, err := d.preview(&r)
		if err != nil {
			t.Fatalf("preview %s: %v", tc.name, err)
		}
		sameSet(t, "preview "+tc.name, got, tc.want)
	}
}

// roundTrip sends the rule through JSON, as a client would, so the printed
// rule is exactly what was evaluated.
func diffRoundTrip(t *testing.T, r segment.Rule) segment.Rule {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out segment.Rule
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (d *diffWorkspace) preview(r *segment.Rule) ([]uuid.UUID, error) {
	p, err := d.svc.Preview(d.Ctx, "rule", r, diffSample)
	if err != nil {
		return nil, err
	}
	if p.Count != len(p.Sample) {
		return nil, fmt.Errorf("count %d but %d sampled leads", p.Count, len(p.Sample))
	}
	ids := make([]uuid.UUID, len(p.Sample))
	for i, l := range p.Sample {
		ids[i] = l.ID
	}
	return ids, nil
}

// ---------------------------------------------------------------- the test

func TestDifferentialRulesMatchInMemoryEvaluation(t *testing.T) {
	seed := diffSeed(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d: rerun with SCRM_SEGMENT_SEED=%d go test ./internal/segment/ -run Differential", seed, seed)
		}
	})
	start := time.Now()
	r := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	d := newDiffWorkspace(t, r)
	t.Logf("workspace: %d leads, seed %d, built in %s", len(d.mem.leads), seed, time.Since(start).Round(time.Millisecond))
	d.checkSentinels(t)
	if t.Failed() {
		t.FailNow()
	}

	g := &diffRuleGen{r: r, d: d}
	n := diffRules(t)
	st := &diffStats{seed: seed, leaves: map[string]int{}}
	// Whole trees: every member, through Preview's count and full sample.
	for i := range n {
		st.check(t, d, fmt.Sprintf("rule %d", i), diffRoundTrip(t, g.rule(0)), diffSample)
	}
	trees := *st
	// Single conditions, where no sibling can mask a difference: the count
	// and the first leads by seq (a small sample keeps this cheap).
	for i := range n {
		st.check(t, d, fmt.Sprintf("condition %d", i), diffRoundTrip(t, g.leaf()), diffLeafSample)
	}
	t.Logf("%d rule trees and %d single conditions in %s (seed %d)", n, n, time.Since(start).Round(time.Millisecond), seed)
	t.Logf("trees: %d non-trivial, %d empty, %d every lead", trees.nontrivial, trees.empty, trees.full)
	t.Logf("all: %d non-trivial, %d empty, %d every lead; conditions %v", st.nontrivial, st.empty, st.full, st.leaves)
	if trees.nontrivial*100 < n*40 {
		t.Errorf("only %d of %d rule trees select some but not all leads; the generator needs better values", trees.nontrivial, n)
	}
	if st.nontrivial*100 < 2*n*40 {
		t.Errorf("only %d of %d rules select some but not all leads; the generator needs better values", st.nontrivial, 2*n)
	}
}

// diffStats checks rules and counts how selective they were.
type diffStats struct {
	seed                                uint64
	nontrivial, empty, full, mismatches int
	leaves                              map[string]int
}

// check previews rule with a sample of up to sample leads and compares the
// count and the sampled leads with the in-memory members.
func (st *diffStats) check(t *testing.T, d *diffWorkspace, name string, rule segment.Rule, sample int) {
	t.Helper()
	diffCountLeaves(&rule, st.leaves)
	raw, _ := json.Marshal(rule)
	universe := d.mem.universe(&rule)
	want := d.mem.members(&rule)
	p, err := d.svc.Preview(d.Ctx, "rule", &rule, sample)
	if err != nil {
		t.Fatalf("%s (seed %d) refused: %v\nrule: %s", name, st.seed, err, raw)
	}
	switch {
	case len(want) == 0:
		st.empty++
	case len(want) == len(universe):
		st.full++
	default:
		st.nontrivial++
	}
	got := make([]uuid.UUID, len(p.Sample))
	for i, l := range p.Sample {
		got[i] = l.ID
	}
	if p.Count == len(want) && slices.Equal(got, diffIDs(want[:min(sample, len(want))])) {
		return
	}
	diff := ""
	if sample < diffSample { // show the whole difference
		diff = fmt.Sprintf("Preview counts %d leads, in-memory %d; all of them:\n", p.Count, len(want))
		if all, err := d.preview(&rule); err == nil {
			got = all
		}
	}
	diff += d.describeDiff(got, want)
	st.mismatches++
	t.Errorf("%s (seed %d): compiled SQL and in-memory evaluation differ\nrule: %s\n%s", name, st.seed, raw, diff)
	if st.mismatches >= 5 {
		t.Fatalf("stopping after %d mismatches", st.mismatches)
	}
}

func diffIDs(ls []*memLead) []uuid.UUID {
	out := make([]uuid.UUID, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

func diffCountLeaves(r *segment.Rule, m map[string]int) {
	switch {
	case r.Attribute != nil:
		m["attribute:"+r.Attribute.Op]++
	case r.Tag != nil:
		m["tag"]++
	case r.Stage != nil:
		m["stage"]++
	case r.Owner != nil:
		m["owner"]++
	case r.Event != nil:
		m["event"]++
		m["where"] += len(r.Event.Where)
	case r.Not != nil:
		diffCountLeaves(r.Not, m)
	}
	for _, l := range [][]segment.Rule{r.And, r.Or, r.Intersect, r.Union, r.Difference} {
		for i := range l {
			diffCountLeaves(&l[i], m)
		}
	}
}

// describeDiff is "" when got (Preview's sample, by seq) equals want, else
// the sizes and a few leads on one side only, with their data.
func (d *diffWorkspace) describeDiff(got []uuid.UUID, want []*memLead) string {
	wantIDs := diffIDs(want)
	if slices.Equal(got, wantIDs) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "compiled SQL selects %d leads, in-memory %d\n", len(got), len(want))
	shown := 0
	for _, l := range d.mem.leads {
		inGot, inWant := slices.Contains(got, l.ID), slices.Contains(wantIDs, l.ID)
		if inGot == inWant {
			continue
		}
		if shown == 4 {
			b.WriteString("…\n")
			break
		}
		shown++
		side := "only SQL selects"
		if inWant {
			side = "only in-memory selects"
		}
		js, _ := json.Marshal(l)
		fmt.Fprintf(&b, "%s lead seq %d: %s\n", side, l.Seq, js)
	}
	if shown == 0 {
		b.WriteString("same leads in another order\n")
	}
	return b.String()
}

// ---------------------------------------------------------------- rule generator

// diffRuleGen draws valid rule trees whose values come mostly from the stored
// data, so conditions select some leads but not all.
type diffRuleGen struct {
	r *rand.Rand
	d *diffWorkspace
}

func (g *diffRuleGen) chance(p int) bool { return g.r.IntN(100) < p }

func (g *diffRuleGen) lead() *memLead { return diffPick(g.r, g.d.mem.leads) }

func (g *diffRuleGen) rule(depth int) segment.Rule {
	groupChance := []int{75, 50, 35, 20}
	if depth <= diffMaxGroupDepth && g.chance(groupChance[depth]) {
		kids := func(least, most int) []segment.Rule {
			out := make([]segment.Rule, least+g.r.IntN(most-least+1))
			for i := range out {
				out[i] = g.rule(depth + 1)
			}
			return out
		}
		switch g.r.IntN(6) {
		case 0:
			return segment.Rule{And: kids(1, 3)}
		case 1:
			return segment.Rule{Or: kids(1, 3)}
		case 2:
			n := g.rule(depth + 1)
			return segment.Rule{Not: &n}
		case 3:
			return segment.Rule{Intersect: kids(2, 3)}
		case 4:
			return segment.Rule{Union: kids(2, 3)}
		default:
			return segment.Rule{Difference: kids(2, 3)}
		}
	}
	return g.leaf()
}

// leaf is one condition.
func (g *diffRuleGen) leaf() segment.Rule {
	switch x := g.r.IntN(100); {
	case x < 30:
		return g.builtin()
	case x < 60:
		return g.custom()
	case x < 70:
		return g.tag()
	case x < 76:
		return segment.Rule{Stage: &schematype.StageCondition{In: g.some(g.d.stages, 3)}}
	case x < 82:
		return g.owner()
	}
	return g.event()
}

// some is 1 to most distinct elements of s.
func (g *diffRuleGen) some(s []uuid.UUID, most int) []uuid.UUID {
	n := 1 + g.r.IntN(most)
	out := slices.Clone(s)
	g.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:min(n, len(out))]
}

func (g *diffRuleGen) tag() segment.Rule {
	c := &schematype.TagCondition{}
	for c.Any == nil && c.All == nil && c.None == nil {
		if g.chance(50) {
			c.Any = g.some(g.d.tags, 3)
		}
		if g.chance(35) {
			c.All = g.some(g.d.tags, 2)
			if g.chance(15) {
				c.All = append(c.All, c.All[0]) // duplicates count once
			}
		}
		if g.chance(40) {
			c.None = g.some(g.d.tags, 2)
		}
	}
	return segment.Rule{Tag: c}
}

func (g *diffRuleGen) owner() segment.Rule {
	c := &schematype.OwnerCondition{}
	switch g.r.IntN(3) {
	case 0:
		c.In = g.some(g.d.users, 2)
	case 1:
		c.Public = ptr(g.chance(50))
	default:
		c.In = g.some(g.d.users, 2)
		c.Public = ptr(g.chance(50))
	}
	return segment.Rule{Owner: c}
}

func (g *diffRuleGen) attr(key, op string, v any) segment.Rule {
	return segment.Rule{Attribute: &schematype.AttributeCondition{Key: key, Op: op, Value: v}}
}

// list draws 1 to 3 values.
func (g *diffRuleGen) list(v func() any) []any {
	out := make([]any, 1+g.r.IntN(3))
	for i := range out {
		out[i] = v()
	}
	return out
}

// substring is a piece of s of 1 to 4 characters, in a random case.
func (g *diffRuleGen) substring(s string) string {
	rs := []rune(s)
	if len(rs) == 0 {
		return diffPick(g.r, []string{"a", "%", "_", `\`, "li", "WANG", "o'"})
	}
	i := g.r.IntN(len(rs))
	j := min(len(rs), i+1+g.r.IntN(4))
	sub := string(rs[i:j])
	switch g.r.IntN(3) {
	case 0:
		sub = strings.ToUpper(sub)
	case 1:
		sub = strings.ToLower(sub)
	}
	return sub
}

func (g *diffRuleGen) builtin() segment.Rule {
	textOps := []string{"EQ", "NEQ", "IN", "NOT_IN", "CONTAINS", "IS_EMPTY", "IS_NOT_EMPTY"}
	numberOps := []string{"EQ", "NEQ", "IN", "NOT_IN", "GT", "GTE", "LT", "LTE", "BETWEEN"}
	timeOps := []string{"EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "IS_EMPTY", "IS_NOT_EMPTY"}
	choiceOps := []string{"EQ", "NEQ", "IN", "NOT_IN", "IS_EMPTY", "IS_NOT_EMPTY"}
	key := diffPick(g.r, []string{"name", "company", "source", "sourceDetail", "externalID", "score", "status", "tier",
		"createdAt", "updatedAt", "claimedAt", "lastFollowUpAt", "protectedUntil", "locked", "territory"})
	switch key {
	case "name", "company", "source", "sourceDetail", "externalID":
		text := func() string {
			if g.chance(8) {
				return diffPick(g.r, []string{"nobody", "ALICE WANG", " Bob", "EXT-99999"})
			}
			l := g.lead()
			switch key {
			case "name":
				return l.Name
			case "company":
				return l.Company
			case "source":
				return l.Source
			case "sourceDetail":
				return l.SourceDetail
			}
			if l.ExternalID == nil {
				return ""
			}
			return *l.ExternalID
		}
		op := diffPick(g.r, textOps)
		switch op {
		case "EQ", "NEQ":
			return g.attr(key, op, text())
		case "IN", "NOT_IN":
			return g.attr(key, op, g.list(func() any { return text() }))
		case "CONTAINS":
			return g.attr(key, op, g.substring(text()))
		}
		return g.attr(key, op, nil)
	case "score":
		num := func() any {
			v := float64(g.lead().Score)
			switch x := g.r.IntN(10); {
			case x == 0:
				v += 0.5
			case x == 1:
				return strconv.Itoa(int(v)) // numeric text
			}
			return v
		}
		op := diffPick(g.r, numberOps)
		switch op {
		case "IN", "NOT_IN":
			return g.attr(key, op, g.list(num))
		case "BETWEEN":
			lo, hi := memFloat(num()), memFloat(num())
			if lo > hi && g.chance(60) { // else reversed: BETWEEN selects nothing
				lo, hi = hi, lo
			}
			return g.attr(key, op, []any{lo, hi})
		}
		return g.attr(key, op, num())
	case "status", "tier":
		choices := []string{"ACTIVE", "ARCHIVED"}
		if key == "tier" {
			choices = []string{"A", "B", "C", "D"}
		}
		op := diffPick(g.r, choiceOps)
		switch op {
		case "EQ", "NEQ":
			return g.attr(key, op, diffPick(g.r, choices))
		case "IN", "NOT_IN":
			return g.attr(key, op, g.list(func() any { return diffPick(g.r, choices) }))
		}
		return g.attr(key, op, nil)
	case "locked":
		return g.attr(key, diffPick(g.r, []string{"EQ", "NEQ"}), g.chance(50))
	case "territory":
		id := func() any { return gid.Encode(diffPick(g.r, g.d.territories)) }
		op := diffPick(g.r, choiceOps)
		switch op {
		case "EQ", "NEQ":
			if g.chance(20) {
				return g.attr(key, op, []any{id()})
			}
			return g.attr(key, op, id())
		case "IN", "NOT_IN":
			return g.attr(key, op, g.list(id))
		}
		return g.attr(key, op, nil)
	}
	// Times.
	at := func() time.Time {
		for range 5 {
			l := g.lead()
			v := map[string]*time.Time{"createdAt": &l.CreatedAt, "updatedAt": &l.UpdatedAt, "claimedAt": l.ClaimedAt,
				"lastFollowUpAt": l.LastFollowUpAt, "protectedUntil": l.ProtectedUntil}[key]
			if v != nil {
				return *v
			}
		}
		return diffHoursAgo(g.r.IntN(24 * 200))
	}
	format := func(x time.Time) string {
		switch g.r.IntN(4) {
		case 0:
			return x.Format(time.DateOnly)
		case 1:
			return x.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339Nano)
		}
		return x.UTC().Format(time.RFC3339Nano)
	}
	op := diffPick(g.r, timeOps)
	switch op {
	case "IS_EMPTY", "IS_NOT_EMPTY":
		return g.attr(key, op, nil)
	case "BETWEEN":
		lo, hi := at(), at()
		if lo.After(hi) && g.chance(60) { // else reversed: BETWEEN selects nothing
			lo, hi = hi, lo
		}
		return g.attr(key, op, []any{format(lo), format(hi)})
	}
	return g.attr(key, op, format(at()))
}

// stored is the value of key of a random lead that has one of a usable type
// (up to a few tries), or nil.
func (g *diffRuleGen) stored(key string, ok func(any) bool) any {
	for range 6 {
		if v, has := g.lead().Attributes[key]; has && v != nil && ok(v) {
			return v
		}
	}
	return nil
}

func (g *diffRuleGen) custom() segment.Rule {
	def := diffPick(g.r, g.d.defs)
	key := def.Key
	ops := fields.Ops(def.Type)
	op := string(diffPick(g.r, ops))
	if op == "IS_EMPTY" || op == "IS_NOT_EMPTY" {
		return g.attr(key, op, nil)
	}
	var one func() any
	var order func(a, b any) int // for BETWEEN, which needs low ≤ high
	switch def.Type {
	case fields.TypeNumber, fields.TypeMoney:
		one = func() any {
			v := g.stored(key, func(v any) bool { _, ok := memNumber(v); return ok })
			f := float64(g.r.IntN(1000))
			if v != nil {
				f, _ = memNumber(v)
			}
			if g.chance(10) {
				return strconv.FormatFloat(f, 'f', -1, 64) // numeric text
			}
			return f
		}
		order = func(a, b any) int { return memCompareFloat(memFloat(a), memFloat(b)) }
	case fields.TypeText:
		one = func() any {
			if g.chance(5) {
				return "42"
			}
			v := g.stored(key, func(v any) bool { s, ok := v.(string); return ok && strings.TrimSpace(s) != "" })
			s := diffPick(g.r, diffNotes)
			if v != nil {
				s = v.(string)
			}
			switch g.r.IntN(10) {
			case 0:
				s = "  " + s + " " // filter values are trimmed like stored ones
			case 1:
				s = strings.ToUpper(s) // equality is exact
			}
			return s
		}
		if op == "CONTAINS" {
			sub := g.substring(one().(string))
			if strings.TrimSpace(sub) == "" {
				sub = "a"
			}
			if g.chance(25) {
				sub = " " + sub + "  " // trimmed like EQ values
			}
			return g.attr(key, op, sub)
		}
	case fields.TypeSelect, fields.TypeMultiSelect:
		one = func() any {
			o := diffPick(g.r, def.Options)
			if g.chance(30) {
				return o.Label
			}
			return o.Value
		}
		if def.Type == fields.TypeMultiSelect {
			switch op {
			case "EQ", "NEQ":
				if g.chance(20) {
					return g.attr(key, op, []any{one()})
				}
			case "CONTAINS":
				if g.chance(40) {
					return g.attr(key, op, one())
				}
				return g.attr(key, op, g.list(one))
			}
		}
	case fields.TypeBoolean:
		one = func() any {
			if g.chance(20) {
				return diffPick(g.r, []string{"true", "false", "1", "0"})
			}
			return g.chance(50)
		}
	case fields.TypeDate:
		one = func() any {
			var day time.Time
			v := g.stored(key, func(v any) bool {
				s, ok := v.(string)
				if !ok {
					return false
				}
				_, err := time.Parse(time.DateOnly, s)
				return err == nil
			})
			if v != nil {
				day, _ = time.Parse(time.DateOnly, v.(string))
			} else {
				day = time.Date(1970+g.r.IntN(40), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), 0, 0, 0, 0, time.UTC)
			}
			switch g.r.IntN(8) {
			case 0:
				return day.Format("2006/1/2")
			case 1:
				return day.Format("2006-1-2")
			case 2: // the date in the timestamp's own offset
				return time.Date(day.Year(), day.Month(), day.Day(), 0, 30, 0, 0, time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
			}
			return day.Format(time.DateOnly)
		}
		order = func(a, b any) int { return strings.Compare(memDate(a), memDate(b)) }
	case fields.TypeDateTime:
		one = func() any {
			v := g.stored(key, func(v any) bool { s, ok := v.(string); return ok && memDateTimeShape.MatchString(s) })
			x := diffHoursAgo(g.r.IntN(24*60) - 24*30)
			if v != nil {
				x, _ = time.Parse(time.RFC3339, v.(string))
			}
			switch g.r.IntN(4) {
			case 0:
				return x.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
			case 1:
				return x.Add(500 * time.Millisecond).Format(time.RFC3339Nano) // fractions are truncated
			}
			return x.Format(time.RFC3339)
		}
		order = func(a, b any) int { return strings.Compare(memDateTime(a), memDateTime(b)) }
	default:
		panic("diffRuleGen: no values for " + string(def.Type))
	}
	switch op {
	case "IN", "NOT_IN":
		return g.attr(key, op, g.list(one))
	case "BETWEEN":
		lo, hi := one(), one()
		if order(lo, hi) > 0 {
			lo, hi = hi, lo
		}
		return g.attr(key, op, []any{lo, hi})
	}
	return g.attr(key, op, one())
}

func (g *diffRuleGen) event() segment.Rule {
	c := &schematype.EventCondition{Name: diffPick(g.r, g.d.eventNames)}
	if g.chance(3) {
		c.Name = "never_happened"
	}
	switch g.r.IntN(6) {
	case 0: // at least once
	case 1:
		c.MinCount = ptr(1 + g.r.IntN(4))
	case 2:
		c.MaxCount = ptr(g.r.IntN(4))
	case 3:
		lo := g.r.IntN(4)
		c.MinCount, c.MaxCount = ptr(lo), ptr(lo+g.r.IntN(3))
	case 4:
		c.MinCount, c.MaxCount = ptr(0), ptr(0)
	default:
		c.MinCount = ptr(1)
	}
	// An event time of the data, or an hour of the grid.
	when := func() time.Time {
		for range 4 {
			if l := g.lead(); len(l.Events) > 0 {
				return diffPick(g.r, l.Events).At
			}
		}
		return diffHoursAgo(g.r.IntN(24 * 120))
	}
	switch g.r.IntN(8) {
	case 0, 1: // no window
	case 2:
		c.WithinDays = ptr(diffPick(g.r, []int{1, 2, 7, 14, 30, 60, 90, 3650}))
	case 3:
		c.Since = ptr(when())
	case 4:
		c.Until = ptr(when())
	case 5:
		a, b := when(), when()
		if a.Equal(b) {
			b = b.Add(time.Hour)
		}
		if a.After(b) {
			a, b = b, a
		}
		c.Since, c.Until = &a, &b
	case 6:
		c.WithinDays, c.Since = ptr(1+g.r.IntN(60)), ptr(when())
	default:
		c.WithinDays, c.Until = ptr(1+g.r.IntN(60)), ptr(when())
	}
	for range diffPick(g.r, []int{0, 0, 1, 1, 1, 2, 3}) {
		c.Where = append(c.Where, g.where(c.Name))
	}
	return segment.Rule{Event: c}
}

// scalar is a property value usable in EQ and IN: what a client sends.
func (g *diffRuleGen) scalar(key string) any {
	if vs := g.d.propValues[key]; len(vs) > 0 && g.chance(90) {
		switch v := diffPick(g.r, vs).(type) {
		case string, bool:
			return v
		case json.Number:
			f, _ := memNumber(v)
			return f
		}
	}
	return diffPick(g.r, []any{"web", 12.5, true, "", 3.0, "12.5"})
}

func (g *diffRuleGen) where(name string) schematype.PropertyCondition {
	keys := g.d.propKeys[name]
	key := "missing_key"
	switch {
	case len(keys) > 0 && g.chance(80):
		key = diffPick(g.r, keys)
	case g.chance(70):
		key = diffPick(g.r, []string{"amount", "channel", "tags", "meta", "flag", "path"})
	}
	var strs []string
	var nums []float64
	for _, v := range g.d.propValues[key] {
		switch x := v.(type) {
		case string:
			strs = append(strs, x)
		case json.Number:
			f, _ := memNumber(x)
			nums = append(nums, f)
		}
	}
	op := diffPick(g.r, []string{"EQ", "NEQ", "IN", "NOT_IN", "CONTAINS", "GT", "GTE", "LT", "LTE", "BETWEEN", "IS_EMPTY", "IS_NOT_EMPTY"})
	w := schematype.PropertyCondition{Key: key, Op: op}
	switch op {
	case "EQ", "NEQ":
		w.Value = g.scalar(key)
	case "IN", "NOT_IN":
		w.Value = g.list(func() any { return g.scalar(key) })
	case "CONTAINS":
		s := "e"
		if len(strs) > 0 {
			s = diffPick(g.r, strs)
		}
		w.Value = g.substring(s)
	case "GT", "GTE", "LT", "LTE", "BETWEEN":
		var bound func() any
		if len(nums) > 0 && (len(strs) == 0 || g.chance(60)) {
			bound = func() any {
				if len(nums) == 0 || g.chance(15) {
					return float64(g.r.IntN(100))
				}
				return diffPick(g.r, nums)
			}
		} else {
			bound = func() any {
				if len(strs) == 0 || g.chance(15) {
					return diffPick(g.r, []string{"a", "M", "web", "/p"})
				}
				return diffPick(g.r, strs)
			}
		}
		if op == "BETWEEN" {
			w.Value = []any{bound(), bound()} // either order: reversed selects nothing
		} else {
			w.Value = bound()
		}
	}
	return w
}
