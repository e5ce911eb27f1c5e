package leads

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/internal/testenv"
)

// TestMatchAndMergeReadKeysNotTheWorkspace runs the match of 3,000 keys
// and the duplicates statement of 200 leads against a workspace of 30,000
// never-analyzed leads (as a workspace being imported is) and checks, from
// EXPLAIN ANALYZE, that they read about one lead per key or record: under
// these statistics the planner chose a scan of the workspace for both
// before (30,000 leads read).
func TestMatchAndMergeReadKeysNotTheWorkspace(t *testing.T) {
	db := testenv.NewDatabase(t)
	ctx := context.Background()
	tid := uuid.New()
	if _, err := db.DB.ExecContext(ctx, `INSERT INTO leads (id, tenant_id, created_at, updated_at, seq, name, phone, email, attributes, reachable)
		SELECT gen_random_uuid(), $1, now(), now(), g, 'n' || g, '+86138' || lpad(g::text, 8, '0'), 'u' || g || '@example.com', '{}', '[]'
		FROM generate_series(1, 30000) g`, tid); err != nil {
		t.Fatal(err)
	}
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
		t.Fatal(err)
	}
	// leadsRead runs query under EXPLAIN ANALYZE and returns how many rows
	// its plan nodes on leads read (returned or filtered out, all loops).
	leadsRead := func(name, query string, args ...any) float64 {
		t.Helper()
		var raw []byte
		if err := tx.QueryRowContext(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+query, args...).Scan(&raw); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []struct{ Plan planNode }
		if err := json.Unmarshal(raw, &plan); err != nil {
			t.Fatal(err)
		}
		return plan[0].Plan.leadsRead()
	}
	var phones, emails pq.StringArray
	for i := range 1500 {
		phones = append(phones, fmt.Sprintf("+86138%08d", 29000+i)) // 1,001 of them exist
		emails = append(emails, fmt.Sprintf("u%d@example.com", 29500+i))
	}
	if n := leadsRead("match", matchSQL, tid, nil, nil, phones, emails, nil); n > 3000 {
		t.Errorf("the match of 3,000 keys read %.0f leads; want a probe per key, not a scan of the workspace", n)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, ctid::text FROM leads WHERE tenant_id = $1 AND seq % 150 = 7 FOR UPDATE`, tid)
	if err != nil {
		t.Fatal(err)
	}
	var recs []mergedLead
	for rows.Next() {
		m := mergedLead{newLead: &newLead{person: person{Name: "merged"}, Attributes: map[string]any{}, Reachable: []string{}}}
		if err := rows.Scan(&m.ID, &m.Ctid); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	param, err := jsonParam(recs)
	if err != nil {
		t.Fatal(err)
	}
	if n := leadsRead("merge", mergeSQL, tid, "2026-12-04T00:00:00Z", param, "[]", "[]"); n > 2*float64(len(recs)) {
		t.Errorf("the merge of %d leads read %.0f leads; want a TID probe per lead, not a scan of the workspace", len(recs), n)
	}
	var merged int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM leads WHERE tenant_id = $1 AND name = 'merged'`, tid).Scan(&merged); err != nil || merged != len(recs) {
		t.Fatalf("merged %d leads of %d (%v)", merged, len(recs), err)
	}
}

// planNode is a node of EXPLAIN (ANALYZE, FORMAT JSON).
type planNode struct {
	Relation string     `json:"Relation Name"`
	Rows     float64    `json:"Actual Rows"`
	Loops    float64    `json:"Actual Loops"`
	Filtered float64    `json:"Rows Removed by Filter"`
	Recheck  float64    `json:"Rows Removed by Index Recheck"`
	Plans    []planNode `json:"Plans"`
}

// leadsRead is the rows that the nodes on leads under n read.
func (n planNode) leadsRead() float64 {
	var sum float64
	if n.Relation == "leads" {
		sum = (n.Rows + n.Filtered + n.Recheck) * n.Loops // per-loop averages
	}
	for _, c := range n.Plans {
		sum += c.leadsRead()
	}
	return sum
}
