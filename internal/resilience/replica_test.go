package resilience

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/gid"
)

// TestReadReplica runs an api+worker process with DATABASE_REPLICA_URL
// naming a real streaming replica of its primary (pg_basebackup -R). With
// the replica's replay paused, previews, reports and a segment computation
// see the replica's (older) data, and the computation's result is written
// to the primary; after replay resumes a recomputation sees everything;
// with the replica stopped, previews and reports fall back to the primary.
func TestReadReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL with a streaming replica, Redis and a scrm process")
	}
	t.Parallel()
	c := newCluster(t, false)
	f := setupWorkspace(t, c, 2)
	replica := startReplica(t, c.pg)
	rdb, err := sql.Open("postgres", replica.url(c.dbName))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	api := c.serve("api+worker", "api,worker", "DATABASE_REPLICA_URL="+replica.url(c.dbName)+"&application_name=scrm-replica")
	f.signIn(t, api)
	ctx := context.Background()

	const before, after = 300, 200
	ingestFamily(t, []*scrm{api}, f, "repl", "repl", before, 300)
	caughtUp(t, c, rdb)
	if _, err := rdb.Exec(`SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the replica's replay to pause", func() (bool, string) {
		var state string
		if err := rdb.QueryRow(`SELECT pg_get_wal_replay_pause_state()`).Scan(&state); err != nil {
			return false, err.Error()
		}
		return state == "paused", state
	})
	ingestFamily(t, []*scrm{api}, f, "repl2", "repl", after, 200)
	if n := c.scalar(t, `SELECT count(*) FROM leads WHERE tenant_id = $1 AND source = 'repl'`, f.tid); n != before+after {
		t.Fatalf("%d leads on the primary; want %d", n, before+after)
	}

	// Reads go to the paused replica.
	if n := preview(t, api, f); n != before {
		t.Errorf("previewSegment counted %d; want %d, the replica's count", n, before)
	}
	if n := funnelListed(t, api, f); n != before {
		t.Errorf("funnel listed %d; want %d, the replica's count", n, before)
	}
	var sessions int
	if err := rdb.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'scrm-replica'`).Scan(&sessions); err != nil || sessions == 0 {
		t.Errorf("no scrm session on the replica (%d, %v)", sessions, err)
	}
	// A computation reads the replica and writes its result to the primary
	// (the replica refuses writes: a write there would fail the computation).
	var seg struct {
		CreateSegment struct{ ID string } `json:"createSegment"`
	}
	if err := api.gql(ctx, f.admin, `mutation{ createSegment(input: {name: "replicated", rule: {attribute: {key: "source", op: EQ, value: "repl"}}}){ id } }`, nil, &seg); err != nil {
		t.Fatalf("createSegment: %v", err)
	}
	segID, err := gid.Decode(seg.CreateSegment.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitSegment(t, c, segID, 1, before)

	if _, err := rdb.Exec(`SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	caughtUp(t, c, rdb)
	if err := api.gql(ctx, f.admin, `mutation($id: ID!){ refreshSegment(id: $id){ id } }`, map[string]any{"id": seg.CreateSegment.ID}, nil); err != nil {
		t.Fatalf("refreshSegment: %v", err)
	}
	waitSegment(t, c, segID, 2, before+after)
	if n := preview(t, api, f); n != before+after {
		t.Errorf("previewSegment counted %d after replay resumed; want %d", n, before+after)
	}

	// Without the replica, reads fall back to the primary.
	replica.stop("fast")
	if n := preview(t, api, f); n != before+after {
		t.Errorf("previewSegment counted %d with the replica down; want %d from the primary", n, before+after)
	}
	if n := funnelListed(t, api, f); n != before+after {
		t.Errorf("funnel listed %d with the replica down; want %d from the primary", n, before+after)
	}
}

// caughtUp waits until the replica has replayed everything the primary wrote.
func caughtUp(t *testing.T, c *cluster, replica *sql.DB) {
	t.Helper()
	var target string
	if err := c.db.QueryRow(`SELECT pg_current_wal_lsn()::text`).Scan(&target); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the replica to replay up to "+target, func() (bool, string) {
		var behind float64
		if err := replica.QueryRow(`SELECT pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())`, target).Scan(&behind); err != nil {
			return false, err.Error()
		}
		return behind <= 0, fmt.Sprintf("%.0f bytes behind", behind)
	})
}

// waitSegment waits for the segment's version-th computation to be current
// on the primary with members members.
func waitSegment(t *testing.T, c *cluster, id any, version, members int) {
	t.Helper()
	waitFor(t, 60*time.Second, fmt.Sprintf("computation %d of the segment with %d members", version, members), func() (bool, string) {
		var status string
		var v, n int
		err := c.db.QueryRow(`SELECT s.status, coalesce(v.version, 0), s.member_count FROM segments s
			LEFT JOIN segment_versions v ON v.id = s.version_id WHERE s.id = $1`, id).Scan(&status, &v, &n)
		if err != nil {
			return false, err.Error()
		}
		return status == "READY" && v == version && n == members, fmt.Sprintf("%s, version %d, %d members", status, v, n)
	})
}

func preview(t *testing.T, api *scrm, f *workspaceFixture) int {
	t.Helper()
	var r struct {
		PreviewSegment struct{ Count int } `json:"previewSegment"`
	}
	if err := api.gql(context.Background(), f.admin, `{ previewSegment(rule: {attribute: {key: "source", op: EQ, value: "repl"}}){ count } }`, nil, &r); err != nil {
		t.Fatalf("previewSegment: %v", err)
	}
	return r.PreviewSegment.Count
}

// funnelListed is the funnel's first step over the last hour: the leads
// created in it.
func funnelListed(t *testing.T, api *scrm, f *workspaceFixture) int {
	t.Helper()
	var r struct {
		Funnel []struct {
			Steps []struct {
				Step  string
				Count int
			}
		} `json:"funnel"`
	}
	now := time.Now().UTC()
	if err := api.gql(context.Background(), f.admin, `query($from: Time!, $to: Time!){ funnel(from: $from, to: $to){ steps { step count } } }`,
		map[string]any{"from": now.Add(-time.Hour), "to": now.Add(time.Hour)}, &r); err != nil {
		t.Fatalf("funnel: %v", err)
	}
	if len(r.Funnel) != 1 || len(r.Funnel[0].Steps) == 0 {
		t.Fatalf("funnel answered %+v", r.Funnel)
	}
	return r.Funnel[0].Steps[0].Count
}
