package resilience

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/jobs"
)

const (
	webLeads  = 2000 // assigned by the rule
	expoLeads = 1000 // left in the pool, claimed by reps
)

// TestMultiProcess runs two api, two worker and one scheduler process on
// one PostgreSQL and one Redis and drives ingest, assignment, claims,
// recycling and a broadcast through them; the invariants are checked with
// SQL afterwards.
func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, Redis and five scrm processes")
	}
	t.Parallel()
	c := newCluster(t, false)
	f := setupWorkspace(t, c, 6)
	apis := []*scrm{c.serve("api1", "api"), c.serve("api2", "api")}
	workers := []*scrm{c.serve("worker1", "worker"), c.serve("worker2", "worker")}
	// Two schedulers, to check that periodic work still runs once per
	// period; debug logs show each one firing.
	scheds := []*scrm{c.serve("scheduler1", "scheduler", "SCRM_LOG_LEVEL=debug"), c.serve("scheduler2", "scheduler", "SCRM_LOG_LEVEL=debug")}
	f.signIn(t, apis[0])
	ctx := context.Background()

	t.Run("ingest", func(t *testing.T) { ingestPhase(t, c, f, apis) })
	t.Run("assignment", func(t *testing.T) { assignmentPhase(t, c, f) })
	t.Run("claims", func(t *testing.T) { claimPhase(t, c, f, apis) })
	t.Run("recycle", func(t *testing.T) { recyclePhase(t, c, f, apis) })
	t.Run("broadcast", func(t *testing.T) {
		r := newReceiver(t)
		id := createBroadcast(t, c, apis[1], f, r, "expo", expoLeads, 400)
		waitBroadcast(t, c, f.tid, id, 60*time.Second)
		checkDeliveries(t, c, r, f.tid, id, expoLeads, 0)
	})
	t.Run("periodic", func(t *testing.T) { periodicPhase(t, c, workers, scheds) })
	checkOwnership(t, c, f.tid)
	_ = ctx
}

// periodicPhase waits for the first minute both schedulers were up for and
// checks that each every-minute task ran once in it, although both
// schedulers fired it.
func periodicPhase(t *testing.T, c *cluster, workers, scheds []*scrm) {
	slot := scheds[len(scheds)-1].started.UTC().Truncate(time.Minute).Add(time.Minute)
	t.Logf("waiting for the periodic tasks of %s", slot.Format(time.RFC3339))
	for time.Now().Before(slot.Add(2 * time.Second)) {
		time.Sleep(100 * time.Millisecond)
	}
	waitFor(t, 30*time.Second, "the queues to drain after the minute's periodic tasks", func() (bool, string) {
		return c.queuesIdle("default", "low", "critical")
	})
	for _, typ := range []string{jobs.TypeBroadcastsResume, jobs.TypeSegmentsRefreshDue} {
		for _, s := range scheds {
			if s.out.count(`msg="periodic task due"`, "type="+typ) == 0 {
				t.Errorf("%s never fired %s", s.name, typ)
			}
		}
		ran := logCount(workers, `msg="periodic task"`, "type="+typ, "slot="+slot.Format(time.RFC3339))
		skipped := logCount(workers, `msg="periodic task already ran in this period"`, "type="+typ, "slot="+slot.Format(time.RFC3339))
		if ran != 1 {
			t.Errorf("%s ran %d times in the minute %s; want once", typ, ran, slot.Format(time.RFC3339))
		}
		t.Logf("%s: ran %d, skipped %d copies", typ, ran, skipped)
	}
}

