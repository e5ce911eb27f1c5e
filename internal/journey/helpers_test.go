package journey_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/steprun"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// t0 is 08:00 in Shanghai (the workspace default), 00:00 UTC.
var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// ws is one workspace with the production services on a fake clock.
type ws struct {
	t     *testing.T
	db    *testenv.Database
	c     *ent.Client
	ctx   context.Context
	id    uuid.UUID
	admin uuid.UUID
	clock *platform.FakeClock
	svc   *app.Services
	j     *journey.Service
}

func newWorkspace(t *testing.T, db *testenv.Database) *ws {
	t.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	slug := "w" + hex.EncodeToString(b)
	created, err := workspace.Create(context.Background(), db.Client, workspace.Spec{
		Slug: slug, Name: slug, AdminName: "admin", AdminEmail: "admin@" + slug + ".test", AdminPassword: "password-123",
	})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	clock := platform.NewFakeClock(t0)
	svc, err := app.New(context.Background(), app.Config{Client: db.Client, DB: db.DB, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return &ws{t: t, db: db, c: db.Client, id: created.Workspace.ID, admin: created.Admin.ID,
		ctx: tenant.NewContext(context.Background(), created.Workspace.ID), clock: clock, svc: svc, j: svc.Journeys}
}

// leads creates n active leads.
func (w *ws) leads(n int) []uuid.UUID {
	w.t.Helper()
	first, err := workspace.NextLeadSeq(w.ctx, w.c, w.id, n)
	if err != nil {
		w.t.Fatal(err)
	}
	bulk := make([]*ent.LeadCreate, n)
	for i := range bulk {
		bulk[i] = w.c.Lead.Create().SetSeq(first + int64(i)).SetName("lead").SetCreatedAt(t0).SetUpdatedAt(t0)
	}
	created, err := w.c.Lead.CreateBulk(bulk...).Save(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	ids := make([]uuid.UUID, n)
	for i, l := range created {
		ids[i] = l.ID
	}
	return ids
}

func (w *ws) tag(name string) uuid.UUID {
	w.t.Helper()
	tg, err := w.c.Tag.Create().SetName(name).Save(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return tg.ID
}

// openStage returns an OPEN stage of the default pipeline other than the
// first one.
func (w *ws) openStage() uuid.UUID {
	w.t.Helper()
	st, err := w.c.Stage.Query().Where(stage.KindEQ(stage.KindOPEN)).Order(ent.Asc(stage.FieldPosition)).All(w.ctx)
	if err != nil || len(st) < 2 {
		w.t.Fatalf("stages: %v (%d)", err, len(st))
	}
	return st[1].ID
}

func (w *ws) create(in journey.Input) *ent.Journey {
	w.t.Helper()
	j, err := w.j.Create(w.ctx, in)
	if err != nil {
		w.t.Fatalf("create journey: %v", err)
	}
	return j
}

func (w *ws) activate(id uuid.UUID) {
	w.t.Helper()
	if _, err := w.j.SetStatus(w.ctx, id, "ACTIVE"); err != nil {
		w.t.Fatal(err)
	}
}

func (w *ws) enroll(id uuid.UUID, leads ...uuid.UUID) *journey.Enrolled {
	w.t.Helper()
	out, err := w.j.EnrollLeads(w.ctx, id, leads)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *ws) run() *journey.RunResult {
	w.t.Helper()
	res, err := w.j.RunDue(w.ctx, journey.RunOptions{})
	if err != nil {
		w.t.Fatalf("run: %v", err)
	}
	return res
}

func (w *ws) hasTag(lead, tag uuid.UUID) bool {
	w.t.Helper()
	var ok bool
	err := w.db.DB.QueryRowContext(context.Background(),
		`SELECT EXISTS (SELECT 1 FROM lead_tags WHERE tenant_id = $1 AND lead_id = $2 AND tag_id = $3)`, w.id, lead, tag).Scan(&ok)
	if err != nil {
		w.t.Fatal(err)
	}
	return ok
}

func (w *ws) enrolment(j, lead uuid.UUID) *ent.Enrollment {
	w.t.Helper()
	e, err := w.c.Enrollment.Query().Where(enrollment.JourneyID(j), enrollment.LeadID(lead)).
		Order(ent.Desc(enrollment.FieldEnteredAt), ent.Desc(enrollment.FieldID)).First(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return e
}

// runs returns the step runs of a lead in a journey as "index:kind:outcome".
func (w *ws) runs(j, lead uuid.UUID) []string {
	w.t.Helper()
	rs, err := w.c.StepRun.Query().Where(steprun.JourneyID(j), steprun.LeadID(lead)).
		Order(ent.Asc(steprun.FieldRanAt), ent.Asc(steprun.FieldStepIndex)).All(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = itoa(r.StepIndex) + ":" + r.Kind + ":" + string(r.Outcome)
	}
	return out
}

func itoa(i int) string { return string(rune('0' + i)) }

func wantErr(t *testing.T, err error, code apperr.Code, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v (%T); want %s at %q", err, err, code, field)
	}
	if e.Code != code || e.Field != field {
		t.Fatalf("err = %s at %q (%s); want %s at %q", e.Code, e.Field, e.Message, code, field)
	}
}

func tags(ids ...uuid.UUID) *schematype.TagsStep { return &schematype.TagsStep{TagIDs: ids} }

func manual() schematype.JourneyTrigger {
	return schematype.JourneyTrigger{Manual: &schematype.EmptyTrigger{}}
}

func ptr[T any](v T) *T { return &v }

// reps creates n active reps with room for many leads.
func (w *ws) reps(n int) []uuid.UUID {
	w.t.Helper()
	out := make([]uuid.UUID, n)
	for i := range out {
		u, err := w.c.User.Create().SetName(fmt.Sprintf("rep %d", i)).SetEmail(fmt.Sprintf("rep%d-%s@x.test", i, w.id)).
			SetPasswordHash("x").SetRoles([]string{"rep"}).SetCapacity(100000).Save(w.ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		out[i] = u.ID
	}
	return out
}
