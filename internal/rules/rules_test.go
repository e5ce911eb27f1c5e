package rules_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/rules"
	"github.com/scrmhq/scrm/internal/rules/rulestest"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// match runs condition through Matcher (assignment purpose, facts loaded
// from the database) and returns which of ids matched.
func match(t *testing.T, w *rulestest.Workspace, condition string, ids ...uuid.UUID) []bool {
	t.Helper()
	got, err := rules.Matcher(w.C, clock)(w.Ctx, condition, ids)
	if err != nil {
		t.Fatalf("%s: %v", condition, err)
	}
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i] = got[id]
	}
	return out
}

type matchCase struct {
	expr string
	want []bool
}

func runMatches(t *testing.T, w *rulestest.Workspace, ids []uuid.UUID, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		got := match(t, w, tc.expr, ids...)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got %v, want %v", tc.expr, got, tc.want)
				break
			}
		}
	}
}

func TestLeadVariables(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	contacted, err := w.C.Stage.Query().Where(stage.Key("contacted")).Only(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	won, err := w.C.Stage.Query().Where(stage.Key("won")).Only(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := w.C.Pool.Query().Where(pool.IsDefault(true)).Only(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	terr, err := w.C.Territory.Create().SetName("华东").Save(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	referrer := w.Lead(t, func(q *ent.LeadCreate) { q.SetName("referrer") })
	full := w.Lead(t, func(q *ent.LeadCreate) {
		q.SetName("张三").SetCompany("Acme").SetSource("wechat").SetSourceDetail("ad-42").
			SetScore(42).SetTier(lead.TierB).SetStageID(contacted.ID).SetPoolID(pl.ID).SetTerritoryID(terr.ID).
			SetOwnerID(w.Admin).SetReferrerID(referrer).SetPhone("+8613812345678").SetEmail("zs@example.com").
			SetReachable([]string{"PHONE", "SMS"}).SetCreatedAt(now.Add(-48 * time.Hour)).
			SetClaimedAt(now.Add(-24 * time.Hour)).SetLastFollowUpAt(now.Add(-2 * time.Hour))
	})
	bare := w.Lead(t, func(q *ent.LeadCreate) { q.SetCreatedAt(now.Add(-400 * 24 * time.Hour)) })
	// New leads start in the default stage; this one has none.
	if err := w.C.Lead.UpdateOneID(bare).ClearStageID().Exec(w.Ctx); err != nil {
		t.Fatal(err)
	}
	lost := w.Lead(t, func(q *ent.LeadCreate) { q.SetStageID(won.ID).SetStatus(lead.StatusARCHIVED) })
	ids := []uuid.UUID{full, bare, lost}

	runMatches(t, w, ids, []matchCase{
		{`lead.name == "张三"`, []bool{true, false, false}},
		{`lead.name == ""`, []bool{false, true, true}},
		{`lead.company == "Acme" && lead.source == "wechat" && lead.sourceDetail.startsWith("ad-")`, []bool{true, false, false}},
		{`lead.status == "ACTIVE"`, []bool{true, true, false}},
		{`lead.status == "ARCHIVED"`, []bool{false, false, true}},
		{`lead.score == 42`, []bool{true, false, false}},
		{`lead.score >= 0`, []bool{true, true, true}},
		{`lead.tier == "B"`, []bool{true, false, false}},
		{`lead.tier == ""`, []bool{false, true, true}},
		{`lead.stage == "contacted" && lead.stageKind == "OPEN"`, []bool{true, false, false}},
		{`lead.stage == "" && lead.stageKind == ""`, []bool{false, true, false}},
		{`lead.stageKind == "WON"`, []bool{false, false, true}},
		{`lead.territory == "华东"`, []bool{true, false, false}},
		{`lead.pool == "公海"`, []bool{true, false, false}},
		{`lead.pool == "" && lead.territory == ""`, []bool{false, true, true}},
		{`lead.owned`, []bool{true, false, false}},
		{`lead.referred`, []bool{true, false, false}},
		{`lead.hasPhone && lead.hasEmail`, []bool{true, false, false}},
		{`!lead.hasPhone && !lead.hasEmail`, []bool{false, true, true}},
		{`"SMS" in lead.reachable && size(lead.reachable) == 2`, []bool{true, false, false}},
		{`lead.reachable == []`, []bool{false, true, true}},
		{`now - lead.createdAt == duration("48h")`, []bool{true, false, false}},
		{`lead.createdAt < timestamp("2026-01-01T00:00:00Z")`, []bool{false, true, false}},
		{`has(lead.claimedAt)`, []bool{true, false, false}},
		{`lead.claimedAt > now - duration("25h")`, []bool{true, false, false}},
		{`has(lead.lastFollowUpAt) && now - lead.lastFollowUpAt < duration("3h")`, []bool{true, false, false}},
		// absent timestamps fail the evaluation: no match either way
		{`lead.lastFollowUpAt < now`, []bool{true, false, false}},
		{`!(lead.lastFollowUpAt < now)`, []bool{false, false, false}},
		{`!has(lead.lastFollowUpAt) || now - lead.lastFollowUpAt > duration("240h")`, []bool{false, true, true}},
		{`tags == []`, []bool{true, true, true}},
		{`now == timestamp("2026-11-23T10:00:00Z")`, []bool{true, true, true}},
		{``, []bool{true, true, true}},
		{"  \n", []bool{true, true, true}},
	})

	// Ids that are not leads of the workspace never match.
	got := match(t, w, `true`, full, uuid.New())
	if !got[0] || got[1] {
		t.Fatalf("unknown id matched: %v", got)
	}
}

func TestTagsAndEvents(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	a := w.Lead(t, nil)
	b := w.Lead(t, nil)
	w.Tag(t, a, "vip", "展会")
	w.Tag(t, b, "展会")
	for _, at := range []time.Time{
		now.Add(-time.Hour),
		now.Add(-7*24*time.Hour + time.Minute), // just inside 7 days
		now.Add(-7*24*time.Hour - time.Minute), // just outside
		now.Add(-29 * 24 * time.Hour),
		now.Add(-31 * 24 * time.Hour),
	} {
		w.Event(t, a, "page_view", at)
	}
	w.Event(t, a, "paid", now.Add(-2*24*time.Hour))
	w.Event(t, b, "page_view", now.Add(-40*24*time.Hour))
	// Another workspace's events never count.
	other := rulestest.NewWorkspace(t, db)
	o := other.Lead(t, nil)
	other.Event(t, o, "page_view", now.Add(-time.Hour))
	other.Tag(t, o, "vip")

	ids := []uuid.UUID{a, b}
	runMatches(t, w, ids, []matchCase{
		{`"vip" in tags`, []bool{true, false}},
		{`"展会" in tags && size(tags) == 1`, []bool{false, true}},
		{`tags.exists(t, t.startsWith("v"))`, []bool{true, false}},
		{`eventCount("page_view", 7) == 2`, []bool{true, false}},
		{`eventCount("page_view", 30) == 4`, []bool{true, false}},
		{`eventCount("page_view", 365) == 5`, []bool{true, false}},
		{`eventCount("page_view", 365) == 1`, []bool{false, true}},
		{`eventCount("page_view", 1) == 1 && eventCount("paid", 1) == 0`, []bool{true, false}},
		{`eventCount("paid", 3) == 1 && eventCount("page_view", 7) >= 2`, []bool{true, false}},
		{`eventCount("never", 30) == 0`, []bool{true, true}},
	})

	// LoadFacts returns every window asked for, zero when nothing happened.
	needs := rules.Needs{Events: []rules.EventWindow{{Name: "page_view", Days: 7}, {Name: "paid", Days: 30}}}
	facts, err := rules.LoadFacts(w.Ctx, w.C, now, []uuid.UUID{a, b, o}, needs)
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 2 || facts[o] != nil {
		t.Fatalf("facts of %d leads, another workspace's lead included: %v", len(facts), facts[o] != nil)
	}
	if got := facts[b].Events; got[needs.Events[0]] != 0 || got[needs.Events[1]] != 0 || len(got) != 2 {
		t.Fatalf("lead b counts %v", got)
	}
	if got := facts[a].Events; got[needs.Events[0]] != 2 || got[needs.Events[1]] != 1 {
		t.Fatalf("lead a counts %v", got)
	}
	if strings.Join(facts[a].Tags, ",") != "vip,展会" {
		t.Fatalf("tags %v", facts[a].Tags)
	}

	// A program evaluated on facts loaded without its windows does not match.
	env, err := rules.NewEnv(w.Ctx, w.C, rules.Scoring)
	if err != nil {
		t.Fatal(err)
	}
	prg, err := env.Compile("condition", `eventCount("page_view", 30) >= 0`)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := prg.Eval(facts[a]); ok || !errors.Is(err, rules.ErrNoMatch) {
		t.Fatalf("eval without the window: %v %v", ok, err)
	}
}

// allTypes defines one field of every type.
func allTypes(t *testing.T, w *rulestest.Workspace) {
	t.Helper()
	w.Field(t, "t_text", fields.TypeText)
	w.Field(t, "t_long", fields.TypeLongText)
	w.Field(t, "t_number", fields.TypeNumber)
	w.Field(t, "t_money", fields.TypeMoney)
	w.Field(t, "t_bool", fields.TypeBoolean)
	w.Field(t, "t_date", fields.TypeDate)
	w.Field(t, "t_datetime", fields.TypeDateTime)
	w.Field(t, "t_select", fields.TypeSelect, "sh", "bj")
	w.Field(t, "t_multi", fields.TypeMultiSelect, "a", "b", "c")
	w.Field(t, "t_email", fields.TypeEmail)
	w.Field(t, "t_phone", fields.TypePhone)
	w.Field(t, "t_url", fields.TypeURL)
}

func TestTypedAttributes(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	allTypes(t, w)
	attrs := w.Attributes(t, map[string]any{
		"t_text": "hello", "t_long": "a long\ntext", "t_number": 12.5, "t_money": "1999.99", "t_bool": true,
		"t_date": "2026-03-01", "t_datetime": "2026-03-01T09:30:00+08:00", "t_select": "sh", "t_multi": []any{"a", "c"},
		"t_email": "Zs@Example.com", "t_phone": "+86 138 1234 5678", "t_url": "https://example.com/x",
	})
	full := w.Lead(t, func(q *ent.LeadCreate) { q.SetAttributes(attrs) })
	empty := w.Lead(t, nil)
	// Values an older definition of another type left behind read as absent.
	stale := w.Lead(t, func(q *ent.LeadCreate) {
		q.SetAttributes(map[string]any{"t_number": "12.5", "t_bool": "true", "t_date": "March 1st", "t_multi": "a", "t_text": 7.0})
	})
	ids := []uuid.UUID{full, empty, stale}

	runMatches(t, w, ids, []matchCase{
		{`attributes.t_text == "hello"`, []bool{true, false, false}},
		{`attributes.t_long.contains("\n")`, []bool{true, false, false}},
		{`attributes.t_number == 12.5 && attributes.t_number > 12`, []bool{true, false, false}},
		{`attributes.t_number * 2.0 == 25.0`, []bool{true, false, false}},
		{`attributes.t_money >= 1999.99 && attributes.t_money < 2000`, []bool{true, false, false}},
		{`attributes.t_money == 1999.99`, []bool{true, false, false}},
		{`attributes.t_bool`, []bool{true, false, false}},
		{`attributes.t_date == timestamp("2026-03-01T00:00:00Z")`, []bool{true, false, false}},
		{`attributes.t_date < now && attributes.t_date.getMonth() == 2`, []bool{true, false, false}},
		{`attributes.t_datetime == timestamp("2026-03-01T01:30:00Z")`, []bool{true, false, false}},
		{`attributes.t_select == "sh"`, []bool{true, false, false}},
		{`attributes.t_select in ["sh", "bj"]`, []bool{true, false, false}},
		{`"c" in attributes.t_multi && size(attributes.t_multi) == 2`, []bool{true, false, false}},
		{`attributes.t_email == "zs@example.com"`, []bool{true, false, false}},
		{`attributes.t_phone == "+8613812345678"`, []bool{true, false, false}},
		{`attributes.t_url.startsWith("https://")`, []bool{true, false, false}},
		// integers compared for equality with a number field
		{`attributes.t_number == 12 || attributes.t_money == 1999`, []bool{false, false, false}},
		{`attributes.t_number != 13`, []bool{true, false, false}},
		{`attributes.t_number in [1, 12.5]`, []bool{true, false, false}},
		// presence
		{`has(attributes.t_text) && has(attributes.t_multi) && has(attributes.t_date)`, []bool{true, false, false}},
		{`!has(attributes.t_number) && !has(attributes.t_bool) && !has(attributes.t_date) && !has(attributes.t_multi) && !has(attributes.t_text)`, []bool{false, true, true}},
		// reading an absent value never matches, negated or not
		{`attributes.t_number < 100.0`, []bool{true, false, false}},
		{`!(attributes.t_number < 100.0)`, []bool{false, false, false}},
		{`!attributes.t_bool`, []bool{false, false, false}},
		{`!has(attributes.t_number) || attributes.t_number < 100.0`, []bool{true, true, true}},
	})
}

// wantInput fails unless err is BAD_USER_INPUT at field with a message
// containing every part.
func wantInput(t *testing.T, expr string, err error, field string, parts ...string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.BadInput || e.Field != field {
		t.Errorf("%q: got %v, want %s at %s", expr, err, apperr.BadInput, field)
		return
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("%q: message %q lacks %q", expr, e.Message, p)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	w.Field(t, "budget", fields.TypeNumber)
	w.Field(t, "city", fields.TypeSelect, "sh")
	scoring, err := rules.NewEnv(w.Ctx, w.C, rules.Scoring)
	if err != nil {
		t.Fatal(err)
	}
	assignment, err := rules.NewEnv(w.Ctx, w.C, rules.Assignment)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		expr  string
		parts []string
	}{
		{`attributes.budgt > 1`, []string{`1:1: attributes.budgt: no custom field "budgt"`}},
		{`lead.name == "x" &&` + "\n" + `  has(attributes.nope)`, []string{`2:7: attributes.nope: no custom field "nope"`}},
		{`attributes.budget > "x"`, []string{"1:19:", "no matching overload", "double, string"}},
		{`attributes.city + 1 == 2`, []string{"1:17:", "string, int"}},
		{`lead.nickname == "x"`, []string{`1:1: lead.nickname: leads have no field "nickname"`}},
		{`leed.name == "x"`, []string{"1:1:", "undeclared reference to 'leed'"}},
		{`lead.name == "x" &&`, []string{"1:20:", "Syntax error"}},
		{"lead.name == \"x\"\n && (", []string{"2:6:", "Syntax error"}},
		{`lead.name`, []string{"1:1:", "must be true or false (bool), not string"}},
		{`eventCount("page_view", 7)`, []string{"not int"}},
		{`eventCount(lead.name, 7) > 1`, []string{"1:12:", "event name must be a string literal"}},
		{`eventCount("page_view", size(lead.name)) > 1`, []string{"1:25:", "number of days must be an integer literal"}},
		{`eventCount("page_view", 0) > 1`, []string{"days must be between 1 and 365, not 0"}},
		{`eventCount("page_view", 366) > 1`, []string{"days must be between 1 and 365, not 366"}},
		{`eventCount("bad name", 7) > 1`, []string{`"bad name" is not an event name`}},
		{`eventCount("page_view") > 1`, []string{"found no matching overload for 'eventCount'"}},
		{``, []string{"the condition is empty"}},
		{strings.Repeat("true && ", 500) + "true", []string{"limit is 4000"}},
	} {
		for _, env := range []*rules.Env{scoring, assignment} {
			_, err := env.Compile("input.condition", tc.expr)
			wantInput(t, tc.expr, err, "input.condition", tc.parts...)
		}
	}

	// Scoring conditions cannot read what scoring computes; assignment ones can.
	for _, expr := range []string{`lead.score > 50`, `lead.tier == "A"`, `has(lead.score)`} {
		_, err := scoring.Compile("condition", expr)
		name := strings.TrimSuffix(strings.TrimPrefix(strings.Fields(expr)[0], "has("), ")")
		wantInput(t, expr, err, "condition", "1:", "a scoring condition cannot use "+name)
		if _, err := assignment.Compile("condition", expr); err != nil {
			t.Errorf("assignment %q: %v", expr, err)
		}
	}
	_, err = scoring.Compile("condition", `lead.score > 1 && attributes.budgt > 1`)
	wantInput(t, "two problems", err, "condition", "1:1: lead.score", "1:19: attributes.budgt", "; ")

	// Matcher reports a bad condition the same way.
	_, err = rules.Matcher(w.C, clock)(w.Ctx, `attributes.budgt > 1`, nil)
	wantInput(t, "matcher", err, "condition", `attributes.budgt: no custom field "budgt"`)

	// Compiling twice reuses the program.
	p1, err := scoring.Compile("c", `attributes.budget > 10`)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := scoring.Compile("c", `attributes.budget > 10`)
	if p1 != p2 {
		t.Errorf("program not cached")
	}
}

func TestArchivedFieldIsNotAvailable(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	d := w.Field(t, "budget", fields.TypeNumber)
	id := w.Lead(t, func(q *ent.LeadCreate) { q.SetAttributes(map[string]any{"budget": 500.0}) })
	const expr = `attributes.budget > 100`
	if got := match(t, w, expr, id); !got[0] {
		t.Fatal("no match before archiving")
	}
	if _, err := w.Fields.SetArchived(w.Ctx, d.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err := rules.Matcher(w.C, clock)(w.Ctx, expr, []uuid.UUID{id})
	wantInput(t, expr, err, "condition", `no custom field "budget"`)
	// Restored, the field (and its kept value) is back at once.
	if _, err := w.Fields.SetArchived(w.Ctx, d.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := match(t, w, expr, id); !got[0] {
		t.Fatal("no match after restoring")
	}
	// So is a change of type.
	text := fielddefinition.TypeTEXT
	if _, err := w.Fields.Update(w.Ctx, d.ID, fielddefs.Patch{Type: &text}); err != nil {
		t.Fatal(err)
	}
	_, err = rules.Matcher(w.C, clock)(w.Ctx, expr, []uuid.UUID{id})
	wantInput(t, expr, err, "condition", "string, int")
}

func TestWorkspacesAreIsolated(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	a := rulestest.NewWorkspace(t, db)
	b := rulestest.NewWorkspace(t, db)
	a.Field(t, "budget", fields.TypeNumber)
	b.Field(t, "budget", fields.TypeText)
	b.Field(t, "city", fields.TypeText)
	la := a.Lead(t, func(q *ent.LeadCreate) { q.SetAttributes(map[string]any{"budget": 500.0}) })
	lb := b.Lead(t, func(q *ent.LeadCreate) { q.SetAttributes(map[string]any{"budget": "lots", "city": "sh"}) })

	if got := match(t, a, `attributes.budget > 100`, la); !got[0] {
		t.Fatal("a: no match")
	}
	_, err := rules.Matcher(b.C, clock)(b.Ctx, `attributes.budget > 100`, []uuid.UUID{lb})
	wantInput(t, "b budget", err, "condition", "string, int")
	_, err = rules.Matcher(a.C, clock)(a.Ctx, `attributes.city == "sh"`, []uuid.UUID{la})
	wantInput(t, "a city", err, "condition", `no custom field "city"`)
	if got := match(t, b, `attributes.budget == "lots" && attributes.city == "sh"`, lb); !got[0] {
		t.Fatal("b: no match")
	}
	// A workspace never sees another's leads, even by id.
	if got := match(t, a, `true`, lb); got[0] {
		t.Fatal("a matched b's lead")
	}
	facts, err := rules.LoadFacts(a.Ctx, a.C, now, []uuid.UUID{la, lb}, rules.Needs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 1 || facts[la] == nil {
		t.Fatalf("a loaded %d leads", len(facts))
	}
	// Without a workspace nothing is read.
	if _, err := rules.LoadFacts(tenant.System(context.Background()), a.C, now, []uuid.UUID{la}, rules.Needs{}); !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("LoadFacts without a tenant: %v", err)
	}
}

// The assignment engine matches inside its batch's transaction: leads it
// wrote there are seen.
func TestMatcherReadsThroughTheContextTransaction(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	tx, err := w.C.Tx(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	l, err := tx.Lead.Create().SetSeq(1).SetName("uncommitted").Save(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := rules.Matcher(w.C, clock)
	got, err := m(ent.NewTxContext(w.Ctx, tx), `lead.name == "uncommitted"`, []uuid.UUID{l.ID})
	if err != nil || !got[l.ID] {
		t.Fatalf("in the transaction: %v %v", got, err)
	}
	got, err = m(w.Ctx, `lead.name == "uncommitted"`, []uuid.UUID{l.ID})
	if err != nil || got[l.ID] {
		t.Fatalf("outside the transaction: %v %v", got, err)
	}
	if err := rules.Validate(w.Ctx, w.C, rules.Assignment, "input.condition", `lead.score > 10`); err != nil {
		t.Fatal(err)
	}
	err = rules.Validate(w.Ctx, w.C, rules.Scoring, "input.condition", `lead.score > 10`)
	wantInput(t, "validate", err, "input.condition", "1:1: lead.score: a scoring condition cannot use lead.score")
}
