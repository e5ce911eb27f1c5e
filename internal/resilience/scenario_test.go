package resilience

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/assignmentrule"
	entpool "github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/plugins/webhook"
)

// The workspace every scenario uses: an admin, reps, a default pool that
// recycles after 10 days without a follow-up and has no cooldown,
// protection or daily limit, and a round-robin rule that assigns leads of
// source "web" to the first four reps (leads of other sources stay in the
// pool for claims).

const (
	wsSlug       = "acme"
	adminEmail   = "admin@acme.test"
	userPassword = "password-123"
	hookSecret   = "resilience-webhook-secret-01"
	assignedReps = 4
)

// workspaceFixture is the workspace of a scenario.
type workspaceFixture struct {
	tid       uuid.UUID
	ctx       context.Context // tenant context for direct reads
	reps      []uuid.UUID
	emails    []string
	admin     string   // admin token
	repTokens []string // per rep
}

// setupWorkspace creates the workspace directly in the database (before
// any process starts, so every process loads its policies).
func setupWorkspace(t testing.TB, c *cluster, reps int) *workspaceFixture {
	t.Helper()
	ctx := context.Background()
	w, err := workspace.Create(ctx, c.client, workspace.Spec{Slug: wsSlug, Name: "Acme", AdminName: "Admin",
		AdminEmail: adminEmail, AdminPassword: userPassword, Timezone: "Asia/Shanghai"})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	f := &workspaceFixture{tid: w.Workspace.ID, ctx: tenant.NewContext(ctx, w.Workspace.ID)}
	big := 1_000_000
	for i := range reps {
		email := fmt.Sprintf("rep%d@acme.test", i+1)
		u, err := org.New(c.client).CreateUser(f.ctx, org.UserInput{Name: fmt.Sprintf("Rep %d", i+1), Email: email,
			Password: userPassword, Roles: []string{"rep"}, Capacity: &big, DailyClaimLimit: &big})
		if err != nil {
			t.Fatalf("create rep: %v", err)
		}
		f.reps = append(f.reps, u.ID)
		f.emails = append(f.emails, email)
	}
	if err := c.client.Pool.Update().Where(entpool.IsDefault(true)).SetCooldownDays(0).SetProtectionDays(0).
		SetRecycleNoFollowUpDays(10).ClearRecycleNoDealDays().ClearRemindBeforeDays().ClearDailyClaimLimit().
		Exec(f.ctx); err != nil {
		t.Fatalf("default pool: %v", err)
	}
	name, cond, strategy := "web round robin", `lead.source == "web"`, assignmentrule.StrategyROUND_ROBIN
	var targets []assign.TargetSpec
	for _, id := range f.reps[:min(assignedReps, reps)] {
		targets = append(targets, assign.TargetSpec{UserID: id, Weight: 1})
	}
	if _, err := (&assign.Engine{Client: c.client}).CreateRule(f.ctx, assign.RulePatch{Name: &name, Condition: &cond, Strategy: &strategy, Targets: targets}); err != nil {
		t.Fatalf("assignment rule: %v", err)
	}
	return f
}

// signIn logs the admin and every rep in through api.
func (f *workspaceFixture) signIn(t testing.TB, api *scrm) {
	t.Helper()
	f.admin = api.login(t, wsSlug, adminEmail, userPassword)
	f.repTokens = nil
	for _, e := range f.emails {
		f.repTokens = append(f.repTokens, api.login(t, wsSlug, e, userPassword))
	}
}

// ingestResult is the answer of POST /v1/leads:ingest.
type ingestResult struct {
	Created  int  `json:"created"`
	Merged   int  `json:"merged"`
	Rejected int  `json:"rejected"`
	Replayed bool `json:"replayed"`
}

// families keeps the phone numbers of each family of rows apart (leads with
// equal phones merge).
var families = map[string]string{"web": "139", "expo": "138", "queued": "137", "outage": "136", "kill": "135", "send": "134",
	"aged": "133", "bcast": "132", "final": "131", "repl": "150", "repl2": "151", "lost": "152", "lostgql": "153"}

