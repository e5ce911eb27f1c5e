// Package apitest runs the real api role against a fresh database and Redis
// for end-to-end tests of the GraphQL API, and sends operations to it.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/server"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
)

// Secret signs the test server's tokens.
const Secret = "apitest-secret-0123456789"

// API is a running api role.
type API struct {
	t      testing.TB
	URL    string
	DB     *testenv.Database
	Redis  *testenv.Redis
	Clock  *platform.FakeClock
	Server *httptest.Server
	// Registry holds the api process's metrics.
	Registry *prometheus.Registry
	// Services are the process's services, for tests that drive one step
	// of background work themselves.
	Services *app.Services
	authz    *authz.Service
	queues   asynq.RedisClientOpt
}

// Authz is the authorizer of this api process.
func (a *API) Authz() *authz.Service { return a.authz }

// New starts the api role on a fresh database and Redis.
func New(t testing.TB) *API {
	t.Helper()
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	return Start(t, db, rd, platform.NewFakeClock(platform.SystemClock{}.Now()))
}

// Start runs another api process (same code, own handler and caches) against
// the given database and Redis, as a second server in production would.
func Start(t testing.TB, db *testenv.Database, rd *testenv.Redis, clock *platform.FakeClock) *API {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = platform.NewLogger(testWriter{t}, "debug", "text")
	}
	wctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	// A worker of this process, so background tasks (index builds) run as in production.
	opt := asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}
	queue := asynq.NewClient(opt)
	t.Cleanup(func() { queue.Close() })
	// The outbox and its relay, as every api and worker process runs them.
	outbox := jobs.NewOutbox(db.Client, clock)
	jq := jobs.Queue{Outbox: outbox}
	relay := jobs.NewRelay(outbox, queue, log)
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		relay.Run(wctx)
	}()
	t.Cleanup(func() {
		stop()
		<-relayDone
	})
	svc, err := app.New(context.Background(), app.Config{
		Client: db.Client, DB: db.DB, Redis: rd.Client, Queue: jq, Clock: clock, Log: log,
		Secret: Secret, LoadPolicy: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go svc.Authz.Watch(wctx)
	worker := jobs.NewServer(opt, log, 2)
	mux := asynq.NewServeMux()
	jobs.Register(mux, jobs.Deps{Services: svc, DB: db.DB, Redis: rd.Client, Queue: jq, Log: log})
	if err := worker.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(worker.Shutdown)
	reg := prometheus.NewRegistry()
	h := server.New(server.Deps{Services: svc, DB: db.DB, Redis: rd.Client, Log: log, Registry: reg, Outbox: outbox,
		OpsWorkspace: OpsWorkspace})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &API{t: t, URL: srv.URL, DB: db, Redis: rd, Clock: clock, Server: srv, Registry: reg, Services: svc, authz: svc.Authz, queues: opt}
}

// WaitIdle waits until the background work asked for so far has run: no
// task due in the outbox, none pending, scheduled to retry or running in the
// worker's queues. A test that checks what a request did, with tasks of
// earlier requests (rescoring, assignment) still holding its leads, calls it
// first. It gives up after 20 s with a log line: a task that keeps failing is
// the test's to find, not this wait's.
//
// The outbox and the queues cannot be read in one snapshot: a task can
// write its follow-up to the outbox after the outbox was counted and finish
// before the queues are read, and both reads then find nothing. So idle
// means two rounds in a row found nothing busy and nothing moved between
// them: the same number of outbox rows and of tasks processed (Asynq counts
// a task processed in the same script that takes it off the active list).
func (a *API) WaitIdle() {
	a.t.Helper()
	insp := asynq.NewInspector(a.queues)
	defer insp.Close()
	deadline := time.Now().Add(20 * time.Second)
	logged := map[string]bool{}
	var last [2]int // outbox rows, tasks processed: at the last idle round
	idle := false
	for {
		var due, rows int
		err := a.DB.DB.QueryRow(`SELECT count(*) FILTER (WHERE sent_at IS NULL AND attempts < $1 AND (process_at IS NULL OR process_at <= $2)), count(*)
			FROM outbox_tasks`, jobs.MaxRelayAttempts, a.Clock.Now()).Scan(&due, &rows)
		if err != nil {
			a.t.Fatal(err)
		}
		busy, processed := due, 0
		queues, err := insp.Queues()
		if err != nil {
			a.t.Fatal(err)
		}
		for _, q := range queues {
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				a.t.Fatal(err)
			}
			busy += info.Pending + info.Active + info.Retry
			processed += info.ProcessedTotal
			if info.Retry > 0 {
				a.logRetries(insp, q, logged)
			}
		}
		now := [2]int{rows, processed}
		if busy == 0 && idle && now == last {
			return
		}
		idle, last = busy == 0, now
		if time.Now().After(deadline) {
			a.t.Logf("apitest: background work still busy after 20 s (%d tasks)", busy)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logRetries logs, once each, the tasks of queue q waiting to be retried
// and the error they failed with: a test that finds background work undone
// after WaitIdle reads here which task failed and why.
func (a *API) logRetries(insp *asynq.Inspector, q string, logged map[string]bool) {
	tasks, err := insp.ListRetryTasks(q)
	if err != nil {
		a.t.Logf("apitest: list retry tasks of %s: %v", q, err)
		return
	}
	for _, t := range tasks {
		if key := t.ID + "/" + strconv.Itoa(t.Retried); !logged[key] {
			logged[key] = true
			a.t.Logf("apitest: task %s (%s) failed %d times, retry at %s: %s", t.Type, t.ID, t.Retried, t.NextProcessAt.Format(time.TimeOnly), t.LastErr)
		}
	}
}

// OpsWorkspace is the slug of the operators' workspace of every test server:
// the admins of a workspace created with this slug may open /ops/queues.
const OpsWorkspace = "ops"

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// Workspace creates a workspace with an admin and returns the admin's token.
func (a *API) Workspace(slug string) (*workspace.Created, string) {
	a.t.Helper()
	c, err := workspace.Create(context.Background(), a.DB.Client, workspace.Spec{
		Slug: slug, Name: "Workspace " + slug, AdminName: "Admin " + slug,
		AdminEmail: "admin@" + slug + ".test", AdminPassword: "password-" + slug,
	})
	if err != nil {
		a.t.Fatalf("create workspace %s: %v", slug, err)
	}
	return c, a.Login(slug, "admin@"+slug+".test", "password-"+slug)
}

// Login signs in and returns the token.
func (a *API) Login(ws, email, password string) string {
	a.t.Helper()
	var out struct {
		Login struct{ Token string }
	}
	a.MustDo("", `mutation($w:String!,$e:String!,$p:String!){ login(input:{workspace:$w,email:$e,password:$p}){ token } }`,
		map[string]any{"w": ws, "e": email, "p": password}, &out)
	return out.Login.Token
}

// Error is one GraphQL error of a response.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Field returns extensions.field.
func (e Error) Field() string { s, _ := e.Extensions["field"].(string); return s }

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Do sends one operation with token (empty for none).
func (a *API) Do(token, query string, vars map[string]any) Response {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return a.Raw(token, "application/json", body)
}

// Raw posts a raw body to /graphql.
func (a *API) Raw(token, contentType string, body []byte) Response {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("POST /graphql: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		a.t.Fatalf("response is not JSON (status %d): %s", res.StatusCode, raw)
	}
	r.Status = res.StatusCode
	return r
}

// Statements returns the SQL statements of /graphql requests so far
// (scrm_sql_statements_per_request); the difference across one request is
// that request's count.
func (a *API) Statements() int {
	a.t.Helper()
	sum, _ := a.StatementsAndRequests()
	return sum
}

// StatementsAndRequests returns the SQL statements of /graphql requests so
// far and how many requests they were (the histogram's sum and count), so a
// caller can tell when a request it cannot wait for (a socket's) was seen.
func (a *API) StatementsAndRequests() (sum, count int) {
	a.t.Helper()
	mfs, err := a.Registry.Gather()
	if err != nil {
		a.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "scrm_sql_statements_per_request" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && l.GetValue() == "/graphql" {
					return int(m.GetHistogram().GetSampleSum()), int(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return 0, 0
}

// WaitRefreshes returns once the process's background reads of cached
// users and schemas have finished.
func (a *API) WaitRefreshes() {
	if a.Services.Auth != nil {
		a.Services.Auth.WaitRefreshes()
	}
	a.Services.Fields.WaitRefreshes()
}

// MustDo sends an operation, fails the test on any error, and decodes data into out.
func (a *API) MustDo(token, query string, vars map[string]any, out any) {
	a.t.Helper()
	r := a.Do(token, query, vars)
	if len(r.Errors) > 0 {
		a.t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			a.t.Fatalf("decode data: %v: %s", err, r.Data)
		}
	}
}
