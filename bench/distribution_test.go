package bench_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	entpool "github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// benchLeads is the size of the recycle workspace: SCRM_BENCH_LEADS,
// default 1,000,000.
func benchLeads() int {
	if n, err := strconv.Atoi(os.Getenv("SCRM_BENCH_LEADS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchNow is the clock of the distribution benchmarks.
var benchNow = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// poolWorkspace is a generated workspace for the pool benchmarks.
type poolWorkspace struct {
	db   *testenv.Database
	ctx  context.Context
	tid  uuid.UUID
	pool *ent.Pool
	reps []uuid.UUID
}

// newPoolWorkspace creates a workspace with nReps reps (capacity and daily
// limit set to limit) and its default pool's rules set by rules.
func newPoolWorkspace(b *testing.B, nReps, limit int, rules func(*ent.PoolUpdateOne)) *poolWorkspace {
	b.Helper()
	db := testenv.NewDatabase(b)
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	slug := "pool" + hex.EncodeToString(buf)
	w, err := workspace.Create(context.Background(), db.Client, workspace.Spec{Slug: slug, Name: slug,
		AdminName: "a", AdminEmail: "a@" + slug + ".test", AdminPassword: "password-123", Timezone: "Asia/Shanghai"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := tenant.NewContext(context.Background(), w.Workspace.ID)
	p, err := db.Client.Pool.Query().Where(entpool.IsDefault(true)).Only(ctx)
	if err != nil {
		b.Fatal(err)
	}
	u := p.Update()
	rules(u)
	if p, err = u.Save(ctx); err != nil {
		b.Fatal(err)
	}
	users := make([]*ent.UserCreate, nReps)
	for i := range users {
		users[i] = db.Client.User.Create().SetName(fmt.Sprintf("rep %d", i)).SetEmail(fmt.Sprintf("rep%d@%s.test", i, slug)).
			SetPasswordHash("x").SetRoles([]string{"rep"}).SetCapacity(limit).SetDailyClaimLimit(limit)
	}
	reps, err := db.Client.User.CreateBulk(users...).Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	pw := &poolWorkspace{db: db, ctx: ctx, tid: w.Workspace.ID, pool: p}
	for _, r := range reps {
		pw.reps = append(pw.reps, r.ID)
	}
	return pw
}

// generateLeads inserts n leads set-based (seq 1..n, UUIDv7 lead ids in seq
// order, the default stage), owned by the reps in turn and claimed
// claimedSQL ago (a SQL expression of g, the lead number, giving an
// interval; NULL for unowned leads), a third of them without a pool.
func (pw *poolWorkspace) generateLeads(b *testing.B, n int, claimedSQL string) {
	b.Helper()
	st, err := pw.db.Client.Stage.Query().Where(stage.Key("new")).Only(pw.ctx)
	if err != nil {
		b.Fatal(err)
	}
	id := gid.New(gid.Lead)
	typ := []byte{id[6], id[7]}
	reps := make(pq.StringArray, len(pw.reps))
	for i, r := range pw.reps {
		reps[i] = r.String()
	}
	start := time.Now()
	_, err = pw.db.DB.Exec(`
		INSERT INTO leads (id, tenant_id, created_at, updated_at, seq, name, company, source, source_detail,
			status, score, attributes, reachable, locked, owner_id, pool_id, stage_id, claimed_at)
		SELECT `+gid.NewSQLMillis(`(extract(epoch FROM $2::timestamptz) * 1000)::int8 - 86400000::int8 * 60 + g`, "$3::bytea")+`,
			$1, $2::timestamptz - interval '60 days', $2::timestamptz - interval '60 days', g, '线索 ' || g, '', 'bench', '',
			'ACTIVE', 0, '{}', '[]', false,
			CASE WHEN c.ago IS NOT NULL THEN ($4::uuid[])[1 + g % cardinality($4::uuid[])] END,
			CASE WHEN c.ago IS NULL OR g % 3 <> 0 THEN $5::uuid END,
			$6, $2::timestamptz - c.ago
		FROM generate_series(1, $7::int) g
		CROSS JOIN LATERAL (SELECT `+claimedSQL+` AS ago) c`,
		pw.tid, benchNow, typ, reps, pw.pool.ID, st.ID, n)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pw.db.DB.Exec(`UPDATE workspaces SET lead_seq = $2 WHERE id = $1`, pw.tid, n); err != nil {
		b.Fatal(err)
	}
	if _, err := pw.db.DB.Exec(`VACUUM ANALYZE leads`); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d leads in %v", n, time.Since(start).Round(time.Millisecond))
}

// claimedAgo makes 10% of the leads due (claimed 11 days ago, the pool
// recycles after 10 days without a follow-up), 5% due for a reminder
// (claimed 9 days ago, reminders 2 days ahead) and the rest fresh (1 day).
const claimedAgo = `CASE WHEN g % 10 = 0 THEN interval '11 days' WHEN g % 20 = 1 THEN interval '9 days' ELSE interval '1 day' END`

// BenchmarkRecycle times full recycle passes over a workspace of
// SCRM_BENCH_LEADS owned leads (default 1,000,000), 10% of them due and 5%
// due for a reminder, spread over 100 reps, with the default pool's rules
// (10 days without a follow-up, 30 days without a deal, reminders 2 days
// ahead). The data is generated once, set-based; before every pass but the
// first the due leads are given back to their reps and the pass's history
// is deleted, outside the timer. It reports recycled leads per second.
func BenchmarkRecycle(b *testing.B) {
	n := benchLeads()
	pw := newPoolWorkspace(b, 100, 1000, func(u *ent.PoolUpdateOne) {
		u.SetRecycleNoFollowUpDays(10).SetRecycleNoDealDays(30).SetRemindBeforeDays(2).
			SetCooldownDays(7).SetProtectionDays(0).ClearDailyClaimLimit()
	})
	pw.generateLeads(b, n, claimedAgo)
	svc := &pool.Service{Client: pw.db.Client, Now: func() time.Time { return benchNow }}
	var recycled, reminded int
	var elapsed time.Duration
	b.ResetTimer()
	for i := range b.N {
		if i > 0 {
			b.StopTimer()
			pw.rearm(b)
			b.StartTimer()
		}
		start := time.Now()
		res, err := svc.Recycle(pw.ctx, pool.RecycleOptions{})
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		recycled += len(res.Recycled)
		reminded += len(res.Reminded)
		if want := n / 10; len(res.Recycled) != want {
			b.Fatalf("recycled %d leads, want %d", len(res.Recycled), want)
		}
	}
	b.ReportMetric(float64(recycled)/elapsed.Seconds(), "recycled-leads/s")
	b.ReportMetric(float64(recycled)/float64(b.N), "recycled/op")
	b.ReportMetric(float64(reminded)/float64(b.N), "reminded/op")
}

// rearm gives the recycled leads back to their reps as they were and
// deletes the recycle history, so the next pass has the same work.
func (pw *poolWorkspace) rearm(b *testing.B) {
	b.Helper()
	reps := make(pq.StringArray, len(pw.reps))
	for i, r := range pw.reps {
		reps[i] = r.String()
	}
	steps := []struct {
		query string
		args  []any
	}{
		{`UPDATE leads SET owner_id = ($3::uuid[])[1 + seq % cardinality($3::uuid[])], claimed_at = $2::timestamptz - interval '11 days',
			pool_id = CASE WHEN seq % 3 <> 0 THEN pool_id END
		WHERE tenant_id = $1 AND seq % 10 = 0`, []any{pw.tid, benchNow, reps}},
		{`DELETE FROM notifications WHERE tenant_id = $1`, []any{pw.tid}},
		{`DELETE FROM owner_changes WHERE tenant_id = $1`, []any{pw.tid}},
	}
	for _, st := range steps {
		if _, err := pw.db.DB.Exec(st.query, st.args...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pw.db.DB.Exec(`VACUUM ANALYZE leads, owner_changes, notifications`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkClaims runs b.N claim calls from 100 concurrent claimers
// (SCRM_BENCH_CLAIMERS) acting as 25 reps (large capacity and daily limit)
// against a public pool of SCRM_BENCH_LEADS/5 leads (at least 20,000). Each
// call claims 1-3 leads taken from a shared shuffled list, and every tenth
// call also asks for a lead another claimer just took, so calls collide as
// they would in a busy pool. It reports claimed leads and calls per second.
// A rep's claims run one at a time (its users row is locked), so the rate
// is bounded by reps × 1/(claim latency), and on a small machine by CPU.
func BenchmarkClaims(b *testing.B) {
	claimers, nReps := benchClaimers(), 25
	size := max(benchLeads()/5, 20_000)
	pw := newPoolWorkspace(b, nReps, 10_000_000, func(u *ent.PoolUpdateOne) {
		u.ClearRecycleNoFollowUpDays().ClearRecycleNoDealDays().ClearRemindBeforeDays().
			SetCooldownDays(0).SetProtectionDays(3).ClearDailyClaimLimit()
	})
	pw.generateLeads(b, size, `NULL::interval`)
	rows, err := pw.db.DB.Query(`SELECT id FROM leads WHERE tenant_id = $1`, pw.tid)
	if err != nil {
		b.Fatal(err)
	}
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	mrand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	svc := &pool.Service{Client: pw.db.Client, Now: func() time.Time { return benchNow }}

	var calls, cursor atomic.Int64
	var claimed, conflicts, refused atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := range claimers {
		rep := pw.reps[g%nReps]
		wg.Go(func() {
			for {
				i := calls.Add(1)
				if i > int64(b.N) {
					return
				}
				k := 1 + int(i%3)
				at := cursor.Add(int64(k)) - int64(k)
				batch := make([]uuid.UUID, 0, k+1)
				for j := range int64(k) {
					batch = append(batch, ids[(at+j)%int64(len(ids))])
				}
				if i%10 == 0 && at > 0 {
					batch = append(batch, ids[(at-1)%int64(len(ids))])
				}
				got, fails, err := svc.Claim(pw.ctx, rep, batch)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				claimed.Add(int64(len(got)))
				for _, f := range fails {
					if f.Code == pool.CodeConflict {
						conflicts.Add(1)
					} else {
						refused.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(claimed.Load())/elapsed.Seconds(), "claims/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(conflicts.Load()), "conflicts")
	b.ReportMetric(float64(refused.Load()), "refused")
}

// benchClaimers is the number of concurrent claimers: SCRM_BENCH_CLAIMERS,
// default 100.
func benchClaimers() int {
	if n, err := strconv.Atoi(os.Getenv("SCRM_BENCH_CLAIMERS")); err == nil && n > 0 {
		return n
	}
	return 100
}
