package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/stagechange"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/testenv"
)

func TestAddStage(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	otherP, _ := other.defaultPipeline(t)

	t.Run("appends", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		p, _ := w.defaultPipeline(t)
		s, err := pipeline.New(w.c, nil).AddStage(w.ctx, p.ID, pipeline.StageInput{Key: "qualified", Name: " 已确认 ", Probability: 30, RotDays: ptr(7)})
		if err != nil {
			t.Fatal(err)
		}
		if s.Position != 6 || s.Kind != stage.KindOPEN || s.Name != "已确认" || *s.RotDays != 7 || s.PipelineID != p.ID {
			t.Errorf("added %+v", s)
		}
	})

	tests := []struct {
		name     string
		pipeline func(w *ws) uuid.UUID
		in       pipeline.StageInput
		code     apperr.Code
		field    string
	}{
		{"bad key", defaultID, pipeline.StageInput{Key: "a-b", Name: "x"}, apperr.BadInput, "key"},
		{"key in use", defaultID, pipeline.StageInput{Key: "won", Name: "x"}, apperr.Conflict, "key"},
		{"key of an archived stage", defaultID, pipeline.StageInput{Key: "gone", Name: "x"}, apperr.Conflict, "key"},
		{"empty name", defaultID, pipeline.StageInput{Key: "x", Name: ""}, apperr.BadInput, "name"},
		{"probability 101", defaultID, pipeline.StageInput{Key: "x", Name: "x", Probability: 101}, apperr.BadInput, "probability"},
		{"negative rotDays", defaultID, pipeline.StageInput{Key: "x", Name: "x", RotDays: ptr(-3)}, apperr.BadInput, "rotDays"},
		{"unknown kind", defaultID, pipeline.StageInput{Key: "x", Name: "x", Kind: "open"}, apperr.BadInput, "kind"},
		{"another workspace's pipeline", func(*ws) uuid.UUID { return otherP.ID }, pipeline.StageInput{Key: "x", Name: "x"}, apperr.NotFound, "pipelineID"},
		{"unknown pipeline", func(*ws) uuid.UUID { return gid.New(gid.Pipeline) }, pipeline.StageInput{Key: "x", Name: "x"}, apperr.NotFound, "pipelineID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			p, _ := w.defaultPipeline(t)
			gone, err := pipeline.New(w.c, nil).AddStage(w.ctx, p.ID, pipeline.StageInput{Key: "gone", Name: "Gone"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, gone.ID); err != nil {
				t.Fatal(err)
			}
			before := w.digest(t)
			_, err = pipeline.New(w.c, nil).AddStage(w.ctx, tt.pipeline(w), tt.in)
			wantErr(t, err, tt.code, tt.field)
			if w.digest(t) != before {
				t.Error("a refused AddStage wrote")
			}
		})
	}
	if n, _ := other.c.Stage.Query().Count(other.ctx); n != 6 {
		t.Errorf("the other workspace has %d stages; want its 6", n)
	}
}

