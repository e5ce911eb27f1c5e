// Package rulestest builds the workspaces, custom fields, leads, tags and
// events that tests of conditions and scoring run on, in a real database.
package rulestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// Workspace is one freshly provisioned workspace of a test database.
type Workspace struct {
	C      *ent.Client
	Ctx    context.Context
	ID     uuid.UUID
	Admin  uuid.UUID
	Fields *fielddefs.Service
	seq    atomic.Int64
}

// NewWorkspace provisions a workspace (default pipeline, pool, admin) in db.
func NewWorkspace(t testing.TB, db *testenv.Database) *Workspace {
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
	services, err := app.New(context.Background(), app.Config{Client: db.Client})
	if err != nil {
		t.Fatalf("build services: %v", err)
	}
	return &Workspace{
		C: db.Client, ID: created.Workspace.ID, Admin: created.Admin.ID,
		Ctx:    tenant.NewContext(context.Background(), created.Workspace.ID),
		Fields: services.Fields,
	}
}

// Field defines a custom field of leads; options are the values (and
// labels) of a select.
func (w *Workspace) Field(t testing.TB, key string, typ fields.Type, options ...string) *ent.FieldDefinition {
	t.Helper()
	in := fielddefs.Input{Key: key, Label: key, Type: fielddefinition.Type(typ)}
	for _, o := range options {
		in.Options = append(in.Options, schematype.FieldOption{Value: o, Label: o})
	}
	d, err := w.Fields.Create(w.Ctx, in)
	if err != nil {
		t.Fatalf("create field %s: %v", key, err)
	}
	return d
}

// SetTiers stores tier thresholds in the workspace's settings.
func (w *Workspace) SetTiers(t testing.TB, a, b, c int) {
	t.Helper()
	ws, err := w.C.Workspace.Get(tenant.System(w.Ctx), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := ws.Settings
	s.Tiers = &schematype.TierThresholds{A: a, B: b, C: c}
	if err := w.C.Workspace.UpdateOneID(w.ID).SetSettings(s).Exec(tenant.System(w.Ctx)); err != nil {
		t.Fatal(err)
	}
}

// Lead creates a lead; set changes the create (name, attributes written
// as given: use Attributes for validated ones).
func (w *Workspace) Lead(t testing.TB, set func(*ent.LeadCreate)) uuid.UUID {
	t.Helper()
	q := w.C.Lead.Create().SetSeq(w.seq.Add(1))
	if set != nil {
		set(q)
	}
	l, err := q.Save(w.Ctx)
	if err != nil {
		t.Fatalf("create lead: %v", err)
	}
	return l.ID
}

// Leads creates n bare leads with bulk inserts.
func (w *Workspace) Leads(t testing.TB, n int, set func(i int, q *ent.LeadCreate)) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, 0, n)
	for start := 0; start < n; start += 1000 {
		bulk := make([]*ent.LeadCreate, 0, 1000)
		for i := start; i < min(n, start+1000); i++ {
			q := w.C.Lead.Create().SetSeq(w.seq.Add(1))
			if set != nil {
				set(i, q)
			}
			bulk = append(bulk, q)
		}
		created, err := w.C.Lead.CreateBulk(bulk...).Save(w.Ctx)
		if err != nil {
			t.Fatalf("create leads: %v", err)
		}
		for _, l := range created {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

// Attributes validates input against the workspace's fields, as every
// writer does, and returns what would be stored.
func (w *Workspace) Attributes(t testing.TB, input map[string]any) map[string]any {
	t.Helper()
	sch, err := w.Fields.Schema(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sch.Validate(fields.ModeCreate, nil, input)
	if err != nil {
		t.Fatalf("attributes %v: %v", input, err)
	}
	return out
}

// SetAttributes replaces a lead's stored attributes as given.
func (w *Workspace) SetAttributes(t testing.TB, id uuid.UUID, attrs map[string]any) {
	t.Helper()
	if err := w.C.Lead.UpdateOneID(id).SetAttributes(attrs).Exec(w.Ctx); err != nil {
		t.Fatal(err)
	}
}

// Tag puts tags (created when missing) on a lead.
func (w *Workspace) Tag(t testing.TB, leadID uuid.UUID, names ...string) {
	t.Helper()
	for _, n := range names {
		tg, err := w.C.Tag.Query().Where(tag.Name(n)).Only(w.Ctx)
		if ent.IsNotFound(err) {
			tg, err = w.C.Tag.Create().SetName(n).Save(w.Ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.C.LeadTag.Create().SetLeadID(leadID).SetTagID(tg.ID).Exec(w.Ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// Untag takes all tags off a lead.
func (w *Workspace) Untag(t testing.TB, leadID uuid.UUID) {
	t.Helper()
	if _, err := w.C.ExecContext(w.Ctx, `DELETE FROM lead_tags WHERE tenant_id = $1 AND lead_id = $2`, w.ID, leadID); err != nil {
		t.Fatal(err)
	}
}

// Event records an event of a lead at at.
func (w *Workspace) Event(t testing.TB, leadID uuid.UUID, name string, at time.Time) {
	t.Helper()
	if err := (*events.Recorder)(nil).Record(w.Ctx, w.C, []uuid.UUID{leadID}, name, "test", map[string]any{}, at); err != nil {
		t.Fatal(err)
	}
}

// Get reads a lead.
func (w *Workspace) Get(t testing.TB, id uuid.UUID) *ent.Lead {
	t.Helper()
	l, err := w.C.Lead.Get(w.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// SetStatus changes a lead's status.
func (w *Workspace) SetStatus(t testing.TB, id uuid.UUID, s lead.Status) {
	t.Helper()
	if err := w.C.Lead.UpdateOneID(id).SetStatus(s).Exec(w.Ctx); err != nil {
		t.Fatal(err)
	}
}
