package resilience

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/jobs"
)

// TestFaults runs two api, two worker and one scheduler process and, one
// after another: restarts Redis while tasks are queued and one is running,
// restarts PostgreSQL in the middle of a recycle pass and in the middle of
// a broadcast, and kills an api process in the middle of an ingest. After
// each, nothing is lost or done twice, every process goes on without being
// restarted, and /readyz reports the outage while it lasts.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, Redis and five scrm processes")
	}
	t.Parallel()
	// Redis keeps an append-only file, as a production queue must: a
	// restart keeps what was queued.
	c := newCluster(t, true)
	f := setupWorkspace(t, c, 4)
	apis := []*scrm{c.serve("api1", "api"), c.serve("api2", "api")}
	workers := []*scrm{c.serve("worker1", "worker"), c.serve("worker2", "worker")}
	c.serve("scheduler1", "scheduler")
	f.signIn(t, apis[0])

	t.Run("redis restart", func(t *testing.T) { redisRestart(t, c, f, apis) })
	t.Run("postgres restart during recycle", func(t *testing.T) { postgresDuringRecycle(t, c, f, apis) })
	t.Run("postgres restart during broadcast", func(t *testing.T) { postgresDuringBroadcast(t, c, f, apis) })
	t.Run("api killed mid-request", func(t *testing.T) { apiKilled(t, c, f, apis) })
	t.Run("every process still works", func(t *testing.T) { stillWorking(t, c, f, apis, workers) })
	checkOwnership(t, c, f.tid)
}

// waitReadiness polls /readyz of every api until it answers status with
// check=value in its body.
func waitReadiness(t *testing.T, apis []*scrm, status int, check, value string, d time.Duration) {
	t.Helper()
	for _, api := range apis {
		waitFor(t, d, fmt.Sprintf("%s /readyz to answer %d with %s %s", api.name, status, check, value), func() (bool, string) {
			st, body := api.readiness()
			return st == status && body[check] == value, fmt.Sprintf("%d %v", st, body)
		})
	}
}

// waitAssigned waits until every lead of a family has an owner.
func waitAssigned(t *testing.T, c *cluster, f *workspaceFixture, family string, n int, d time.Duration) {
	t.Helper()
	waitFor(t, d, fmt.Sprintf("all %d %s leads to be assigned", n, family), func() (bool, string) {
		var total, owned int
		err := c.db.QueryRow(`SELECT count(*), count(owner_id) FROM leads WHERE tenant_id = $1 AND external_id LIKE $2`,
			f.tid, family+"-%").Scan(&total, &owned)
		if err != nil {
			return false, err.Error()
		}
		return total == n && owned == n, fmt.Sprintf("%d leads, %d owned", total, owned)
	})
}

// ingestFamily ingests n rows of a family in batches over the apis.
func ingestFamily(t *testing.T, apis []*scrm, f *workspaceFixture, family, src string, n, batch int) {
	t.Helper()
	for i := 0; i*batch < n; i++ {
		r, err := ingestREST(context.Background(), apiOf(apis, i), f.admin, fmt.Sprintf("%s-%d", family, i), leadRows(family, src, i*batch, min(batch, n-i*batch)))
		if err != nil || r.Created != min(batch, n-i*batch) {
			t.Fatalf("ingest %s batch %d: %+v %v", family, i, r, err)
		}
	}
}