func TestUpdateStage(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	_, otherStages := other.defaultPipeline(t)

	t.Run("changes every field", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		_, st := w.defaultPipeline(t)
		s, err := pipeline.New(w.c, nil).UpdateStage(w.ctx, st["intent"].ID, pipeline.StagePatch{
			Name: ptr(" Intent "), Kind: ptr(stage.KindWON), Probability: ptr(100), RotDays: ptr(3),
			FunnelStep: ptr(stage.FunnelStepDEAL), Color: ptr("green"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != "Intent" || s.Kind != stage.KindWON || s.Probability != 100 || *s.RotDays != 3 ||
			*s.FunnelStep != stage.FunnelStepDEAL || s.Color != "green" || s.Key != "intent" {
			t.Errorf("updated %+v", s)
		}
		s, err = pipeline.New(w.c, nil).UpdateStage(w.ctx, s.ID, pipeline.StagePatch{ClearRotDays: true, ClearFunnelStep: true})
		if err != nil || s.RotDays != nil || s.FunnelStep != nil || s.Name != "Intent" {
			t.Errorf("after clearing: %+v, %v", s, err)
		}
	})

	tests := []struct {
		name  string
		stage func(w *ws, st map[string]*ent.Stage) uuid.UUID
		patch pipeline.StagePatch
		code  apperr.Code
		field string
	}{
		{"empty name", byKey("new"), pipeline.StagePatch{Name: ptr(" ")}, apperr.BadInput, "name"},
		{"probability -1", byKey("new"), pipeline.StagePatch{Probability: ptr(-1)}, apperr.BadInput, "probability"},
		{"rotDays 0", byKey("new"), pipeline.StagePatch{RotDays: ptr(0)}, apperr.BadInput, "rotDays"},
		{"unknown funnel step", byKey("new"), pipeline.StagePatch{FunnelStep: ptr(stage.FunnelStep("X"))}, apperr.BadInput, "funnelStep"},
		{"colour too long", byKey("new"), pipeline.StagePatch{Color: ptr(strings.Repeat("c", 33))}, apperr.BadInput, "color"},
		{"unknown kind", byKey("new"), pipeline.StagePatch{Kind: ptr(stage.Kind("DONE"))}, apperr.BadInput, "kind"},
		{"closing the last open stage", byKey("solo"), pipeline.StagePatch{Kind: ptr(stage.KindLOST)}, apperr.Conflict, "kind"},
		{"another workspace's stage", func(*ws, map[string]*ent.Stage) uuid.UUID { return otherStages["new"].ID }, pipeline.StagePatch{Name: ptr("x")}, apperr.NotFound, "id"},
		{"unknown stage", func(*ws, map[string]*ent.Stage) uuid.UUID { return gid.New(gid.Stage) }, pipeline.StagePatch{Name: ptr("x")}, apperr.NotFound, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			_, st := w.defaultPipeline(t)
			solo, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Solo", Stages: []pipeline.StageInput{
				{Key: "solo", Name: "Only open"}, {Key: "done", Name: "Done", Kind: stage.KindWON},
			}})
			if err != nil {
				t.Fatal(err)
			}
			st["solo"] = solo.Edges.Stages[0]
			before := w.digest(t)
			_, err = pipeline.New(w.c, nil).UpdateStage(w.ctx, tt.stage(w, st), tt.patch)
			wantErr(t, err, tt.code, tt.field)
			if w.digest(t) != before {
				t.Error("a refused UpdateStage wrote")
			}
		})
	}
}

func byKey(key string) func(*ws, map[string]*ent.Stage) uuid.UUID {
	return func(_ *ws, st map[string]*ent.Stage) uuid.UUID { return st[key].ID }
}

