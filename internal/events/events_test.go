package events_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func setup(t *testing.T, db *testenv.Database, slug string) (context.Context, uuid.UUID, []uuid.UUID) {
	t.Helper()
	w, err := workspace.Create(context.Background(), db.Client, workspace.Spec{Slug: slug, Name: slug,
		AdminName: "a", AdminEmail: "a@" + slug + ".test", AdminPassword: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := tenant.NewContext(context.Background(), w.Workspace.ID)
	a, err := db.Client.Lead.Create().SetSeq(1).SetPhone("+8613800000001").SetExternalID("crm-1").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Client.Lead.Create().SetSeq(2).SetPhone("+8613800000002").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, w.Workspace.ID, []uuid.UUID{a.ID, b.ID}
}

func count(t *testing.T, db *testenv.Database, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.DB.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTrackResolvesLeadsAndReportsBadEvents(t *testing.T) {
	db := testenv.NewDatabase(t)
	ctx, tid, ids := setup(t, db, "acme")
	otherCtx, _, otherIDs := setup(t, db, "other")
	_ = otherCtx
	past := now.Add(-48 * time.Hour)
	future := now.Add(time.Hour)
	res, err := events.Track(ctx, db.Client, "CN", "api", now, []events.Input{
		{LeadID: &ids[0], Name: "viewed_ad", Properties: map[string]any{"campaign": "双十一"}},
		{ExternalID: "crm-1", Name: "order.paid", OccurredAt: &past},
		{Phone: "138 0000 0002", Name: "rode_metro"},
		{Phone: "13900000000", Name: "x"}, // no such lead
		{LeadID: &otherIDs[0], Name: "x"}, // another workspace's lead
		{LeadID: &ids[0], Name: "1bad"},   // bad name
		{LeadID: &ids[0], Name: "late", OccurredAt: &future},
		{Name: "orphan"},
		{LeadID: &ids[0], Name: "big", Properties: map[string]any{"k": strings.Repeat("x", 9000)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 3 || res.Rejected != 6 {
		t.Fatalf("accepted %d rejected %d: %+v", res.Accepted, res.Rejected, res.Errors)
	}
	want := map[int]string{3: "LEAD_NOT_FOUND", 4: "LEAD_NOT_FOUND", 5: "INVALID_VALUE", 6: "INVALID_VALUE", 7: "NO_LEAD", 8: "INVALID_VALUE"}
	for _, e := range res.Errors {
		if want[e.Index] != e.Code || e.Message == "" {
			t.Errorf("event %d: %s %q, want %s", e.Index, e.Code, e.Message, want[e.Index])
		}
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE tenant_id = $1 AND lead_id = $2`, tid, ids[0]); n != 2 {
		t.Fatalf("lead 0 has %d events, want 2", n)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE lead_id = $1`, otherIDs[0]); n != 0 {
		t.Fatalf("another workspace's lead got %d events", n)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE tenant_id = $1 AND name = 'order.paid' AND occurred_at = $2`, tid, past); n != 1 {
		t.Fatalf("occurredAt not kept")
	}
	if len(res.Leads) != 2 {
		t.Fatalf("leads to re-score: %v", res.Leads)
	}
	if _, err := events.Track(ctx, db.Client, "CN", "api", now, make([]events.Input, events.MaxEvents+1)); func() bool {
		e, ok := apperr.As(err)
		return !ok || e.Code != apperr.LimitExceeded
	}() {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := events.Track(context.Background(), db.Client, "CN", "api", now, []events.Input{{LeadID: &ids[0], Name: "x"}}); err != tenant.ErrMissing {
		t.Fatalf("without a workspace: %v", err)
	}
	// Moving events to another lead (a merge) keeps the workspace boundary.
	n, err := events.MoveToLead(ctx, db.Client, []uuid.UUID{ids[1], otherIDs[0]}, ids[0])
	if err != nil || n != 1 {
		t.Fatalf("moved %d (%v), want 1", n, err)
	}
}

func TestPartitionsAreCreatedAheadAndBackfillsMoved(t *testing.T) {
	db := testenv.NewDatabase(t)
	ctx, tid, ids := setup(t, db, "acme")
	old := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	// Before any partition exists, every event lands in the default one.
	if _, err := events.Track(ctx, db.Client, "CN", "api", now, []events.Input{
		{LeadID: &ids[0], Name: "old", OccurredAt: &old}, {LeadID: &ids[0], Name: "new"},
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	created := make([][]string, 3)
	errs := make([]error, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			created[i], errs[i] = events.EnsurePartitions(ctx, db.DB, now, 2)
		}()
	}
	wg.Wait()
	total := 0
	for i := range 3 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		total += len(created[i])
	}
	if total != 4 { // 2025-03 (backfill), 2026-11, 2026-12, 2027-01
		t.Fatalf("created %v, want 4 partitions once", created)
	}
	if n := count(t, db, `SELECT count(*) FROM events_default`); n != 0 {
		t.Fatalf("%d rows left in the default partition", n)
	}
	if n := count(t, db, `SELECT count(*) FROM `+events.PartitionName(old)+` WHERE tenant_id = $1`, tid); n != 1 {
		t.Fatalf("backfilled event not moved into its month")
	}
	if n := count(t, db, `SELECT count(*) FROM `+events.PartitionName(now)+` WHERE tenant_id = $1`, tid); n != 1 {
		t.Fatalf("current event not in the current month's partition")
	}
	// Queries by name and time prune to one partition and use its index.
	var plan string
	rows, err := db.DB.Query(`EXPLAIN SELECT lead_id FROM events WHERE tenant_id = $1 AND name = 'new' AND occurred_at >= '2026-11-01' AND occurred_at < '2026-12-01'`, tid)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		_ = rows.Scan(&line)
		plan += line + "\n"
	}
	rows.Close()
	if strings.Contains(plan, "events_y2026m12") || strings.Contains(plan, "events_default") || !strings.Contains(plan, "events_y2026m11") {
		t.Fatalf("plan does not prune to the month:\n%s", plan)
	}
}