// redisRestart: a broadcast's sending loop is running (its webhook call is
// held) and assignment tasks are queued (the default queue is paused) when
// Redis restarts; an ingest arrives while Redis is down. Afterwards every
// lead is assigned and the broadcast reaches everyone once.
func redisRestart(t *testing.T, c *cluster, f *workspaceFixture, apis []*scrm) {
	const sendTo, queued, outage = 600, 1000, 500
	ingestFamily(t, apis, f, "send", "send", sendTo, 300)
	r := newReceiver(t)
	held, release := r.holdRequest(100)
	defer release()
	id := createBroadcast(t, c, apis[0], f, r, "send", sendTo, 100)
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatalf("the broadcast did not reach its 100th message in 60s (%d received)", r.count())
	}
	if err := c.insp.PauseQueue("default"); err != nil {
		t.Fatal(err)
	}
	ingestFamily(t, apis, f, "queued", "web", queued, 250)
	waitFor(t, 10*time.Second, "the assignment tasks to wait in the paused queue", func() (bool, string) {
		info, err := c.insp.GetQueueInfo("default")
		if err != nil {
			return false, err.Error()
		}
		return info.Pending >= queued/250 && info.Active >= 1, fmt.Sprintf("%d pending, %d active", info.Pending, info.Active)
	})

	c.redis.stop()
	waitReadiness(t, apis, 503, "redis", "unavailable", 15*time.Second)
	// Postgres is up: an ingest still commits, and its assignment must not
	// be lost with the enqueue that failed.
	start := time.Now()
	res, err := ingestREST(context.Background(), apis[1], f.admin, "outage-0", leadRows("outage", "web", 0, outage))
	if err != nil || res.Created != outage {
		t.Fatalf("ingest during the Redis outage: %+v %v", res, err)
	}
	t.Logf("an ingest during the Redis outage took %s", time.Since(start).Round(time.Millisecond))
	c.redis.start()
	waitReadiness(t, apis, 200, "redis", "ok", 30*time.Second)

	release()
	if err := c.insp.UnpauseQueue("default"); err != nil {
		t.Fatal(err)
	}
	waitAssigned(t, c, f, "queued", queued, 60*time.Second)
	waitAssigned(t, c, f, "outage", outage, 90*time.Second)
	waitBroadcast(t, c, f.tid, id, 90*time.Second)
	checkDeliveries(t, c, r, f.tid, id, sendTo, 1)
}

// stallSQL makes the second statement that writes RECYCLE owner changes
// (the second batch of a pass, once the first has committed) sleep, once:
// the sequence is not transactional, so the crash does not re-arm it.
const stallSQL = `
CREATE SEQUENCE resilience_stall;
CREATE FUNCTION resilience_stall() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM owner_changes WHERE kind = 'RECYCLE') THEN
		IF nextval('resilience_stall') = 1 THEN
			PERFORM pg_sleep(300);
		END IF;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER resilience_stall BEFORE INSERT ON owner_changes FOR EACH STATEMENT EXECUTE FUNCTION resilience_stall();`