func TestReorderStages(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)

	t.Run("rewrites positions, archived stages last", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		p, st := w.defaultPipeline(t)
		if _, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, st["contacted"].ID); err != nil {
			t.Fatal(err)
		}
		order := []uuid.UUID{st["lost"].ID, st["won"].ID, st["negotiating"].ID, st["intent"].ID, st["new"].ID}
		got, err := pipeline.New(w.c, nil).ReorderStages(w.ctx, p.ID, order)
		if err != nil {
			t.Fatal(err)
		}
		if k := stageKeys(got.Edges.Stages); k != "lost,won,negotiating,intent,new" {
			t.Errorf("returned stages %s", k)
		}
		all, err := pipeline.New(w.c, nil).Stages(w.ctx, p.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if k := stageKeys(all); k != "lost,won,negotiating,intent,new,contacted" {
			t.Errorf("stored order %s", k)
		}
		for i, s := range all {
			if s.Position != i {
				t.Errorf("%s at position %d; want %d", s.Key, s.Position, i)
			}
		}
	})

	type tc struct {
		name     string
		pipeline func(w *ws, p uuid.UUID) uuid.UUID
		order    func(st map[string]*ent.Stage) []uuid.UUID
		code     apperr.Code
		field    string
	}
	same := func(_ *ws, p uuid.UUID) uuid.UUID { return p }
	ids := func(st map[string]*ent.Stage, keys ...string) []uuid.UUID {
		out := make([]uuid.UUID, len(keys))
		for i, k := range keys {
			out[i] = st[k].ID
		}
		return out
	}
	tests := []tc{
		{"one missing", same, func(st map[string]*ent.Stage) []uuid.UUID { return ids(st, "new", "intent", "won", "lost") }, apperr.BadInput, "stageIDs"},
		{"empty", same, func(map[string]*ent.Stage) []uuid.UUID { return nil }, apperr.BadInput, "stageIDs"},
		{"listed twice", same, func(st map[string]*ent.Stage) []uuid.UUID {
			return ids(st, "new", "intent", "intent", "negotiating", "won", "lost")
		}, apperr.BadInput, "stageIDs[2]"},
		{"archived listed", same, func(st map[string]*ent.Stage) []uuid.UUID {
			return ids(st, "new", "intent", "negotiating", "won", "lost", "old")
		}, apperr.BadInput, "stageIDs[5]"},
		{"stage of another pipeline", same, func(st map[string]*ent.Stage) []uuid.UUID {
			return ids(st, "new", "foreign", "intent", "negotiating", "won", "lost")
		}, apperr.BadInput, "stageIDs[1]"},
		{"unknown pipeline", func(*ws, uuid.UUID) uuid.UUID { return gid.New(gid.Pipeline) }, func(st map[string]*ent.Stage) []uuid.UUID {
			return ids(st, "new", "intent", "negotiating", "won", "lost")
		}, apperr.NotFound, "pipelineID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			p, st := w.defaultPipeline(t)
			if _, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, st["contacted"].ID); err != nil {
				t.Fatal(err)
			}
			st["old"] = st["contacted"]
			other, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Other", Stages: okStages()})
			if err != nil {
				t.Fatal(err)
			}
			st["foreign"] = other.Edges.Stages[0]
			before := w.digest(t)
			_, err = pipeline.New(w.c, nil).ReorderStages(w.ctx, tt.pipeline(w, p.ID), tt.order(st))
			wantErr(t, err, tt.code, tt.field)
			if w.digest(t) != before {
				t.Error("a refused reorder wrote")
			}
		})
	}
}

func TestArchiveStage(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	_, st := w.defaultPipeline(t)
	in := w.leads(t, 3, &st["intent"].ID)

	s, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, st["intent"].ID)
	if err != nil || !s.Archived {
		t.Fatalf("archive = %+v, %v", s, err)
	}
	if n, _ := w.c.Lead.Query().Where(lead.StageID(st["intent"].ID), lead.IDIn(in...)).Count(w.ctx); n != 3 {
		t.Errorf("%d leads left in the archived stage; want all 3 to stay", n)
	}
	again, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, st["intent"].ID)
	if err != nil || !again.Archived || !again.UpdatedAt.Equal(s.UpdatedAt) {
		t.Errorf("archiving twice = %+v, %v; want a no-op", again, err)
	}

	t.Run("last open stage", func(t *testing.T) {
		for _, k := range []string{"new", "contacted"} {
			if _, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, st[k].ID); err != nil {
				t.Fatal(err)
			}
		}
		before := w.digest(t)
		_, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, st["negotiating"].ID)
		wantErr(t, err, apperr.Conflict, "id")
		if !errors.Is(err, pipeline.ErrLastOpenStage) {
			t.Errorf("err = %v; want ErrLastOpenStage", err)
		}
		if w.digest(t) != before {
			t.Error("a refused archive wrote")
		}
		// Closed stages can always go.
		if _, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, st["lost"].ID); err != nil {
			t.Error(err)
		}
	})
	t.Run("unknown stage", func(t *testing.T) {
		_, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, gid.New(gid.Stage))
		wantErr(t, err, apperr.NotFound, "id")
	})
}

