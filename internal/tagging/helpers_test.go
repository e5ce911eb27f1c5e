package tagging_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// t0 is when test leads were last updated; tagging must move updated_at on.
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

// leads creates n leads last updated at t0, with ent bulk inserts.
func (w *ws) leads(t *testing.T, n int) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, 0, n)
	for start := 0; start < n; start += 1000 {
		bulk := make([]*ent.LeadCreate, 0, 1000)
		for range min(n, start+1000) - start {
			bulk = append(bulk, w.c.Lead.Create().SetSeq(w.seq.Add(1)).SetCreatedAt(t0).SetUpdatedAt(t0))
		}
		created, err := w.c.Lead.CreateBulk(bulk...).Save(w.ctx)
		if err != nil {
			t.Fatalf("create leads: %v", err)
		}
		for _, l := range created {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

// tags creates ungrouped tags with the given names.
func (w *ws) tags(t *testing.T, names ...string) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, len(names))
	for i, n := range names {
		tg, err := w.c.Tag.Create().SetName(n).Save(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = tg.ID
	}
	return ids
}

// edges returns the lead's tag ids as a set.
func (w *ws) edges(t *testing.T, leadID uuid.UUID) map[uuid.UUID]bool {
	t.Helper()
	l, err := w.c.Lead.Get(w.ctx, leadID)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := l.QueryTags().IDs(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	set := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// digest fingerprints every row of the workspace in the tables this package
// writes, so a test can assert that a refused call wrote nothing.
func (w *ws) digest(t *testing.T) string {
	t.Helper()
	var out string
	for _, table := range []string{"tag_groups", "tags", "lead_tags", "leads"} {
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

func wantNoTenant(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("err = %v; want tenant.ErrMissing", err)
	}
}

func ptr[T any](v T) *T { return &v }

// countingClient returns a client over db that counts the statements it
// sends that contain each of the given fragments (case-insensitive), and all
// statements under "all", to prove that bulk work is set-based.
func countingClient(db *testenv.Database, fragments ...string) (*ent.Client, func() map[string]int) {
	var mu sync.Mutex
	counts := map[string]int{}
	drv := dialect.DebugWithContext(entsql.OpenDB(dialect.Postgres, db.DB), func(_ context.Context, v ...any) {
		_, q, ok := strings.Cut(fmt.Sprint(v...), "query=")
		if !ok {
			return
		}
		q, _, _ = strings.Cut(q, " args=")
		q = strings.ToUpper(strings.Join(strings.Fields(strings.ReplaceAll(q, `"`, "")), " "))
		mu.Lock()
		defer mu.Unlock()
		counts["all"]++
		for _, f := range fragments {
			if strings.Contains(q, strings.ToUpper(f)) {
				counts[f]++
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
