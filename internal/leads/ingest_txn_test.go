package leads_test

import (
	"testing"
	"time"

	"github.com/scrmhq/scrm/ent/ingestbatch"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/testenv"
)

// guardedIngester is an Ingester whose every statement testenv.TxGuard
// watches, queuing into f.
func guardedIngester(t *testing.T, f *fixture) (*testenv.TxGuard, *leads.Ingester) {
	g := testenv.GuardTx(t, f.db)
	return g, &leads.Ingester{Client: g.Client, Fields: fielddefs.New(g.Client, nil), Queue: f,
		Clock: func() time.Time { return now }}
}

// An ingest started inside a caller's transaction (a GraphQL mutation's)
// runs every statement in it: its writes, its answer and its background
// work (the outbox rows) commit or roll back with the caller.
func TestIngestStaysInTheCallersTransaction(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	g, in := guardedIngester(t, f)
	batch := leads.Batch{IdempotencyKey: "k1", Source: "form", Rows: []leads.Row{
		{Name: "甲", Phone: "13900000001", Tags: []string{"展会"}},
		{Name: "乙", Email: "yi@example.com"},
		{Name: "甲 again", Phone: "+86 139 0000 0001", Company: "Acme"},
	}}

	ctx, tx := g.Begin(f.ctx)
	res, err := in.Ingest(ctx, batch)
	if err != nil {
		t.Fatalf("ingest in the transaction: %v", err)
	}
	if got := statuses(res); got != "CREATED,CREATED,MERGED" {
		t.Fatalf("statuses %s", got)
	}
	// A second batch in the same transaction sees the first one's leads,
	// and its new leads come from its own staged rows, not the first's.
	again, err := in.Ingest(ctx, leads.Batch{Rows: []leads.Row{{Phone: "13900000001", Email: "jia@example.com"}, {Name: "丙", Phone: "13900000003"}}})
	if err != nil {
		t.Fatalf("second ingest in the transaction: %v", err)
	}
	if again.Rows[0].Status != leads.StatusMerged || again.Rows[0].LeadID != res.Rows[0].LeadID {
		t.Fatalf("second batch: %+v, want MERGED into %s", again.Rows[0], res.Rows[0].LeadID)
	}
	if again.Rows[1].Status != leads.StatusCreated {
		t.Fatalf("second batch's new person: %+v, want CREATED", again.Rows[1])
	}
	if l, err := tx.Lead.Get(ctx, again.Rows[1].LeadID); err != nil || l.Name != "丙" || l.Phone == nil || *l.Phone != "+8613900000003" {
		t.Fatalf("second batch's new lead: %+v (%v), want 丙 +8613900000003", l, err)
	}
	if len(f.queued) != 0 {
		t.Fatalf("queued before the caller committed: %+v", f.queued)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if ls := f.activeLeads(t); len(ls) != 0 {
		t.Fatalf("%d leads outlived the caller's rollback", len(ls))
	}
	if n, err := f.c.IngestBatch.Query().Where(ingestbatch.Key("k1")).Count(f.ctx); err != nil || n != 0 {
		t.Fatalf("idempotency keys after the rollback: %d (%v)", n, err)
	}
	if len(f.queued) != 0 {
		t.Fatalf("queued for a rolled back ingest: %+v", f.queued)
	}

	ctx, tx = g.Begin(f.ctx)
	if res, err = in.Ingest(ctx, batch); err != nil {
		t.Fatalf("ingest in the transaction: %v", err)
	}
	if len(f.queued) != 0 {
		t.Fatalf("queued before the caller committed: %+v", f.queued)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(f.queued) != 1 || len(f.queued[0].Created) != 2 {
		t.Fatalf("queued after the commit: %+v, want one call with the 2 created leads", f.queued)
	}
	if ls := f.activeLeads(t); len(ls) != 2 {
		t.Fatalf("%d leads after the commit, want 2", len(ls))
	}
}

// An ingest that opens its own transaction hands that transaction's context
// to everything it runs inside it, so code that finds the transaction in
// its context (ent.TxFromContext) stays inside.
func TestIngestWritesWithTheContextOfItsTransaction(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	_, in := guardedIngester(t, f)
	res, err := in.Ingest(f.ctx, leads.Batch{IdempotencyKey: "k2", Rows: []leads.Row{
		{Name: "丙", Phone: "13900000003", Tags: []string{"VIP"}},
		{Name: "丙 again", Phone: "13900000003", Email: "bing@example.com"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(res); got != "CREATED,MERGED" {
		t.Fatalf("statuses %s", got)
	}
}