func TestDeleteStage(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)

	t.Run("an unused stage", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		p, _ := w.defaultPipeline(t)
		s, err := pipeline.New(w.c, nil).AddStage(w.ctx, p.ID, pipeline.StageInput{Key: "spare", Name: "Spare"})
		if err != nil {
			t.Fatal(err)
		}
		if err := pipeline.New(w.c, nil).DeleteStage(w.ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.c.Stage.Get(w.ctx, s.ID); !ent.IsNotFound(err) {
			t.Errorf("stage after delete: %v", err)
		}
	})

	tests := []struct {
		name    string
		setup   func(t *testing.T, w *ws, st map[string]*ent.Stage) uuid.UUID
		code    apperr.Code
		message string
	}{
		{"with leads (any status)", func(t *testing.T, w *ws, st map[string]*ent.Stage) uuid.UUID {
			ids := w.leads(t, 3, &st["intent"].ID)
			if err := w.c.Lead.UpdateOneID(ids[0]).SetStatus(lead.StatusMERGED).Exec(w.ctx); err != nil {
				t.Fatal(err)
			}
			return st["intent"].ID
		}, apperr.Conflict, "3 leads are in this stage"},
		{"with history only", func(t *testing.T, w *ws, st map[string]*ent.Stage) uuid.UUID {
			id := w.lead(t, &st["intent"].ID)
			if _, err := pipeline.New(w.c, nil).MoveLeadStage(w.ctx, id, st["negotiating"].ID, nil, "", nil, t0); err != nil {
				t.Fatal(err)
			}
			return st["intent"].ID
		}, apperr.Conflict, "1 stage changes refer to this stage"},
		{"the last open stage", func(t *testing.T, w *ws, _ map[string]*ent.Stage) uuid.UUID {
			p, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Solo", Stages: []pipeline.StageInput{
				{Key: "solo", Name: "Solo"}, {Key: "won", Name: "Won", Kind: stage.KindWON},
			}})
			if err != nil {
				t.Fatal(err)
			}
			return p.Edges.Stages[0].ID
		}, apperr.Conflict, "last open stage"},
		{"unknown stage", func(*testing.T, *ws, map[string]*ent.Stage) uuid.UUID { return gid.New(gid.Stage) }, apperr.NotFound, "stage not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			_, st := w.defaultPipeline(t)
			id := tt.setup(t, w, st)
			before := w.digest(t)
			err := pipeline.New(w.c, nil).DeleteStage(w.ctx, id)
			wantErr(t, err, tt.code, "id")
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %v; want it to say %q", err, tt.message)
			}
			if w.digest(t) != before {
				t.Error("a refused delete wrote")
			}
		})
	}
}