// leadRows makes n distinct rows of a family, numbered from first, with
// source src ("web" leads are assigned by the rule, others stay in the pool).
func leadRows(family, src string, first, n int) []map[string]any {
	rows := make([]map[string]any, n)
	for i := range rows {
		k := first + i
		rows[i] = map[string]any{"name": fmt.Sprintf("%s lead %d", family, k), "phone": fmt.Sprintf("+86%s%08d", families[family], k),
			"source": src, "externalID": fmt.Sprintf("%s-%d", family, k)}
	}
	return rows
}

// ingestREST posts rows to /v1/leads:ingest with an idempotency key.
func ingestREST(ctx context.Context, api *scrm, token, key string, rows []map[string]any) (ingestResult, error) {
	var r ingestResult
	_, err := api.post(ctx, token, "/v1/leads:ingest", map[string]string{"Idempotency-Key": key}, map[string]any{"leads": rows}, &r)
	return r, err
}

// ingestGraphQL sends rows through the ingestLeads mutation.
func ingestGraphQL(ctx context.Context, api *scrm, token, key string, rows []map[string]any) (ingestResult, error) {
	var r struct {
		IngestLeads ingestResult `json:"ingestLeads"`
	}
	err := api.gql(ctx, token, `mutation($in: IngestLeadsInput!){ ingestLeads(input: $in){ created merged rejected } }`,
		map[string]any{"in": map[string]any{"leads": rows, "idempotencyKey": key}}, &r)
	return r.IngestLeads, err
}

// claimResult is what claimLeads answered.
type claimResult struct {
	Claimed  []struct{ ID string } `json:"claimed"`
	Failures []struct {
		LeadID string `json:"leadID"`
		Code   string `json:"code"`
	} `json:"failures"`
}

func claim(ctx context.Context, api *scrm, token string, ids []string) (claimResult, error) {
	var r struct {
		ClaimLeads claimResult `json:"claimLeads"`
	}
	err := api.gql(ctx, token, `mutation($ids:[ID!]!){ claimLeads(ids:$ids){ claimed { id } failures { leadID code } } }`,
		map[string]any{"ids": ids}, &r)
	return r.ClaimLeads, err
}

// recyclePools runs the recyclePools mutation: how many leads it recycled.
func recyclePools(ctx context.Context, api *scrm, token string) (int, error) {
	var r struct {
		RecyclePools struct{ Recycled int } `json:"recyclePools"`
	}
	err := api.gql(ctx, token, `mutation{ recyclePools { recycled } }`, nil, &r)
	return r.RecyclePools.Recycled, err
}

// leadIDs lists the opaque ids of the workspace's active leads of source src.
func (c *cluster) leadIDs(t testing.TB, tid uuid.UUID, src string) []string {
	t.Helper()
	rows, err := c.db.Query(`SELECT id FROM leads WHERE tenant_id = $1 AND source = $2 AND status = 'ACTIVE' ORDER BY id`, tid, src)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, gid.Encode(id))
	}
	return out
}

// ---- the webhook receiver ----

// receiver is the webhook endpoint of the test: it checks signatures and
// counts messages per idempotency key. hold, when set, makes the request
// with that sequence number (1-based) wait until release is closed.
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	perKey  map[string]int
	perLead map[string]map[string]bool
	total   int
	bad     int

	holdAt  int
	held    chan struct{} // closed when the held request arrived
	release chan struct{}
}

