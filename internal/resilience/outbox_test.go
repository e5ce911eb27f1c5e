package resilience

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/jobs"
)

// TestNoTaskLost: during a Redis outage an api process commits two ingests
// (one over REST, one through GraphQL, whose mutation transaction the
// ingest joins) and is killed (SIGKILL) right after, with the only worker.
// Nothing of their background work lived in those processes: it is in the
// outbox, committed with the leads. Once Redis and a new api and worker are
// back, the new api's relay hands it to Asynq and the assignment of those
// leads runs exactly once.
func TestNoTaskLost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, Redis and scrm processes")
	}
	t.Parallel()
	c := newCluster(t, true)
	f := setupWorkspace(t, c, 4)
	api := c.serve("api1", "api")
	worker := c.serve("worker1", "worker")
	f.signIn(t, api)
	ctx := context.Background()

	// /readyz says how Redis keeps its data (the harness's: an append-only
	// file fsynced at every write, no snapshots) and what waits in the outbox.
	if st, body := api.readiness(); st != 200 || body["redis_persistence"] != "aof" || body["redis_appendfsync"] != "always" ||
		body["outbox_pending"] != "0" {
		t.Fatalf("/readyz: %d %v; want 200, redis_persistence aof, redis_appendfsync always, outbox_pending 0", st, body)
	}

	c.redis.stop()
	waitReadiness(t, []*scrm{api}, 503, "redis", "unavailable", 15*time.Second)
	const n = 300
	start := time.Now()
	if r, err := ingestREST(ctx, api, f.admin, "lost-0", leadRows("lost", "web", 0, n)); err != nil || r.Created != n {
		t.Fatalf("REST ingest during the outage: %+v %v", r, err)
	}
	t.Logf("a REST ingest of %d leads during the Redis outage took %s", n, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if r, err := ingestGraphQL(ctx, api, f.admin, "lostgql-0", leadRows("lostgql", "web", 0, n)); err != nil || r.Created != n {
		t.Fatalf("GraphQL ingest during the outage: %+v %v", r, err)
	}
	t.Logf("a GraphQL ingest of %d leads during the Redis outage took %s", n, time.Since(start).Round(time.Millisecond))
	// For comparison: a request that queues nothing.
	start = time.Now()
	if err := api.gql(ctx, f.admin, `{ me { email } }`, nil, nil); err != nil {
		t.Fatalf("me during the outage: %v", err)
	}
	t.Logf("a me query during the Redis outage took %s", time.Since(start).Round(time.Millisecond))
	if st, body := api.readiness(); st != 503 || body["outbox_pending"] == "0" || body["redis_persistence"] != "unknown" {
		t.Errorf("/readyz during the outage: %d %v; want 503 with the ingests' tasks pending", st, body)
	}
	// Both committed, and their assignment is a committed outbox row each.
	if got := c.scalar(t, `SELECT count(*) FROM outbox_tasks WHERE tenant_id = $1 AND task_type = $2 AND sent_at IS NULL`,
		f.tid, jobs.TypeLeadsAssign); got != 2 {
		t.Fatalf("%d unsent assignment tasks in the outbox; want 2 (one per ingest)", got)
	}
	api.stop(t, syscall.SIGKILL, 10*time.Second)
	worker.stop(t, syscall.SIGKILL, 10*time.Second)

	c.redis.start()
	// No worker yet: what reaches Redis is the new api's relay's doing.
	api2 := c.serve("api2", "api")
	waitFor(t, 30*time.Second, "the new api's relay to hand the outbox to Asynq", func() (bool, string) {
		unsent := c.scalar(t, `SELECT count(*) FROM outbox_tasks WHERE sent_at IS NULL`)
		return unsent == 0, fmt.Sprintf("%d unsent", unsent)
	})
	if st, body := api2.readiness(); st != 200 || body["outbox_pending"] != "0" {
		t.Errorf("/readyz after the relay: %d %v; want 200 with outbox_pending 0", st, body)
	}
	// Handed over once each: the only relay so far (api2's) counted every
	// row once, and Redis holds one assignment task per ingest.
	rows, relayed := c.scalar(t, `SELECT count(*) FROM outbox_tasks`), api2.metric(t, "scrm_outbox_relayed_total")
	t.Logf("outbox rows %d, handed over by the new api's relay %v", rows, relayed)
	if relayed != float64(rows) {
		t.Errorf("the relay handed %v tasks over; want each of the %d outbox rows once", relayed, rows)
	}
	if got := pendingOfType(t, c, "default", jobs.TypeLeadsAssign); got != 2 {
		t.Fatalf("%d assignment tasks queued in Redis; want 2", got)
	}

	c.serve("worker2", "worker")
	waitAssigned(t, c, f, "lost", n, 60*time.Second)
	waitAssigned(t, c, f, "lostgql", n, 60*time.Second)
	waitFor(t, 30*time.Second, "the queues to drain", func() (bool, string) {
		return c.queuesIdle("default", "low", "critical")
	})
	if got := c.scalar(t, `SELECT count(*) FROM owner_changes WHERE tenant_id = $1 AND kind = 'AUTO_ASSIGN'`, f.tid); got != 2*n {
		t.Errorf("%d AUTO_ASSIGN owner changes; want one per lead (%d)", got, 2*n)
	}
	if got := c.scalar(t, `SELECT count(*) FROM (SELECT lead_id FROM owner_changes WHERE tenant_id = $1 AND kind = 'AUTO_ASSIGN'
		GROUP BY lead_id HAVING count(*) <> 1) x`, f.tid); got > 0 {
		t.Errorf("%d leads were assigned other than once", got)
	}
	checkOwnership(t, c, f.tid)
}

// metric reads an unlabelled metric from the /metrics of an api process.
func (p *scrm) metric(t *testing.T, name string) float64 {
	t.Helper()
	res, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("%s has no metric %s", p.name, name)
	return 0
}

// pendingOfType counts the pending tasks of type typ in queue.
func pendingOfType(t *testing.T, c *cluster, queue, typ string) int {
	t.Helper()
	tasks, err := c.insp.ListPendingTasks(queue, asynq.PageSize(1000))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, task := range tasks {
		if task.Type == typ {
			n++
		}
	}
	return n
}