func TestMergeStageRefusals(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	_, otherStages := other.defaultPipeline(t)

	type pick func(w *ws, st map[string]*ent.Stage) uuid.UUID
	key := func(k string) pick { return func(_ *ws, st map[string]*ent.Stage) uuid.UUID { return st[k].ID } }
	tests := []struct {
		name       string
		from, into pick
		actor      func(w *ws) *uuid.UUID
		code       apperr.Code
		field      string
	}{
		{"into itself", key("new"), key("new"), nil, apperr.BadInput, "intoID"},
		{"another pipeline", key("new"), key("foreign"), nil, apperr.BadInput, "intoID"},
		{"into an archived stage", key("new"), key("archived"), nil, apperr.BadInput, "intoID"},
		{"open into lost", key("new"), key("lost"), nil, apperr.BadInput, "intoID"},
		{"the last open stage into won", key("solo"), key("solodone"), nil, apperr.Conflict, "id"},
		{"unknown from", func(*ws, map[string]*ent.Stage) uuid.UUID { return gid.New(gid.Stage) }, key("new"), nil, apperr.NotFound, "id"},
		{"another workspace's into", key("new"), func(*ws, map[string]*ent.Stage) uuid.UUID { return otherStages["contacted"].ID }, nil, apperr.NotFound, "intoID"},
		{"unknown actor", key("new"), key("contacted"), func(*ws) *uuid.UUID { return ptr(gid.New(gid.User)) }, apperr.NotFound, "actorID"},
		{"another workspace's actor", key("new"), key("contacted"), func(*ws) *uuid.UUID { return &other.admin }, apperr.NotFound, "actorID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			_, st := w.defaultPipeline(t)
			p2, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Two", Stages: okStages()})
			if err != nil {
				t.Fatal(err)
			}
			st["foreign"] = p2.Edges.Stages[0]
			solo, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Solo", Stages: []pipeline.StageInput{
				{Key: "solo", Name: "Solo"}, {Key: "solodone", Name: "Done", Kind: stage.KindWON},
			}})
			if err != nil {
				t.Fatal(err)
			}
			st["solo"], st["solodone"] = solo.Edges.Stages[0], solo.Edges.Stages[1]
			a, err := pipeline.New(w.c, nil).AddStage(w.ctx, st["new"].PipelineID, pipeline.StageInput{Key: "archived", Name: "Archived"})
			if err != nil {
				t.Fatal(err)
			}
			if st["archived"], err = pipeline.New(w.c, nil).ArchiveStage(w.ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			w.leads(t, 5, &st["new"].ID)
			w.leads(t, 5, &st["solo"].ID)
			var actor *uuid.UUID
			if tt.actor != nil {
				actor = tt.actor(w)
			}
			before := w.digest(t)
			_, _, err = pipeline.New(w.c, nil).MergeStage(w.ctx, tt.from(w, st), tt.into(w, st), actor, t0)
			wantErr(t, err, tt.code, tt.field)
			if w.digest(t) != before {
				t.Error("a refused merge wrote")
			}
		})
	}
}

// countingClient returns a client over db that counts the statements it sends,
// by kind, to prove that bulk work is set-based.
func countingClient(db *testenv.Database) (*ent.Client, func() map[string]int) {
	var mu sync.Mutex
	counts := map[string]int{}
	drv := dialect.DebugWithContext(entsql.OpenDB(dialect.Postgres, db.DB), func(_ context.Context, v ...any) {
		line := fmt.Sprint(v...)
		_, q, ok := strings.Cut(line, "query=")
		if !ok {
			return
		}
		q = strings.ToUpper(strings.Join(strings.Fields(q), " "))
		mu.Lock()
		defer mu.Unlock()
		counts["all"]++
		for _, k := range []string{"UPDATE LEADS", "INSERT INTO STAGE_CHANGES", "INSERT INTO \"STAGE_CHANGES\"", "UPDATE \"LEADS\""} {
			if strings.Contains(q, k) {
				counts[k]++
			}
		}
	})
	return ent.NewClient(ent.Driver(drv)), func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := make(map[string]int, len(counts))
		for k, v := range counts {
			out[k] = v
		}
		return out
	}
}

