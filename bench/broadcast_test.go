package bench_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	entbroadcast "github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/secretbox"
	"github.com/scrmhq/scrm/internal/segment"
	_ "github.com/scrmhq/scrm/plugins/all"
)

// noQueue drops the follow-up tasks: the benchmarks run each step themselves.
type noQueue struct{}

func (noQueue) EnqueueBroadcastPlan(context.Context, uuid.UUID, uuid.UUID, time.Time) error {
	return nil
}
func (noQueue) EnqueueBroadcastSend(context.Context, uuid.UUID, uuid.UUID, time.Time) error {
	return nil
}

// broadcastWorkspace is a generated workspace of n unowned leads, a segment
// of all of them (computed), and a webhook channel to a loopback receiver
// that answers 200 at once.
func broadcastWorkspace(b *testing.B, n int) (*poolWorkspace, *broadcast.Service, *ent.Segment) {
	b.Helper()
	pw := newPoolWorkspace(b, 1, 1, func(*ent.PoolUpdateOne) {})
	pw.generateLeads(b, n, `NULL::interval`)
	// 1% do-not-disturb and 1% blacklisted, so planning has suppressions to find.
	if _, err := pw.db.DB.Exec(`INSERT INTO suppressions (id, tenant_id, kind, lead_id, reason, created_at, updated_at)
		SELECT gen_random_uuid(), $1, CASE WHEN seq % 200 = 0 THEN 'DND' ELSE 'BLACKLIST' END, id, '', now(), now()
		FROM leads WHERE tenant_id = $1 AND seq % 100 = 0`, pw.tid); err != nil {
		b.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.Cleanup(hook.Close)
	box, err := secretbox.New("bench-server-secret-0123456")
	if err != nil {
		b.Fatal(err)
	}
	fd := fielddefs.New(pw.db.Client, nil)
	segs := &segment.Service{Client: pw.db.Client, Fields: fd, Now: time.Now}
	svc := &broadcast.Service{Client: pw.db.Client, DB: pw.db.DB, Box: box, Segments: segs, Queue: noQueue{}, Now: time.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	if _, err := svc.Configure(pw.ctx, "webhook", map[string]any{"url": hook.URL, "secret": "bench-webhook-secret-01"}, nil); err != nil {
		b.Fatal(err)
	}
	rule := segment.Rule{Attribute: &schematype.AttributeCondition{Key: "source", Op: "EQ", Value: "bench"}}
	seg, err := segs.Create(pw.ctx, segment.Input{Name: "all", Rule: &rule})
	if err != nil {
		b.Fatal(err)
	}
	if err := segs.Compute(pw.ctx, seg.ID); err != nil {
		b.Fatal(err)
	}
	return pw, svc, seg
}

func newBroadcast(b *testing.B, pw *poolWorkspace, svc *broadcast.Service, seg *ent.Segment) uuid.UUID {
	b.Helper()
	rate := broadcast.MaxRate
	bc, err := svc.Create(pw.ctx, broadcast.Input{Name: "bench", SegmentID: seg.ID, Channel: "webhook",
		Template: "{{.name}}，您好", FrequencyCap: &broadcast.Cap{Max: 3, Days: 7}, RatePerSecond: &rate})
	if err != nil {
		b.Fatal(err)
	}
	return bc.ID
}

// BenchmarkBroadcastPlan plans a broadcast to a segment of SCRM_BENCH_LEADS
// leads (default 1,000,000): the segment snapshot, then one delivery row per
// lead with DND, blacklist, reachability and frequency-cap checks. Reports
// delivery rows written per second.
func BenchmarkBroadcastPlan(b *testing.B) {
	n := benchLeads()
	pw, svc, seg := broadcastWorkspace(b, n)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if _, err := pw.db.DB.Exec(`DELETE FROM deliveries; DELETE FROM broadcasts`); err != nil {
			b.Fatal(err)
		}
		id := newBroadcast(b, pw, svc, seg)
		b.StartTimer()
		if err := svc.Plan(pw.ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var rows int
	if err := pw.db.DB.QueryRow(`SELECT count(*) FROM deliveries`).Scan(&rows); err != nil || rows != n {
		b.Fatalf("planned %d rows (%v), want %d", rows, err, n)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// benchSends is the size of the webhook send benchmark: SCRM_BENCH_SENDS,
// default 20,000.
func benchSends() int {
	if n, err := strconv.Atoi(os.Getenv("SCRM_BENCH_SENDS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// BenchmarkWebhookSends runs the sending loop of a planned broadcast to
// SCRM_BENCH_SENDS leads against a webhook receiver on loopback, without
// the rate limit: claim, render, sign, POST and record, one row at a time.
// Reports messages per second.
func BenchmarkWebhookSends(b *testing.B) {
	n := benchSends()
	pw, svc, seg := broadcastWorkspace(b, n)
	var sent int
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if _, err := pw.db.DB.Exec(`DELETE FROM deliveries; DELETE FROM broadcasts`); err != nil {
			b.Fatal(err)
		}
		id := newBroadcast(b, pw, svc, seg)
		if err := svc.Plan(pw.ctx, id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := svc.Send(pw.ctx, id); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st, err := svc.StatsOf(pw.ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if got, _ := pw.db.Client.Broadcast.Get(pw.ctx, id); got.Status != entbroadcast.StatusDONE || st.Sent == 0 {
			b.Fatalf("broadcast %s, %+v", got.Status, st)
		}
		sent += st.Sent
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "msgs/s")
}