// postgresDuringRecycle: a recycle pass over 6,000 due leads (two batches)
// on a worker has committed its first batch when PostgreSQL restarts
// (immediate shutdown: a crash). Afterwards every due lead is recycled
// once, with one notification each, all delivered.
func postgresDuringRecycle(t *testing.T, c *cluster, f *workspaceFixture, apis []*scrm) {
	const due = pool.DefaultBatchSize + 1000
	ingestFamily(t, apis, f, "aged", "web", due, 3000)
	waitAssigned(t, c, f, "aged", due, 60*time.Second)
	if _, err := c.db.Exec(`UPDATE leads SET claimed_at = now() - interval '30 days'
		WHERE tenant_id = $1 AND external_id LIKE 'aged-%'`, f.tid); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Exec(stallSQL); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"tenant_id": f.tid})
	if _, err := c.queue.Enqueue(asynq.NewTask(jobs.TypePoolsRecycleWorkspace, b), asynq.Queue("low"), asynq.MaxRetry(5)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the first batch to commit and the second to stall", func() (bool, string) {
		var recycled, stalled int
		err := c.db.QueryRow(`SELECT (SELECT count(*) FROM owner_changes WHERE tenant_id = $1 AND kind = 'RECYCLE'),
			(SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep')`, f.tid).Scan(&recycled, &stalled)
		if err != nil {
			return false, err.Error()
		}
		return recycled == pool.DefaultBatchSize && stalled == 1, fmt.Sprintf("%d recycled, %d stalled", recycled, stalled)
	})

	c.pg.stop("immediate")
	waitReadiness(t, apis, 503, "postgres", "unavailable", 15*time.Second)
	c.pg.start()
	waitReadiness(t, apis, 200, "postgres", "ok", 30*time.Second)
	if _, err := c.db.Exec(`DROP TRIGGER resilience_stall ON owner_changes; DROP FUNCTION resilience_stall(); DROP SEQUENCE resilience_stall`); err != nil {
		t.Fatal(err)
	}

	// The worker's task failed with the crash; its retry finishes the pass.
	waitFor(t, 90*time.Second, "the retried pass to recycle every due lead and deliver the notifications", func() (bool, string) {
		var owned, undelivered int
		err := c.db.QueryRow(`SELECT (SELECT count(*) FROM leads WHERE tenant_id = $1 AND external_id LIKE 'aged-%' AND owner_id IS NOT NULL),
			(SELECT count(*) FROM notifications WHERE tenant_id = $1 AND kind = $2 AND delivered_at IS NULL)`, f.tid, pool.KindRecycled).Scan(&owned, &undelivered)
		if err != nil {
			return false, err.Error()
		}
		if owned > 0 || undelivered > 0 {
			return false, fmt.Sprintf("%d leads still owned, %d notifications undelivered", owned, undelivered)
		}
		return c.queuesIdle("default", "low", "critical")
	})
	if n := c.scalar(t, `SELECT count(*) FROM (SELECT lead_id FROM owner_changes WHERE tenant_id = $1 AND kind = 'RECYCLE'
		GROUP BY lead_id HAVING count(*) <> 1) x`, f.tid); n > 0 {
		t.Errorf("%d leads have other than one RECYCLE change", n)
	}
	if n := c.scalar(t, `SELECT count(*) FROM owner_changes WHERE tenant_id = $1 AND kind = 'RECYCLE'`, f.tid); n != due {
		t.Errorf("%d RECYCLE changes; want %d", n, due)
	}
	if n := c.scalar(t, `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND kind = $2`, f.tid, pool.KindRecycled); n != due {
		t.Errorf("%d recycle notifications; want %d", n, due)
	}
}

// postgresDuringBroadcast: PostgreSQL restarts while the sending loop waits
// for the webhook; the loop's connection (and advisory lock) is gone when
// the call returns. The loop reconnects and goes on: the broadcast reaches
// everyone, at most the message in flight twice (only if another loop took
// over), under the same key, within seconds.
func postgresDuringBroadcast(t *testing.T, c *cluster, f *workspaceFixture, apis []*scrm) {
	const sendTo = 400
	ingestFamily(t, apis, f, "bcast", "bcast", sendTo, 400)
	r := newReceiver(t)
	held, release := r.holdRequest(50)
	defer release()
	id := createBroadcast(t, c, apis[1], f, r, "bcast", sendTo, 100)
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatalf("the broadcast did not reach its 50th message in 60s (%d received)", r.count())
	}
	// A restart (fast shutdown: sessions end, the WAL is flushed). A crash
	// could also lose the last moment of the loop's asynchronous commits,
	// whose rows are then sent again under the same keys (docs/broadcasts.md).
	c.pg.stop("fast")
	waitReadiness(t, apis, 503, "postgres", "unavailable", 15*time.Second)
	c.pg.start()
	waitReadiness(t, apis, 200, "postgres", "ok", 30*time.Second)
	start := time.Now()
	release()
	// 350 messages left at 100 a second: a loop that survived the restart
	// needs a few seconds; one that died waits for Asynq's retry or the
	// minutely resume pass.
	waitBroadcast(t, c, f.tid, id, 20*time.Second)
	t.Logf("the broadcast finished %s after PostgreSQL came back", time.Since(start).Round(time.Millisecond))
	checkDeliveries(t, c, r, f.tid, id, sendTo, 1)
}