func TestMergeStageMovesThousandsInOneStatement(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	other := newWorkspace(t, db)
	_, st := w.defaultPipeline(t)
	_, otherStages := other.defaultPipeline(t)
	const n = 5000
	moving := w.leads(t, n, &st["contacted"].ID)
	staying := w.leads(t, 10, &st["intent"].ID)
	otherLeads := other.leads(t, 10, &otherStages["contacted"].ID)
	otherBefore := other.digest(t)

	cc, counts := countingClient(db)
	from, moved, err := pipeline.New(cc, nil).MergeStage(w.ctx, st["contacted"].ID, st["intent"].ID, &w.admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	if moved != n || !from.Archived || from.ID != st["contacted"].ID {
		t.Fatalf("merge = %+v, %d; want the archived from stage and %d moved", from, moved, n)
	}
	c := counts()
	if c["UPDATE LEADS"] != 1 || c["INSERT INTO STAGE_CHANGES"] != 1 || c["UPDATE \"LEADS\""] != 0 || c["INSERT INTO \"STAGE_CHANGES\""] != 0 {
		t.Errorf("statement counts %v; want one set-based statement moving leads and writing history", c)
	}
	if c["all"] > 15 {
		t.Errorf("%d statements for one merge; want a handful whatever the lead count", c["all"])
	}

	if got, _ := w.c.Lead.Query().Where(lead.StageID(st["intent"].ID)).Count(w.ctx); got != n+len(staying) {
		t.Errorf("%d leads in the target; want %d", got, n+len(staying))
	}
	if got, _ := w.c.Lead.Query().Where(lead.StageID(st["contacted"].ID)).Count(w.ctx); got != 0 {
		t.Errorf("%d leads left in the merged stage", got)
	}
	if got, _ := w.c.Lead.Query().Where(lead.IDIn(moving...), lead.UpdatedAt(t0)).Count(w.ctx); got != n {
		t.Errorf("%d moved leads have updated_at = now; want %d", got, n)
	}
	if got, _ := w.c.Lead.Query().Where(lead.IDIn(staying...), lead.UpdatedAt(t0)).Count(w.ctx); got != 0 {
		t.Errorf("%d leads already in the target were touched", got)
	}
	changes, err := w.c.StageChange.Query().All(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != n {
		t.Fatalf("%d stage changes; want %d", len(changes), n)
	}
	seenLead, seenID := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	for _, sc := range changes {
		typ, _ := gid.TypeOf(sc.ID)
		if typ != gid.StageChange || seenID[sc.ID] || seenLead[sc.LeadID] ||
			*sc.FromID != st["contacted"].ID || sc.ToID != st["intent"].ID || *sc.ActorID != w.admin ||
			!sc.At.Equal(t0) || sc.LostReasonID != nil || sc.Reason != `stage "contacted" merged into "intent"` {
			t.Fatalf("stage change %+v (id type %q)", sc, typ)
		}
		seenID[sc.ID], seenLead[sc.LeadID] = true, true
		if sec, _ := sc.ID.Time().UnixTime(); sec != t0.Unix() {
			t.Fatalf("stage change id time %d; want the merge time %d", sec, t0.Unix())
		}
	}
	for _, id := range moving {
		if !seenLead[id] {
			t.Fatalf("lead %s has no stage change", id)
		}
	}
	if other.digest(t) != otherBefore {
		t.Error("the merge touched another workspace")
	}
	if got, _ := other.c.Lead.Query().Where(lead.IDIn(otherLeads...), lead.StageID(otherStages["contacted"].ID)).Count(other.ctx); got != 10 {
		t.Errorf("other workspace leads moved: %d left", got)
	}

	t.Run("merging the archived stage again moves nothing", func(t *testing.T) {
		_, moved, err := pipeline.New(w.c, nil).MergeStage(w.ctx, st["contacted"].ID, st["negotiating"].ID, nil, t0)
		if err != nil || moved != 0 {
			t.Errorf("second merge = %d, %v", moved, err)
		}
	})
	t.Run("lost into lost", func(t *testing.T) {
		p, _ := w.defaultPipeline(t)
		lost2, err := pipeline.New(w.c, nil).AddStage(w.ctx, p.ID, pipeline.StageInput{Key: "lost_price", Name: "Lost on price", Kind: stage.KindLOST})
		if err != nil {
			t.Fatal(err)
		}
		w.leads(t, 4, &lost2.ID)
		if _, moved, err := pipeline.New(w.c, nil).MergeStage(w.ctx, lost2.ID, st["lost"].ID, nil, t0); err != nil || moved != 4 {
			t.Errorf("lost into lost = %d, %v", moved, err)
		}
		if n, _ := w.c.StageChange.Query().Where(stagechange.FromID(lost2.ID), stagechange.ActorIDIsNil()).Count(w.ctx); n != 4 {
			t.Errorf("%d history rows for the lost merge; want 4 without actor", n)
		}
	})
}
