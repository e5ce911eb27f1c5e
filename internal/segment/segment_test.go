package segment_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/segmentversion"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/rules/rulestest"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/testenv"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

type fixture struct {
	*rulestest.Workspace
	clock *platform.FakeClock
	svc   *segment.Service
	queue *recorder
}

// recorder is the queue: tests run the computations it was asked for.
type recorder struct{ ids []uuid.UUID }

func (r *recorder) EnqueueSegment(_ context.Context, _, id uuid.UUID) error {
	r.ids = append(r.ids, id)
	return nil
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	clock := platform.NewFakeClock(t0)
	q := &recorder{}
	return &fixture{Workspace: w, clock: clock, queue: q,
		svc: &segment.Service{Client: w.C, Fields: w.Fields, Now: clock.Now, Queue: q}}
}

func (f *fixture) tagID(t *testing.T, name string) uuid.UUID {
	t.Helper()
	id, err := f.C.Tag.Query().Where(tag.Name(name)).OnlyID(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) preview(t *testing.T, r segment.Rule) []uuid.UUID {
	t.Helper()
	p, err := f.svc.Preview(f.Ctx, "rule", &r, 1000)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	if p.Count != len(p.Sample) {
		t.Fatalf("count %d, sample %d", p.Count, len(p.Sample))
	}
	ids := make([]uuid.UUID, len(p.Sample))
	for i, l := range p.Sample {
		ids[i] = l.ID
	}
	return ids
}

func (f *fixture) save(t *testing.T, name string, r segment.Rule) *ent.Segment {
	t.Helper()
	s, err := f.svc.Create(f.Ctx, segment.Input{Name: name, Rule: &r})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if err := f.svc.Compute(f.Ctx, s.ID); err != nil {
		t.Fatalf("compute %s: %v", name, err)
	}
	return f.reload(t, s.ID)
}

func (f *fixture) reload(t *testing.T, id uuid.UUID) *ent.Segment {
	t.Helper()
	s, err := f.C.Segment.Get(f.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) members(t *testing.T, s *ent.Segment) []uuid.UUID {
	t.Helper()
	bm, err := f.svc.Members(f.Ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	seqs, _ := segment.Page(bm, 0, 100000)
	ls, err := f.svc.LeadsBySeq(f.Ctx, seqs)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uuid.UUID, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	return ids
}

func sameSet(t *testing.T, what string, got, want []uuid.UUID) {
	t.Helper()
	key := func(ids []uuid.UUID) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = id.String()
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(key(got), key(want)) {
		t.Errorf("%s: got %d leads %v, want %d %v", what, len(got), key(got), len(want), key(want))
	}
}

func attr(key, op string, v any) segment.Rule {
	return segment.Rule{Attribute: &schematype.AttributeCondition{Key: key, Op: op, Value: v}}
}

func TestConditionsAndSavedSegmentSetOperations(t *testing.T) {
	f := newFixture(t)
	f.Field(t, "budget", fields.TypeNumber)
	f.Field(t, "city", fields.TypeSelect, "sh", "bj", "gz")
	var ids []uuid.UUID
	for i := range 12 {
		attrs := map[string]any{"budget": i * 100}
		if i%3 == 0 {
			attrs["city"] = "sh"
		} else if i%3 == 1 {
			attrs["city"] = "bj"
		}
		ids = append(ids, f.Lead(t, func(q *ent.LeadCreate) {
			q.SetName("lead").SetAttributes(f.Attributes(t, attrs)).SetSource([]string{"web", "ads"}[i%2])
		}))
	}
	for i, id := range ids {
		if i%2 == 0 {
			f.Tag(t, id, "vip")
		}
		if i%4 == 0 {
			f.Tag(t, id, "hot")
		}
		for range i % 4 {
			f.Event(t, id, "viewed_ad", t0.Add(-2*day))
		}
	}
	f.Event(t, ids[11], "viewed_ad", t0.Add(-30*day)) // outside a 7-day window
	f.SetStatus(t, ids[5], lead.StatusARCHIVED)
	vip, hot := f.tagID(t, "vip"), f.tagID(t, "hot")
	pick := func(is ...int) []uuid.UUID {
		out := make([]uuid.UUID, len(is))
		for i, x := range is {
			out[i] = ids[x]
		}
		return out
	}
	three := 3
	cases := []struct {
		name string
		rule segment.Rule
		want []uuid.UUID
	}{
		{"budget GT", attr("budget", "GT", 800), pick(9, 10, 11)},
		{"city NEQ includes empty", attr("city", "NEQ", "sh"), pick(1, 2, 4, 7, 8, 10, 11)},
		{"source", attr("source", "EQ", "ads"), pick(1, 3, 7, 9, 11)},
		{"status archived", attr("status", "EQ", "ARCHIVED"), pick(5)},
		{"tag all", segment.Rule{Tag: &schematype.TagCondition{All: []uuid.UUID{vip, hot}}}, pick(0, 4, 8)},
		{"tag none", segment.Rule{Tag: &schematype.TagCondition{None: []uuid.UUID{vip}}}, pick(1, 3, 7, 9, 11)},
		{"event ≥3 in 7d", segment.Rule{Event: &schematype.EventCondition{Name: "viewed_ad", MinCount: &three, WithinDays: ptr(7)}}, pick(3, 7, 11)},
		{"event ≥4 ever", segment.Rule{Event: &schematype.EventCondition{Name: "viewed_ad", MinCount: ptr(4)}}, pick(11)},
		{"never viewed", segment.Rule{Event: &schematype.EventCondition{Name: "viewed_ad", MaxCount: ptr(0)}}, pick(0, 4, 8)},
		{"not vip", segment.Rule{Not: &segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{vip}}}}, pick(1, 3, 7, 9, 11)},
	}
	for _, c := range cases {
		sameSet(t, c.name, f.preview(t, c.rule), c.want)
	}

	// Saved segments combine like their rules.
	a := attr("budget", "GTE", 300)
	b := segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{vip}}}
	sa, sb := f.save(t, "A", a), f.save(t, "B", b)
	ref := func(s *ent.Segment) segment.Rule { return segment.Rule{Segment: &s.ID} }
	for _, c := range []struct {
		name       string
		saved, raw segment.Rule
	}{
		{"intersect", segment.Rule{Intersect: []segment.Rule{ref(sa), ref(sb)}}, segment.Rule{And: []segment.Rule{a, b}}},
		{"union", segment.Rule{Union: []segment.Rule{ref(sa), ref(sb)}}, segment.Rule{Or: []segment.Rule{a, b}}},
		{"difference", segment.Rule{Difference: []segment.Rule{ref(sa), ref(sb)}}, segment.Rule{And: []segment.Rule{a, {Not: &b}}}},
		{"mixed", segment.Rule{And: []segment.Rule{ref(sa), attr("city", "EQ", "bj")}}, segment.Rule{And: []segment.Rule{a, attr("city", "EQ", "bj")}}},
		{"not ref", segment.Rule{Not: ptr(ref(sb))}, segment.Rule{Not: &b}},
	} {
		want := f.preview(t, c.raw)
		sameSet(t, c.name+" preview", f.preview(t, c.saved), want)
		s := f.save(t, c.name, c.saved)
		if s.Status.String() != "READY" || s.MemberCount != len(want) {
			t.Errorf("%s: status %s count %d, want READY %d", c.name, s.Status, s.MemberCount, len(want))
		}
		sameSet(t, c.name+" members", f.members(t, s), want)
	}
}

