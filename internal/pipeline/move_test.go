package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/lostreason"
	"github.com/scrmhq/scrm/ent/stagechange"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/testenv"
)

// moveFixture is a workspace with the provisioned pipeline ("new"…"lost"), a
// second pipeline ("p2.lead"…"p2.lost"), an archived stage "old", an active
// and an archived lost reason, and another workspace to steal ids from.
type moveFixture struct {
	*ws
	st             map[string]*ent.Stage
	reason         uuid.UUID
	reasonName     string
	archivedReason uuid.UUID
	archivedName   string
	other          *ws
	otherStage     uuid.UUID
	otherReason    uuid.UUID
	otherLead      uuid.UUID
}

func newMoveFixture(t *testing.T, db *testenv.Database, other *ws, otherLead uuid.UUID) *moveFixture {
	t.Helper()
	w := newWorkspace(t, db)
	p, st := w.defaultPipeline(t)
	p2, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Two", Stages: okStages()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p2.Edges.Stages {
		st["p2."+s.Key] = s
	}
	old, err := pipeline.New(w.c, nil).AddStage(w.ctx, p.ID, pipeline.StageInput{Key: "old", Name: "Old"})
	if err != nil {
		t.Fatal(err)
	}
	if st["old"], err = pipeline.New(w.c, nil).ArchiveStage(w.ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	reasons, err := w.c.LostReason.Query().Order(lostreason.ByPosition()).All(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.New(w.c, nil).ArchiveLostReason(w.ctx, reasons[1].ID); err != nil {
		t.Fatal(err)
	}
	_, ost := other.defaultPipeline(t)
	oreason, err := other.c.LostReason.Query().First(other.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &moveFixture{
		ws: w, st: st, reason: reasons[0].ID, reasonName: reasons[0].Name, archivedReason: reasons[1].ID, archivedName: reasons[1].Name,
		other: other, otherStage: ost["lost"].ID, otherReason: oreason.ID, otherLead: otherLead,
	}
}

func TestMoveLeadStage(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	_, ost := other.defaultPipeline(t)
	otherLead := other.lead(t, &ost["new"].ID)

	type pick func(f *moveFixture) uuid.UUID
	stageKey := func(k string) pick { return func(f *moveFixture) uuid.UUID { return f.st[k].ID } }
	reasonOf := func(p func(f *moveFixture) uuid.UUID) func(f *moveFixture) *uuid.UUID {
		return func(f *moveFixture) *uuid.UUID { id := p(f); return &id }
	}
	active := func(f *moveFixture) uuid.UUID { return f.reason }
	tests := []struct {
		name   string
		from   string // key of the lead's stage; "" for none
		lead   func(f *moveFixture, id uuid.UUID) uuid.UUID
		ctx    func(f *moveFixture) context.Context
		to     pick
		lost   func(f *moveFixture) *uuid.UUID
		actor  func(f *moveFixture) *uuid.UUID
		reason string
		text   func(f *moveFixture) string     // the reason, when it depends on the fixture
		linked func(f *moveFixture) *uuid.UUID // the lost reason recorded, when not lost's
		code   apperr.Code                     // empty: the move succeeds
		field  string
		noop   bool
	}{
		{name: "open to open", from: "new", to: stageKey("contacted"), reason: "  called, interested  "},
		{name: "to lost with a reason", from: "negotiating", to: stageKey("lost"), lost: reasonOf(active)},
		{name: "backwards from won", from: "won", to: stageKey("intent")},
		{name: "no stage yet, straight to lost", from: "", to: stageKey("lost"), lost: reasonOf(active)},
		{name: "no stage yet, into another pipeline's won", from: "", to: stageKey("p2.won")},
		{name: "into another pipeline's open stage", from: "intent", to: stageKey("p2.demo")},
		{name: "out of an archived stage", from: "old", to: stageKey("new")},
		{name: "reason of 1000 characters", from: "new", to: stageKey("won"), reason: strings.Repeat("r", 1000)},
		{name: "the stage it is in", from: "intent", to: stageKey("intent"), noop: true},
		{name: "the archived stage it is in", from: "old", to: stageKey("old"), noop: true},

		{name: "lost with a free-text reason", from: "intent", to: stageKey("lost"), reason: " 客户预算冻结 "},
		{name: "lost with a reason naming a lost reason", from: "intent", to: stageKey("lost"),
			text: func(f *moveFixture) string { return " " + f.reasonName + " " }, linked: reasonOf(active)},
		{name: "lost with a reason naming an archived lost reason", from: "intent", to: stageKey("lost"),
			text: func(f *moveFixture) string { return f.archivedName }},
		{name: "lost with a reason text and a lost reason", from: "intent", to: stageKey("lost"), reason: "竞品低价", lost: reasonOf(active)},
		{name: "no stage yet, lost with free text", from: "", to: stageKey("lost"), reason: "wrong number"},
		{name: "open with a reason naming a lost reason", from: "new", to: stageKey("contacted"),
			text: func(f *moveFixture) string { return f.reasonName }},

		{name: "lost without a reason", from: "new", to: stageKey("lost"), code: apperr.BadInput, field: "reason"},
		{name: "lost with a blank reason", from: "new", to: stageKey("lost"), reason: " \t ", code: apperr.BadInput, field: "reason"},
		{name: "lost with an archived reason", from: "new", to: stageKey("lost"), lost: reasonOf(func(f *moveFixture) uuid.UUID { return f.archivedReason }), code: apperr.BadInput, field: "lostReasonID"},
		{name: "lost with another workspace's reason", from: "new", to: stageKey("lost"), lost: reasonOf(func(f *moveFixture) uuid.UUID { return f.otherReason }), code: apperr.BadInput, field: "lostReasonID"},
		{name: "lost with an unknown reason", from: "new", to: stageKey("lost"), lost: reasonOf(func(*moveFixture) uuid.UUID { return gid.New(gid.LostReason) }), code: apperr.BadInput, field: "lostReasonID"},
		{name: "a lost reason for an open stage", from: "new", to: stageKey("contacted"), lost: reasonOf(active), code: apperr.BadInput, field: "lostReasonID"},
		{name: "into an archived stage", from: "new", to: stageKey("old"), code: apperr.BadInput, field: "stageID"},
		{name: "into another pipeline's won", from: "intent", to: stageKey("p2.won"), code: apperr.BadInput, field: "stageID"},
		{name: "into another pipeline's lost", from: "intent", to: stageKey("p2.lost"), lost: reasonOf(active), code: apperr.BadInput, field: "stageID"},
		{name: "unknown stage", from: "new", to: func(*moveFixture) uuid.UUID { return gid.New(gid.Stage) }, code: apperr.NotFound, field: "stageID"},
		{name: "another workspace's stage", from: "new", to: func(f *moveFixture) uuid.UUID { return f.otherStage }, lost: reasonOf(func(f *moveFixture) uuid.UUID { return f.otherReason }), code: apperr.NotFound, field: "stageID"},
		{name: "another workspace's lead", from: "new", lead: func(f *moveFixture, _ uuid.UUID) uuid.UUID { return f.otherLead }, to: stageKey("contacted"), code: apperr.NotFound, field: "id"},
		{name: "unknown lead", from: "new", lead: func(*moveFixture, uuid.UUID) uuid.UUID { return gid.New(gid.Lead) }, to: stageKey("contacted"), code: apperr.NotFound, field: "id"},
		{name: "a merged lead", from: "new", lead: func(f *moveFixture, id uuid.UUID) uuid.UUID {
			if err := f.c.Lead.UpdateOneID(id).SetStatus(lead.StatusMERGED).Exec(f.ctx); err != nil {
				panic(err)
			}
			return id
		}, to: stageKey("contacted"), code: apperr.Conflict, field: "id"},
		{name: "a lead outside the viewer's scope", from: "new", to: stageKey("contacted"), ctx: func(f *moveFixture) context.Context {
			return auth.NewContext(f.ctx, &auth.Viewer{TenantID: f.id, UserID: f.admin, Roles: []string{"rep"}, LeadScopes: []string{policy.ScopeOwn}})
		}, code: apperr.Forbidden, field: "id"},
		{name: "reason of 1001 characters", from: "new", to: stageKey("contacted"), reason: strings.Repeat("r", 1001), code: apperr.BadInput, field: "reason"},
		{name: "unknown actor", from: "new", to: stageKey("contacted"), actor: func(*moveFixture) *uuid.UUID { return ptr(gid.New(gid.User)) }, code: apperr.NotFound, field: "actorID"},
		{name: "another workspace's actor", from: "new", to: stageKey("contacted"), actor: func(f *moveFixture) *uuid.UUID { return &f.other.admin }, code: apperr.NotFound, field: "actorID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newMoveFixture(t, db, other, otherLead)
			var start *uuid.UUID
			if tt.from != "" {
				start = &f.st[tt.from].ID
			}
			id := f.lead(t, start)
			if tt.lead != nil {
				id = tt.lead(f, id)
			}
			ctx := f.ctx
			if tt.ctx != nil {
				ctx = tt.ctx(f)
			}
			var lost, actor *uuid.UUID
			if tt.lost != nil {
				lost = tt.lost(f)
			}
			actor = &f.admin
			if tt.actor != nil {
				actor = tt.actor(f)
			}
			to := tt.to(f)
			before, otherBefore := f.digest(t), f.other.digest(t)
			reason := tt.reason
			if tt.text != nil {
				reason = tt.text(f)
			}
			linked := lost
			if tt.linked != nil {
				linked = tt.linked(f)
			}
			got, err := pipeline.New(f.c, nil).MoveLeadStage(ctx, id, to, actor, reason, lost, t0)
			if f.other.digest(t) != otherBefore {
				t.Error("the move touched another workspace")
			}
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.field)
				if f.digest(t) != before {
					t.Error("a refused move wrote")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.StageID == nil || *got.StageID != to {
				t.Fatalf("lead stage = %v; want %s", got.StageID, to)
			}
			changes, err := f.c.StageChange.Query().Where(stagechange.LeadID(id)).All(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tt.noop {
				if len(changes) != 0 || f.digest(t) != before {
					t.Errorf("a move to the current stage wrote (%d changes)", len(changes))
				}
				return
			}
			if len(changes) != 1 {
				t.Fatalf("%d stage changes; want 1", len(changes))
			}
			sc := changes[0]
			if (start == nil) != (sc.FromID == nil) || (start != nil && *sc.FromID != *start) || sc.ToID != to ||
				*sc.ActorID != f.admin || !sc.At.Equal(t0) || sc.Reason != strings.TrimSpace(reason) ||
				(linked == nil) != (sc.LostReasonID == nil) || (linked != nil && *sc.LostReasonID != *linked) {
				t.Errorf("stage change %+v", sc)
			}
			if !got.UpdatedAt.Equal(t0) {
				t.Errorf("lead updated_at %v; want %v", got.UpdatedAt, t0)
			}
		})
	}
}

// TestMoveLeadStageConcurrently moves one lead from 10 goroutines at once, to
// 10 different stages: the lead lock must queue them so the history is one
// chain, each change starting where the previous one ended.
func TestMoveLeadStageConcurrently(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	const movers = 10
	in := make([]pipeline.StageInput, movers+1)
	for i := range in {
		in[i] = pipeline.StageInput{Key: fmt.Sprintf("s%d", i), Name: fmt.Sprintf("S%d", i)}
	}
	p, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Race", Stages: in})
	if err != nil {
		t.Fatal(err)
	}
	stages := p.Edges.Stages
	id := w.lead(t, &stages[0].ID)

	var wg sync.WaitGroup
	errs := make(chan error, movers)
	start := make(chan struct{})
	for i := 1; i <= movers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := pipeline.New(w.c, nil).MoveLeadStage(w.ctx, id, stages[i].ID, &w.admin, "race", nil, t0.Add(time.Duration(i)*time.Second))
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	changes, err := w.c.StageChange.Query().Where(stagechange.LeadID(id)).All(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != movers {
		t.Fatalf("%d stage changes; want %d", len(changes), movers)
	}
	l, err := w.c.Lead.Get(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	assertChain(t, changes, stages[0].ID, *l.StageID)
}

// assertChain checks that changes, in some order, lead from start to end
// with each from equal to the previous to, using every change once.
func assertChain(t *testing.T, changes []*ent.StageChange, start, end uuid.UUID) {
	t.Helper()
	byFrom := make(map[uuid.UUID]*ent.StageChange, len(changes))
	for _, sc := range changes {
		if sc.FromID == nil {
			t.Fatalf("change %s has no from", sc.ID)
		}
		if prev, dup := byFrom[*sc.FromID]; dup {
			t.Fatalf("changes %s and %s both leave %s: a wrong from was recorded", prev.ID, sc.ID, *sc.FromID)
		}
		byFrom[*sc.FromID] = sc
	}
	at := start
	for range changes {
		sc, ok := byFrom[at]
		if !ok {
			t.Fatalf("the chain breaks at %s", at)
		}
		at = sc.ToID
	}
	if at != end {
		t.Fatalf("the chain ends at %s; the lead is in %s", at, end)
	}
}

// TestMovesRacingAMerge runs single moves out of a stage while that stage is
// merged away: every call must succeed or be refused cleanly (no deadlock),
// no lead may stay behind, and every lead's history must stay a chain.
func TestMovesRacingAMerge(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	_, st := w.defaultPipeline(t)
	const n = 200
	ids := w.leads(t, n, &st["contacted"].ID)

	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	start := make(chan struct{})
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := pipeline.New(w.c, nil).MoveLeadStage(w.ctx, id, st["negotiating"].ID, nil, "", nil, t0)
			errs <- err
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		_, _, err := pipeline.New(w.c, nil).MergeStage(w.ctx, st["contacted"].ID, st["intent"].ID, nil, t0)
		errs <- err
	}()
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := w.c.Lead.Query().Where(lead.StageID(st["contacted"].ID)).Count(w.ctx); left != 0 {
		t.Fatalf("%d leads left in the merged stage", left)
	}
	for _, id := range ids {
		l, err := w.c.Lead.Get(w.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		changes, err := w.c.StageChange.Query().Where(stagechange.LeadID(id)).All(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) == 0 || len(changes) > 2 {
			t.Fatalf("lead %s has %d changes", id, len(changes))
		}
		assertChain(t, changes, st["contacted"].ID, *l.StageID)
	}
}

// TestMoveLeadStageInCallerTransaction: with a transaction client the move
// joins the caller's transaction, and the caller's rollback undoes it.
func TestMoveLeadStageInCallerTransaction(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	_, st := w.defaultPipeline(t)
	id := w.lead(t, &st["new"].ID)
	before := w.digest(t)

	tx, err := w.c.Tx(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.New(tx.Client(), nil).MoveLeadStage(w.ctx, id, st["won"].ID, nil, "", nil, t0); err != nil {
		t.Fatal(err)
	}
	if n, _ := tx.StageChange.Query().Count(w.ctx); n != 1 {
		t.Errorf("inside the transaction: %d stage changes; want 1", n)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if w.digest(t) != before {
		t.Error("the rolled-back move is still there")
	}
}

// A reason text names a lost reason ignoring case when only one matches;
// an exact name wins over one that differs in case.
func TestMoveLeadStageLinksTheLostReasonNamed(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	_, st := w.defaultPipeline(t)
	price, err := pipeline.New(w.c, nil).CreateLostReason(w.ctx, "Too expensive")
	if err != nil {
		t.Fatal(err)
	}
	upper, err := pipeline.New(w.c, nil).CreateLostReason(w.ctx, "NO BUDGET")
	if err != nil {
		t.Fatal(err)
	}
	lower, err := pipeline.New(w.c, nil).CreateLostReason(w.ctx, "no budget")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reason string
		want   *uuid.UUID
	}{
		{"too EXPENSIVE", &price.ID},
		{"no budget", &lower.ID},
		{"NO BUDGET", &upper.ID},
		{"No Budget", nil}, // two match ignoring case: free text
	} {
		id := w.lead(t, &st["new"].ID)
		if _, err := pipeline.New(w.c, nil).MoveLeadStage(w.ctx, id, st["lost"].ID, &w.admin, tc.reason, nil, t0); err != nil {
			t.Fatalf("%q: %v", tc.reason, err)
		}
		sc, err := w.c.StageChange.Query().Where(stagechange.LeadID(id)).Only(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (tc.want == nil) != (sc.LostReasonID == nil) || (tc.want != nil && *sc.LostReasonID != *tc.want) || sc.Reason != tc.reason {
			t.Errorf("%q: recorded reason %q, lost reason %v; want %v", tc.reason, sc.Reason, sc.LostReasonID, tc.want)
		}
	}
}
