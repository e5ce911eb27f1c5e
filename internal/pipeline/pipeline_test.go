package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	entpipeline "github.com/scrmhq/scrm/ent/pipeline"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/testenv"
)

func okStages() []pipeline.StageInput {
	return []pipeline.StageInput{
		{Key: "lead", Name: "Lead", Probability: 10},
		{Key: "demo", Name: "Demo", Kind: stage.KindOPEN, Probability: 50},
		{Key: "won", Name: "Won", Kind: stage.KindWON, Probability: 100},
		{Key: "lost", Name: "Lost", Kind: stage.KindLOST},
	}
}

// withStage returns okStages with stage i changed by f.
func withStage(i int, f func(*pipeline.StageInput)) []pipeline.StageInput {
	s := okStages()
	f(&s[i])
	return s
}

func TestCreatePipelineRefusesBadInput(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	tests := []struct {
		name  string
		in    pipeline.PipelineInput
		code  apperr.Code
		field string
	}{
		{"empty name", pipeline.PipelineInput{Name: "  ", Stages: okStages()}, apperr.BadInput, "name"},
		{"name of 201 characters", pipeline.PipelineInput{Name: strings.Repeat("n", 201), Stages: okStages()}, apperr.BadInput, "name"},
		{"name taken", pipeline.PipelineInput{Name: " 默认销售流程 ", Stages: okStages()}, apperr.Conflict, "name"},
		{"no stages", pipeline.PipelineInput{Name: "P"}, apperr.BadInput, "stages"},
		{"no open stage", pipeline.PipelineInput{Name: "P", Stages: okStages()[2:]}, apperr.BadInput, "stages"},
		{"key with upper case", pipeline.PipelineInput{Name: "P", Stages: withStage(1, func(s *pipeline.StageInput) { s.Key = "Demo" })}, apperr.BadInput, "stages[1].key"},
		{"key starting with a digit", pipeline.PipelineInput{Name: "P", Stages: withStage(0, func(s *pipeline.StageInput) { s.Key = "1st" })}, apperr.BadInput, "stages[0].key"},
		{"key of 64 characters", pipeline.PipelineInput{Name: "P", Stages: withStage(3, func(s *pipeline.StageInput) { s.Key = "k" + strings.Repeat("x", 63) })}, apperr.BadInput, "stages[3].key"},
		{"empty key", pipeline.PipelineInput{Name: "P", Stages: withStage(0, func(s *pipeline.StageInput) { s.Key = "" })}, apperr.BadInput, "stages[0].key"},
		{"duplicate key", pipeline.PipelineInput{Name: "P", Stages: withStage(2, func(s *pipeline.StageInput) { s.Key = "lead" })}, apperr.BadInput, "stages[2].key"},
		{"empty stage name", pipeline.PipelineInput{Name: "P", Stages: withStage(1, func(s *pipeline.StageInput) { s.Name = " " })}, apperr.BadInput, "stages[1].name"},
		{"unknown kind", pipeline.PipelineInput{Name: "P", Stages: withStage(1, func(s *pipeline.StageInput) { s.Kind = "PAUSED" })}, apperr.BadInput, "stages[1].kind"},
		{"probability -1", pipeline.PipelineInput{Name: "P", Stages: withStage(0, func(s *pipeline.StageInput) { s.Probability = -1 })}, apperr.BadInput, "stages[0].probability"},
		{"probability 101", pipeline.PipelineInput{Name: "P", Stages: withStage(2, func(s *pipeline.StageInput) { s.Probability = 101 })}, apperr.BadInput, "stages[2].probability"},
		{"rotDays 0", pipeline.PipelineInput{Name: "P", Stages: withStage(1, func(s *pipeline.StageInput) { s.RotDays = ptr(0) })}, apperr.BadInput, "stages[1].rotDays"},
		{"unknown funnel step", pipeline.PipelineInput{Name: "P", Stages: withStage(1, func(s *pipeline.StageInput) { s.FunnelStep = ptr(stage.FunnelStep("SOLD")) })}, apperr.BadInput, "stages[1].funnelStep"},
		{"colour of 33 characters", pipeline.PipelineInput{Name: "P", Stages: withStage(0, func(s *pipeline.StageInput) { s.Color = strings.Repeat("c", 33) })}, apperr.BadInput, "stages[0].color"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			before := w.digest(t)
			_, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, tt.in)
			wantErr(t, err, tt.code, tt.field)
			if after := w.digest(t); after != before {
				t.Errorf("a refused create wrote:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestCreatePipeline(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)

	t.Run("boundaries are accepted and stored in order", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		key63 := "k" + strings.Repeat("x", 62)
		in := pipeline.PipelineInput{Name: "  " + strings.Repeat("名", 200) + " ", Stages: []pipeline.StageInput{
			{Key: key63, Name: " First ", Probability: 0, RotDays: ptr(1), FunnelStep: ptr(stage.FunnelStepLISTED), Color: "#ff0000"},
			{Key: "a", Name: "Won", Kind: stage.KindWON, Probability: 100},
		}}
		// 200 CJK characters are 600 bytes: limits count characters, so they fit.
		p, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != strings.Repeat("名", 200) {
			t.Errorf("name stored as %q", p.Name)
		}
		if p.IsDefault || p.Position != 1 {
			t.Errorf("pipeline default=%v position=%d; want false, 1 (after the provisioned one)", p.IsDefault, p.Position)
		}
		got, err := pipeline.New(w.c, nil).Stages(w.ctx, p.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Key != key63 || got[1].Key != "a" || got[0].Position != 0 || got[1].Position != 1 {
			t.Fatalf("stages = %v", got)
		}
		s := got[0]
		if s.Name != "First" || s.Kind != stage.KindOPEN || s.Probability != 0 || *s.RotDays != 1 ||
			*s.FunnelStep != stage.FunnelStepLISTED || s.Color != "#ff0000" {
			t.Errorf("first stage stored as %+v", s)
		}
		if got[1].Kind != stage.KindWON || got[1].Probability != 100 || got[1].RotDays != nil || got[1].FunnelStep != nil {
			t.Errorf("second stage stored as %+v", got[1])
		}
		if def, err := pipeline.DefaultStage(w.ctx, w.c); err != nil || def.Key != "new" {
			t.Errorf("default stage = %v, %v; want the provisioned pipeline's, unchanged", def, err)
		}
	})

	t.Run("isDefault takes over the default", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		old, _ := w.defaultPipeline(t)
		p, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Renewals", IsDefault: true, Stages: okStages()})
		if err != nil {
			t.Fatal(err)
		}
		defaults, err := w.c.Pipeline.Query().Where(entpipeline.IsDefault(true)).IDs(w.ctx)
		if err != nil || len(defaults) != 1 || defaults[0] != p.ID {
			t.Fatalf("defaults = %v, %v; want only %s", defaults, err, p.ID)
		}
		if o, _ := w.c.Pipeline.Get(w.ctx, old.ID); o.IsDefault {
			t.Error("the previous default is still default")
		}
		if len(p.Edges.Stages) != 4 {
			t.Errorf("returned pipeline carries %d stages; want 4", len(p.Edges.Stages))
		}
	})

	t.Run("concurrent defaults leave exactly one", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				_, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "P" + string(rune('a'+i)), IsDefault: true, Stages: okStages()})
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if n, err := w.c.Pipeline.Query().Where(entpipeline.IsDefault(true)).Count(w.ctx); err != nil || n != 1 {
			t.Errorf("default pipelines = %d, %v; want 1", n, err)
		}
	})

	t.Run("without a tenant", func(t *testing.T) {
		t.Parallel()
		_, err := pipeline.New(db.Client, nil).CreatePipeline(context.Background(), pipeline.PipelineInput{Name: "P", Stages: okStages()})
		wantNoTenant(t, err)
	})
}

