package pipeline_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/pipeline"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// t0 is the injected "now" of the tests.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// ws is one freshly provisioned workspace inside a test database; subtests
// each take their own, so they run in parallel on one database.
type ws struct {
	db    *testenv.Database
	c     *ent.Client
	ctx   context.Context
	id    uuid.UUID
	admin uuid.UUID
	seq   atomic.Int64
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
	return &ws{
		db: db, c: db.Client, id: created.Workspace.ID, admin: created.Admin.ID,
		ctx: tenant.NewContext(context.Background(), created.Workspace.ID),
	}
}

// leads creates n leads in stageID (nil: no stage) with ent bulk inserts.
func (w *ws) leads(t *testing.T, n int, stageID *uuid.UUID) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, 0, n)
	for start := 0; start < n; start += 1000 {
		bulk := make([]*ent.LeadCreate, 0, 1000)
		for i := start; i < min(n, start+1000); i++ {
			bulk = append(bulk, w.c.Lead.Create().SetSeq(w.seq.Add(1)).SetNillableStageID(stageID).
				SetCreatedAt(t0.Add(-time.Hour)).SetUpdatedAt(t0.Add(-time.Hour)))
		}
		created, err := w.c.Lead.CreateBulk(bulk...).Save(w.ctx)
		if err != nil {
			t.Fatalf("create leads: %v", err)
		}
		if stageID == nil {
			// New leads get the default stage; clear it to model stage-less
			// leads written before that rule (or by raw SQL).
			for _, l := range created {
				if err := w.c.Lead.UpdateOneID(l.ID).ClearStageID().SetUpdatedAt(l.UpdatedAt).Exec(w.ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, l := range created {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

func (w *ws) lead(t *testing.T, stageID *uuid.UUID) uuid.UUID {
	t.Helper()
	return w.leads(t, 1, stageID)[0]
}

// defaultPipeline returns the provisioned pipeline and its stages by key.
func (w *ws) defaultPipeline(t *testing.T) (*ent.Pipeline, map[string]*ent.Stage) {
	t.Helper()
	p, err := w.c.Pipeline.Query().Where(pipeline.IsDefault(true)).Only(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p, w.stages(t, p.ID)
}

func (w *ws) stages(t *testing.T, pipelineID uuid.UUID) map[string]*ent.Stage {
	t.Helper()
	all, err := w.c.Stage.Query().Where(stage.PipelineID(pipelineID)).All(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	byKey := make(map[string]*ent.Stage, len(all))
	for _, s := range all {
		byKey[s.Key] = s
	}
	return byKey
}

// digest fingerprints every row of the workspace in the tables this package
// writes, so a test can assert that a refused call wrote nothing.
func (w *ws) digest(t *testing.T) string {
	t.Helper()
	var out string
	for _, table := range []string{"pipelines", "stages", "stage_changes", "lost_reasons", "leads"} {
		var d string
		err := w.db.DB.QueryRowContext(context.Background(),
			`SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM `+table+` t WHERE tenant_id = $1`,
			w.id).Scan(&d)
		if err != nil {
			t.Fatal(err)
		}
		out += table + "=" + d + " "
	}
	return out
}

// wantErr fails unless err is an apperr with code at field.
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

func ptr[T any](v T) *T { return &v }

func wantNoTenant(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("err = %v; want tenant.ErrMissing", err)
	}
}