// apiKilled: an api process is killed (SIGKILL) while its ingest
// transaction is open. Nothing of it is committed; the client's retry with
// the same idempotency key on the other process creates the leads once,
// and they are assigned.
func apiKilled(t *testing.T, c *cluster, f *workspaceFixture, apis []*scrm) {
	const n = 5000
	rows := leadRows("kill", "web", 0, n)
	victim := apis[0]
	errc := make(chan error, 1)
	go func() {
		_, err := ingestREST(context.Background(), victim, f.admin, "kill-0", rows)
		errc <- err
	}()
	waitFor(t, 30*time.Second, "the ingest transaction to be open on "+victim.name, func() (bool, string) {
		var open int
		err := c.db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL
			AND state <> 'idle' AND query NOT LIKE '%pg_stat_activity%'`, victim.name).Scan(&open)
		if err != nil {
			return false, err.Error()
		}
		return open > 0, fmt.Sprintf("%d open transactions", open)
	})
	victim.stop(t, syscall.SIGKILL, 10*time.Second)
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("the ingest answered although its process was killed")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the client of the killed process got no error in 30s")
	}
	waitFor(t, 30*time.Second, "the killed process's sessions to end", func() (bool, string) {
		var sessions int
		if err := c.db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, victim.name).Scan(&sessions); err != nil {
			return false, err.Error()
		}
		return sessions == 0, fmt.Sprintf("%d sessions", sessions)
	})
	if got := c.scalar(t, `SELECT count(*) FROM leads WHERE tenant_id = $1 AND external_id LIKE 'kill-%'`, f.tid); got != 0 {
		t.Fatalf("%d leads of the killed request were committed; its transaction never finished", got)
	}
	if st, body := apis[1].ready(); st != 200 {
		t.Errorf("the other api is not ready: %d %s", st, body)
	}
	res, err := ingestREST(context.Background(), apis[1], f.admin, "kill-0", rows)
	if err != nil || res.Created != n || res.Replayed {
		t.Fatalf("the retry on the other process: %+v %v; want %d created", res, err, n)
	}
	again, err := ingestREST(context.Background(), apis[1], f.admin, "kill-0", rows)
	if err != nil || !again.Replayed {
		t.Fatalf("a second retry: %+v %v; want the stored answer", again, err)
	}
	waitAssigned(t, c, f, "kill", n, 60*time.Second)
	// The supervisor starts the killed process again.
	c.restartProc(victim)
}

// stillWorking checks every process after the faults: both apis answer
// GraphQL, both workers are registered with Redis and take tasks, the
// scheduler's periodic work keeps running.
func stillWorking(t *testing.T, c *cluster, f *workspaceFixture, apis, workers []*scrm) {
	for _, api := range apis {
		var me struct {
			Me struct{ Email string } `json:"me"`
		}
		if err := api.gql(context.Background(), f.admin, `{ me { email } }`, nil, &me); err != nil || me.Me.Email != adminEmail {
			t.Errorf("%s: me = %+v, %v", api.name, me, err)
		}
	}
	waitFor(t, 30*time.Second, "both workers to be registered with Redis", func() (bool, string) {
		servers, err := c.insp.Servers()
		if err != nil {
			return false, err.Error()
		}
		return len(servers) == len(workers), fmt.Sprintf("%d servers", len(servers))
	})
	// New work goes through: ingest on both apis, assignment on the workers.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ingestREST(context.Background(), apiOf(apis, i), f.admin, fmt.Sprintf("final-%d", i), leadRows("final", "web", i*50, 50)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	waitAssigned(t, c, f, "final", 400, 60*time.Second)
	last := time.Now()
	waitFor(t, 75*time.Second, "a periodic task to run after the faults", func() (bool, string) {
		for _, w := range workers {
			for _, line := range splitLines(w.out.String()) {
				if contains(line, `msg="periodic task"`, "type="+jobs.TypeBroadcastsResume) && logTime(line).After(last) {
					return true, ""
				}
			}
		}
		return false, "none yet"
	})
}