func TestUpdatePipeline(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	otherP, _ := other.defaultPipeline(t)

	t.Run("rename and move", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		p, _ := w.defaultPipeline(t)
		got, err := pipeline.New(w.c, nil).UpdatePipeline(w.ctx, p.ID, pipeline.PipelinePatch{Name: ptr(" Sales "), Position: ptr(7)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Sales" || got.Position != 7 || !got.IsDefault {
			t.Errorf("updated = %+v", got)
		}
		// Renaming to its own name is not a conflict.
		if _, err := pipeline.New(w.c, nil).UpdatePipeline(w.ctx, p.ID, pipeline.PipelinePatch{Name: ptr("Sales")}); err != nil {
			t.Error(err)
		}
	})

	t.Run("set default", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		old, _ := w.defaultPipeline(t)
		p, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Other", Stages: okStages()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.New(w.c, nil).UpdatePipeline(w.ctx, p.ID, pipeline.PipelinePatch{IsDefault: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if o, _ := w.c.Pipeline.Get(w.ctx, old.ID); o.IsDefault {
			t.Error("old default still default")
		}
		if def, err := pipeline.DefaultStage(w.ctx, w.c); err != nil || def.Key != "lead" {
			t.Errorf("default stage = %v, %v; want the new default's first open stage", def, err)
		}
	})

	tests := []struct {
		name  string
		id    func(w *ws) uuid.UUID
		patch pipeline.PipelinePatch
		code  apperr.Code
		field string
	}{
		{"empty name", defaultID, pipeline.PipelinePatch{Name: ptr("")}, apperr.BadInput, "name"},
		{"name of another pipeline", defaultID, pipeline.PipelinePatch{Name: ptr("Second")}, apperr.Conflict, "name"},
		{"negative position", defaultID, pipeline.PipelinePatch{Position: ptr(-1)}, apperr.BadInput, "position"},
		{"undefault the default", defaultID, pipeline.PipelinePatch{IsDefault: ptr(false)}, apperr.BadInput, "isDefault"},
		{"another workspace's pipeline", func(*ws) uuid.UUID { return otherP.ID }, pipeline.PipelinePatch{Name: ptr("x")}, apperr.NotFound, "id"},
		{"unknown id", func(*ws) uuid.UUID { return uuid.New() }, pipeline.PipelinePatch{IsDefault: ptr(true)}, apperr.NotFound, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			if _, err := pipeline.New(w.c, nil).CreatePipeline(w.ctx, pipeline.PipelineInput{Name: "Second", Stages: okStages()}); err != nil {
				t.Fatal(err)
			}
			before := w.digest(t)
			_, err := pipeline.New(w.c, nil).UpdatePipeline(w.ctx, tt.id(w), tt.patch)
			wantErr(t, err, tt.code, tt.field)
			if after := w.digest(t); after != before {
				t.Errorf("a refused update wrote")
			}
		})
	}
	if p, err := other.c.Pipeline.Get(other.ctx, otherP.ID); err != nil || p.Name != otherP.Name {
		t.Errorf("the other workspace's pipeline = %v, %v; want untouched", p, err)
	}
}