// ingestPhase sends the web leads over REST in batches spread over both
// api processes in parallel, each batch also replayed with its key on the
// other process, and the expo leads through GraphQL.
func ingestPhase(t *testing.T, c *cluster, f *workspaceFixture, apis []*scrm) {
	ctx := context.Background()
	const batch = 250
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, replayed := 0, 0
	errs := make(chan error, 64)
	for i := range webLeads / batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := leadRows("web", "web", i*batch, batch)
			key := fmt.Sprintf("web-%d", i)
			for j := range 2 {
				r, err := ingestREST(ctx, apiOf(apis, i+j), f.admin, key, rows)
				if err != nil {
					errs <- fmt.Errorf("batch %d (try %d): %w", i, j, err)
					return
				}
				mu.Lock()
				if r.Replayed {
					replayed++
				} else {
					created += r.Created
				}
				mu.Unlock()
			}
		}()
	}
	for i := range expoLeads / batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := ingestGraphQL(ctx, apiOf(apis, i), f.admin, fmt.Sprintf("expo-%d", i), leadRows("expo", "expo", i*batch, batch))
			if err != nil {
				errs <- fmt.Errorf("expo batch %d: %w", i, err)
				return
			}
			mu.Lock()
			created += r.Created
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if created != webLeads+expoLeads || replayed != webLeads/batch {
		t.Errorf("ingest answered %d created and %d replays; want %d and %d", created, replayed, webLeads+expoLeads, webLeads/batch)
	}
	if n := c.scalar(t, `SELECT count(*) FROM leads WHERE tenant_id = $1`, f.tid); n != webLeads+expoLeads {
		t.Errorf("%d leads in the database; want %d", n, webLeads+expoLeads)
	}
}

// assignmentPhase waits for the workers to assign every web lead and checks
// that round robin stayed fair across the two worker processes.
func assignmentPhase(t *testing.T, c *cluster, f *workspaceFixture) {
	waitFor(t, 60*time.Second, fmt.Sprintf("the workers to assign all %d web leads", webLeads), func() (bool, string) {
		var n int
		if err := c.db.QueryRow(`SELECT count(*) FROM leads WHERE tenant_id = $1 AND source = 'web' AND owner_id IS NOT NULL`, f.tid).Scan(&n); err != nil {
			return false, err.Error()
		}
		return n == webLeads, fmt.Sprintf("%d assigned", n)
	})
	spread := c.scalar(t, `SELECT max(n) - min(n) FROM (SELECT count(*) AS n FROM leads WHERE tenant_id = $1 AND source = 'web' GROUP BY owner_id) x`, f.tid)
	owners := c.scalar(t, `SELECT count(DISTINCT owner_id) FROM leads WHERE tenant_id = $1 AND source = 'web'`, f.tid)
	if owners != assignedReps || spread > 1 {
		t.Errorf("web leads went to %d reps with counts differing by %d; want %d reps, at most 1 apart", owners, spread, assignedReps)
	}
	if n := c.scalar(t, `SELECT count(*) FROM owner_changes WHERE tenant_id = $1 AND kind = 'AUTO_ASSIGN'`, f.tid); n != webLeads {
		t.Errorf("%d AUTO_ASSIGN owner changes; want one per web lead (%d)", n, webLeads)
	}
	if n := c.scalar(t, `SELECT count(*) FROM leads WHERE tenant_id = $1 AND source = 'expo' AND owner_id IS NOT NULL`, f.tid); n != 0 {
		t.Errorf("%d expo leads were assigned; no rule matches them", n)
	}
}