func newReceiver(t testing.TB) *receiver {
	t.Helper()
	r := &receiver{perKey: map[string]int{}, perLead: map[string]map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		r.mu.Lock()
		if r.release != nil {
			select {
			case <-r.release:
			default:
				close(r.release)
			}
		}
		r.mu.Unlock()
		r.srv.Close()
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if webhook.Verify(hookSecret, req.Header, body, time.Now(), 5*time.Minute) != nil {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m struct {
		LeadID string `json:"leadID"`
	}
	_ = json.Unmarshal(body, &m)
	key := req.Header.Get(webhook.HeaderIdempotencyKey)
	r.mu.Lock()
	r.total++
	n := r.total
	r.perKey[key]++
	if r.perLead[m.LeadID] == nil {
		r.perLead[m.LeadID] = map[string]bool{}
	}
	r.perLead[m.LeadID][key] = true
	hold, held, release := r.holdAt, r.held, r.release
	r.mu.Unlock()
	if hold > 0 && n == hold {
		close(held)
		<-release
	}
	w.WriteHeader(http.StatusOK)
}

// holdRequest makes the n-th request (counted from now on) wait for the
// returned release function.
func (r *receiver) holdRequest(n int) (held <-chan struct{}, release func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holdAt = r.total + n
	r.held = make(chan struct{})
	r.release = make(chan struct{})
	rel := r.release
	var once sync.Once
	return r.held, func() { once.Do(func() { close(rel) }) }
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// ---- invariants ----

// checkOwnership checks, with SQL, that every lead's owner agrees with its
// OwnerChange history: each change starts from the owner the previous one
// left, and the last one leaves the lead's current owner.
func checkOwnership(t testing.TB, c *cluster, tid uuid.UUID) {
	t.Helper()
	broken := c.scalar(t, `SELECT count(*) FROM (
		SELECT lead_id, from_user_id, lag(to_user_id) OVER w AS prev_to, row_number() OVER w AS n
		FROM owner_changes WHERE tenant_id = $1 WINDOW w AS (PARTITION BY lead_id ORDER BY at, id)) x
		WHERE n > 1 AND from_user_id IS DISTINCT FROM prev_to`, tid)
	if broken > 0 {
		t.Errorf("%d owner changes do not start from the owner the previous change left", broken)
	}
	disagree := c.scalar(t, `SELECT count(*) FROM leads l JOIN LATERAL (
		SELECT to_user_id FROM owner_changes oc WHERE oc.tenant_id = l.tenant_id AND oc.lead_id = l.id
		ORDER BY at DESC, id DESC LIMIT 1) last ON true
		WHERE l.tenant_id = $1 AND l.owner_id IS DISTINCT FROM last.to_user_id`, tid)
	if disagree > 0 {
		t.Errorf("%d leads have an owner other than the one their last owner change gave them", disagree)
	}
	unexplained := c.scalar(t, `SELECT count(*) FROM leads l WHERE l.tenant_id = $1 AND l.owner_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM owner_changes oc WHERE oc.tenant_id = l.tenant_id AND oc.lead_id = l.id)`, tid)
	if unexplained > 0 {
		t.Errorf("%d owned leads have no owner change", unexplained)
	}
}

// checkDeliveries checks one broadcast's delivery rows against what the
// receiver got: one row per member, all delivered, each row's id received
// as an idempotency key, no key received for another row, and a key
// received more than once at most maxRepeats times in all.
func checkDeliveries(t testing.TB, c *cluster, r *receiver, tid, broadcastID uuid.UUID, members, maxRepeats int) {
	t.Helper()
	if n := c.scalar(t, `SELECT count(*) FROM deliveries WHERE tenant_id = $1 AND broadcast_id = $2`, tid, broadcastID); n != members {
		t.Errorf("%d delivery rows; want one per member (%d)", n, members)
	}
	if n := c.scalar(t, `SELECT count(*) FROM (SELECT lead_id FROM deliveries WHERE tenant_id = $1 AND broadcast_id = $2
		GROUP BY lead_id HAVING count(*) > 1) x`, tid, broadcastID); n > 0 {
		t.Errorf("%d leads have more than one delivery row", n)
	}
	if n := c.scalar(t, `SELECT count(*) FROM deliveries WHERE tenant_id = $1 AND broadcast_id = $2 AND status <> 'DELIVERED'`, tid, broadcastID); n > 0 {
		t.Errorf("%d delivery rows are not DELIVERED", n)
	}
	rows, err := c.db.Query(`SELECT id, lead_id FROM deliveries WHERE tenant_id = $1 AND broadcast_id = $2`, tid, broadcastID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string]string{}
	for rows.Next() {
		var id, lead uuid.UUID
		if err := rows.Scan(&id, &lead); err != nil {
			t.Fatal(err)
		}
		want[id.String()] = lead.String()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bad > 0 {
		t.Errorf("the receiver refused %d requests with a bad signature", r.bad)
	}
	repeats := 0
	var missing, unknown []string
	for id := range want {
		if r.perKey[id] == 0 {
			missing = append(missing, id)
		}
	}
	for key, n := range r.perKey {
		if _, ok := want[key]; !ok {
			unknown = append(unknown, key)
		}
		repeats += n - 1
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d delivery rows never reached the receiver (first %s)", len(missing), missing[0])
	}
	if len(unknown) > 0 {
		t.Errorf("the receiver got %d keys that are no delivery row of the broadcast", len(unknown))
	}
	for lead, keys := range r.perLead {
		if len(keys) > 1 {
			t.Errorf("lead %s got %d different messages", lead, len(keys))
		}
	}
	if repeats > maxRepeats {
		t.Errorf("%d repeated deliveries of a key; at most %d allowed", repeats, maxRepeats)
	}
	t.Logf("broadcast: %d rows, %d requests received, %d repeated keys", len(want), r.total, repeats)
}

// waitBroadcast waits for the broadcast to be DONE.
func waitBroadcast(t testing.TB, c *cluster, tid, id uuid.UUID, d time.Duration) {
	t.Helper()
	waitFor(t, d, "the broadcast to be DONE", func() (bool, string) {
		var status string
		var pending int
		err := c.db.QueryRow(`SELECT b.status, (SELECT count(*) FROM deliveries d WHERE d.tenant_id = b.tenant_id AND d.broadcast_id = b.id
			AND d.status IN ('PENDING', 'SENDING')) FROM broadcasts b WHERE b.tenant_id = $1 AND b.id = $2`, tid, id).Scan(&status, &pending)
		if err != nil {
			return false, err.Error()
		}
		return status == "DONE", fmt.Sprintf("status %s, %d rows to send", status, pending)
	})
}

// createBroadcast configures the webhook channel to r, creates a static
// segment of the leads of source src, waits for its members, and creates a
// broadcast to it through api: the broadcast's id.
func createBroadcast(t testing.TB, c *cluster, api *scrm, f *workspaceFixture, r *receiver, src string, members, rate int) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	if err := api.gql(ctx, f.admin, `mutation($c: JSON!){ configureChannel(key: "webhook", config: $c, enabled: true){ key } }`,
		map[string]any{"c": map[string]any{"url": r.srv.URL, "secret": hookSecret, "maxAttempts": 1}}, nil); err != nil {
		t.Fatalf("configureChannel: %v", err)
	}
	var seg struct {
		CreateSegment struct{ ID string } `json:"createSegment"`
	}
	if err := api.gql(ctx, f.admin, `mutation($n: String!, $v: JSON!){ createSegment(input: {name: $n, kind: STATIC,
		rule: {attribute: {key: "source", op: EQ, value: $v}}}){ id } }`, map[string]any{"n": "source " + src + " " + uuid.NewString()[:8], "v": src}, &seg); err != nil {
		t.Fatalf("createSegment: %v", err)
	}
	segID, err := gid.Decode(seg.CreateSegment.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, fmt.Sprintf("the segment to be computed with %d members", members), func() (bool, string) {
		var n int
		err := c.db.QueryRow(`SELECT coalesce((SELECT member_count FROM segments WHERE tenant_id = $1 AND id = $2 AND status = 'READY'), -1)`, f.tid, segID).Scan(&n)
		if err != nil {
			return false, err.Error()
		}
		return n == members, fmt.Sprintf("%d members", n)
	})
	var b struct {
		CreateBroadcast struct{ ID string } `json:"createBroadcast"`
	}
	if err := api.gql(ctx, f.admin, `mutation($s: ID!, $rate: Int!){ createBroadcast(input: {name: "resilience", segmentID: $s,
		channel: "webhook", template: "hello {{.name}}", ratePerSecond: $rate}){ id } }`,
		map[string]any{"s": seg.CreateSegment.ID, "rate": rate}, &b); err != nil {
		t.Fatalf("createBroadcast: %v", err)
	}
	id, err := gid.Decode(b.CreateBroadcast.ID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// shuffled returns a random permutation of ids (seeded: reproducible).
func shuffled(ids []string, seed uint64) []string {
	out := append([]string(nil), ids...)
	r := rand.New(rand.NewPCG(seed, 7))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// apiOf alternates requests between the api processes.
func apiOf(apis []*scrm, i int) *scrm { return apis[i%len(apis)] }

var _ = strings.Contains
var _ = ent.IsNotFound