func defaultID(w *ws) uuid.UUID {
	p, err := w.c.Pipeline.Query().Where(entpipeline.IsDefault(true)).Only(w.ctx)
	if err != nil {
		panic(err)
	}
	return p.ID
}

func TestDefaultStage(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	p, st := w.defaultPipeline(t)
	want := func(key string) {
		t.Helper()
		s, err := pipeline.DefaultStage(w.ctx, w.c)
		if err != nil || s.Key != key {
			t.Fatalf("DefaultStage = %v, %v; want %q", s, err, key)
		}
	}
	want("new")
	// A closed stage first does not count: new leads start open.
	order := []uuid.UUID{st["won"].ID, st["contacted"].ID, st["new"].ID, st["intent"].ID, st["negotiating"].ID, st["lost"].ID}
	if _, err := pipeline.New(w.c, nil).ReorderStages(w.ctx, p.ID, order); err != nil {
		t.Fatal(err)
	}
	want("contacted")
	if _, err := pipeline.New(w.c, nil).ArchiveStage(w.ctx, st["contacted"].ID); err != nil {
		t.Fatal(err)
	}
	want("new")

	t.Run("no default pipeline", func(t *testing.T) {
		// Only reachable by bypassing UpdatePipeline, which keeps a default.
		if err := w.c.Pipeline.Update().SetIsDefault(false).Exec(w.ctx); err != nil {
			t.Fatal(err)
		}
		_, err := pipeline.DefaultStage(w.ctx, w.c)
		wantErr(t, err, apperr.NotFound, "")
		if !errors.Is(err, pipeline.ErrNoDefaultStage) {
			t.Errorf("err = %v; want ErrNoDefaultStage", err)
		}
	})
	t.Run("without a tenant", func(t *testing.T) {
		_, err := pipeline.DefaultStage(context.Background(), w.c)
		if err == nil {
			t.Fatal("DefaultStage without a tenant succeeded")
		}
	})
}