// claimPhase has every rep claim overlapping random sets of the expo leads
// through both api processes at once.
func claimPhase(t *testing.T, c *cluster, f *workspaceFixture, apis []*scrm) {
	ctx := context.Background()
	ids := c.leadIDs(t, f.tid, "expo")
	if len(ids) != expoLeads {
		t.Fatalf("%d expo leads; want %d", len(ids), expoLeads)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[string]int{}
	codes := map[string]int{}
	var errs []error
	const perRequest, requests = 40, 12
	for rep := range f.repTokens {
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				order := shuffled(ids, uint64(rep*10+g))
				for k := range requests {
					part := order[(k*perRequest)%len(order):][:perRequest]
					r, err := claim(ctx, apiOf(apis, rep+g+k), f.repTokens[rep], part)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					}
					for _, l := range r.Claimed {
						won[l.ID]++
					}
					for _, fl := range r.Failures {
						codes[fl.Code]++
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("claimLeads: %v", err)
	}
	for code, n := range codes {
		// A lead another rep took is outside the caller's row scope now
		// (NOT_FOUND) or ALREADY_OWNED, or CONFLICT while another
		// transaction holds its row; nothing else may fail here.
		if code != "ALREADY_OWNED" && code != "CONFLICT" && code != "NOT_FOUND" {
			t.Errorf("%d claims failed with %s", n, code)
		}
	}
	for id, n := range won {
		if n > 1 {
			t.Errorf("lead %s was claimed %d times", id, n)
		}
	}
	owned := c.scalar(t, `SELECT count(*) FROM leads WHERE tenant_id = $1 AND source = 'expo' AND owner_id IS NOT NULL`, f.tid)
	claims := c.scalar(t, `SELECT count(*) FROM owner_changes WHERE tenant_id = $1 AND kind = 'CLAIM'`, f.tid)
	if owned != len(won) || claims != len(won) {
		t.Errorf("the api answered %d claimed leads; the database has %d owned expo leads and %d CLAIM changes", len(won), owned, claims)
	}
	if owned < expoLeads/2 {
		t.Errorf("only %d of %d leads were claimed; the claims hardly ran", owned, expoLeads)
	}
	t.Logf("claims: %d of %d leads claimed; failures %v", owned, expoLeads, codes)
}

// recyclePhase ages the web leads' ownership by 30 days and runs the
// recycle pass three times at once: the recyclePools mutation on each api
// process and the scheduler's periodic task on a worker.
func recyclePhase(t *testing.T, c *cluster, f *workspaceFixture, apis []*scrm) {
	ctx := context.Background()
	if _, err := c.db.Exec(`UPDATE leads SET claimed_at = now() - interval '30 days', created_at = now() - interval '30 days'
		WHERE tenant_id = $1 AND source = 'web'`, f.tid); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]int, len(apis))
	errs := make([]error, len(apis))
	for i, api := range apis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = recyclePools(ctx, api, f.admin)
		}()
	}
	if _, err := c.queue.Enqueue(asynq.NewTask(jobs.TypePoolsRecycle, nil), asynq.Queue("low")); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("recyclePools: %v", err)
		}
	}
	waitFor(t, 60*time.Second, "every web lead back in the pool and the queues idle", func() (bool, string) {
		var n int
		if err := c.db.QueryRow(`SELECT count(*) FROM leads WHERE tenant_id = $1 AND source = 'web' AND owner_id IS NOT NULL`, f.tid).Scan(&n); err != nil {
			return false, err.Error()
		}
		if n > 0 {
			return false, fmt.Sprintf("%d web leads still owned", n)
		}
		return c.queuesIdle("default", "low", "critical")
	})
	t.Logf("recyclePools answered %v recycled", got)
	if n := c.scalar(t, `SELECT count(*) FROM (SELECT lead_id FROM owner_changes WHERE tenant_id = $1 AND kind = 'RECYCLE'
		GROUP BY lead_id HAVING count(*) <> 1) x`, f.tid); n > 0 {
		t.Errorf("%d leads have other than one RECYCLE change", n)
	}
	if n := c.scalar(t, `SELECT count(*) FROM owner_changes WHERE tenant_id = $1 AND kind = 'RECYCLE'`, f.tid); n != webLeads {
		t.Errorf("%d RECYCLE changes; want one per web lead (%d)", n, webLeads)
	}
	if got[0]+got[1] > webLeads {
		t.Errorf("the mutations answered %d recycled leads in all; only %d were due", got[0]+got[1], webLeads)
	}
	notes := c.scalar(t, `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND kind = $2`, f.tid, pool.KindRecycled)
	undelivered := c.scalar(t, `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND kind = $2 AND delivered_at IS NULL`, f.tid, pool.KindRecycled)
	if notes != webLeads || undelivered != 0 {
		t.Errorf("%d recycle notifications (%d undelivered); want %d, all delivered", notes, undelivered, webLeads)
	}
}