func TestVersionsAndRefusals(t *testing.T) {
	f := newFixture(t)
	ids := f.Leads(t, 5, nil)
	for _, id := range ids[:2] {
		f.Tag(t, id, "vip")
	}
	vip := f.tagID(t, "vip")
	rule := segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{vip}}}
	s := f.save(t, "vips", rule)
	if s.MemberCount != 2 {
		t.Fatalf("members %d, want 2", s.MemberCount)
	}
	first := *s.VersionID
	f.Tag(t, ids[2], "vip")
	if _, err := f.svc.Refresh(f.Ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.reload(t, s.ID); got.Status.String() != "PENDING" || got.MemberCount != 2 || *got.VersionID != first {
		t.Fatalf("while pending: %s %d, want PENDING with the old members", got.Status, got.MemberCount)
	}
	if err := f.svc.Compute(f.Ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	s = f.reload(t, s.ID)
	if s.MemberCount != 3 || *s.VersionID == first {
		t.Fatalf("after refresh: %d members, version changed %v", s.MemberCount, *s.VersionID != first)
	}
	for range 4 {
		if err := f.svc.Compute(f.Ctx, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	n, err := f.C.SegmentVersion.Query().Where(segmentversion.SegmentID(s.ID)).Count(f.Ctx)
	if err != nil || n != 3 {
		t.Fatalf("versions kept: %d (%v), want 3", n, err)
	}

	// A reference cycle and deleting a referenced segment are refused.
	user := f.save(t, "uses vips", segment.Rule{Union: []segment.Rule{{Segment: &s.ID}, rule}})
	_, err = f.svc.UpdateSegment(f.Ctx, s.ID, segment.Patch{Rule: &segment.Rule{Segment: &user.ID}})
	wantErr(t, err, apperr.BadInput, "rule")
	wantErr(t, f.svc.Delete(f.Ctx, s.ID), apperr.Conflict, "id")
	if err := f.svc.Delete(f.Ctx, user.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(f.Ctx, s.ID); err != nil {
		t.Fatal(err)
	}
}

func TestValidationNamesThePath(t *testing.T) {
	f := newFixture(t)
	f.Field(t, "budget", fields.TypeNumber)
	missing := gid.New(gid.Tag)
	for _, c := range []struct {
		rule  segment.Rule
		code  apperr.Code
		field string
	}{
		{segment.Rule{}, apperr.BadInput, "rule"},
		{segment.Rule{And: []segment.Rule{attr("budget", "GT", 1), attr("nope", "EQ", 1)}}, apperr.BadInput, "rule.and[1].attribute.key"},
		{segment.Rule{Or: []segment.Rule{attr("budget", "CONTAINS", "x")}}, apperr.BadInput, "rule.or[0].attribute.op"},
		{segment.Rule{Or: []segment.Rule{attr("budget", "GT", "lots")}}, apperr.BadInput, "rule.or[0].attribute.value"},
		{segment.Rule{Intersect: []segment.Rule{attr("budget", "GT", 1)}}, apperr.BadInput, "rule.intersect"},
		{segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{missing}}}, apperr.NotFound, "rule.tag.any[0]"},
		{segment.Rule{Attribute: &schematype.AttributeCondition{Key: "budget", Op: "GT", Value: 1}, Tag: &schematype.TagCondition{Any: []uuid.UUID{missing}}}, apperr.BadInput, "rule"},
		{segment.Rule{Event: &schematype.EventCondition{Name: "1bad"}}, apperr.BadInput, "rule.event.name"},
	} {
		_, err := f.svc.Preview(f.Ctx, "rule", &c.rule, 5)
		wantErr(t, err, c.code, c.field)
	}
	deep := attr("budget", "GT", 1)
	for range segment.MaxDepth + 1 {
		deep = segment.Rule{Not: &deep}
	}
	_, err := f.svc.Preview(f.Ctx, "rule", &deep, 5)
	wantErr(t, err, apperr.LimitExceeded, "")
}

func wantErr(t *testing.T, err error, code apperr.Code, field string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s at %s", err, code, field)
	}
	if ae.Code != code || (field != "" && ae.Field != field) {
		t.Errorf("got %s at %q (%s), want %s at %q", ae.Code, ae.Field, ae.Message, code, field)
	}
}

func ptr[T any](v T) *T { return &v }

// TestPreviewPastItsBudgetIsLimitExceeded: a preview that runs past the
// statement timeout is cancelled and reported as LIMIT_EXCEEDED at the rule.
func TestPreviewPastItsBudgetIsLimitExceeded(t *testing.T) {
	f := newFixture(t)
	f.Field(t, "note", fields.TypeText)
	if _, err := f.C.ExecContext(f.Ctx, `INSERT INTO leads (id, tenant_id, seq, created_at, updated_at, attributes, reachable)
		SELECT gen_random_uuid(), $1, 1000 + i, now(), now(), jsonb_build_object('note', md5(i::text)), '[]'
		FROM generate_series(1, 50000) i`, f.ID); err != nil {
		t.Fatal(err)
	}
	f.svc.PreviewTimeout = time.Millisecond
	var ors []segment.Rule
	for _, s := range []string{"ab", "cd", "ef", "0a", "9f"} {
		ors = append(ors, attr("note", "CONTAINS", s))
	}
	rule := segment.Rule{Or: ors}
	_, err := f.svc.Preview(f.Ctx, "rule", &rule, 5)
	wantErr(t, err, apperr.LimitExceeded, "rule")
	f.svc.PreviewTimeout = 0 // the default budget is enough
	if _, err := f.svc.Preview(f.Ctx, "rule", &rule, 5); err != nil {
		t.Fatal(err)
	}
}