// TestEveryFunctionNeedsATenant: the raw SQL paths bind the tenant themselves,
// so they must refuse a context without one before touching the database.
func TestEveryFunctionNeedsATenant(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	ctx, c, id := context.Background(), db.Client, uuid.New()
	calls := map[string]func() error{
		"CreatePipeline": func() error {
			_, err := pipeline.New(c, nil).CreatePipeline(ctx, pipeline.PipelineInput{Name: "P", Stages: okStages()})
			return err
		},
		"UpdatePipeline": func() error {
			_, err := pipeline.New(c, nil).UpdatePipeline(ctx, id, pipeline.PipelinePatch{})
			return err
		},
		"AddStage":      func() error { _, err := pipeline.New(c, nil).AddStage(ctx, id, okStages()[0]); return err },
		"UpdateStage":   func() error { _, err := pipeline.New(c, nil).UpdateStage(ctx, id, pipeline.StagePatch{}); return err },
		"ReorderStages": func() error { _, err := pipeline.New(c, nil).ReorderStages(ctx, id, nil); return err },
		"ArchiveStage":  func() error { _, err := pipeline.New(c, nil).ArchiveStage(ctx, id); return err },
		"DeleteStage":   func() error { return pipeline.New(c, nil).DeleteStage(ctx, id) },
		"MergeStage":    func() error { _, _, err := pipeline.New(c, nil).MergeStage(ctx, id, uuid.New(), nil, t0); return err },
		"MoveLeadStage": func() error {
			_, err := pipeline.New(c, nil).MoveLeadStage(ctx, id, id, nil, "", nil, t0)
			return err
		},
		"CreateLostReason":  func() error { _, err := pipeline.New(c, nil).CreateLostReason(ctx, "x"); return err },
		"ArchiveLostReason": func() error { _, err := pipeline.New(c, nil).ArchiveLostReason(ctx, id); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { wantNoTenant(t, call()) })
	}
}

// stageKeys lists keys of stages in order.
func stageKeys(ss []*ent.Stage) string {
	keys := make([]string, len(ss))
	for i, s := range ss {
		keys[i] = s.Key
	}
	return strings.Join(keys, ",")
}

func TestNewLeadsStartInTheDefaultStage(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	def, err := pipeline.DefaultStage(w.ctx, w.c)
	if err != nil {
		t.Fatal(err)
	}
	l, err := w.c.Lead.Create().SetSeq(1).SetName("x").Save(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l.StageID == nil || *l.StageID != def.ID {
		t.Fatalf("new lead's stage = %v; want the default %s", l.StageID, def.ID)
	}
}
