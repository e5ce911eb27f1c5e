package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
	"github.com/scrmhq/scrm/plugins/webhook"
)

// killEnv is what the tests that SIGKILL worker processes share: the scrm
// binary, a database and Redis of their own, a workspace (ctx is in it),
// the services built as the api builds them with the outbox as their queue,
// an Asynq client for what the scheduler would enqueue, and a way to start
// workers.
type killEnv struct {
	t        *testing.T
	bin      string
	db       *testenv.Database
	rd       *testenv.Redis
	secret   string
	ws       *workspace.Created
	ctx      context.Context
	services *app.Services
	asynq    *asynq.Client
}

// newKillEnv sets up a killEnv whose processes share secret (SCRM_SECRET);
// it skips in -short mode.
func newKillEnv(t *testing.T, secret string) *killEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("runs worker processes")
	}
	e := &killEnv{t: t, bin: buildBinary(t), db: testenv.NewDatabase(t), rd: testenv.NewRedis(t), secret: secret}
	ctx := context.Background()
	w, err := workspace.Create(ctx, e.db.Client, workspace.Spec{Slug: "acme", Name: "Acme", AdminName: "a",
		AdminEmail: "a@acme.test", AdminPassword: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	e.ws, e.ctx = w, tenant.NewContext(ctx, w.Workspace.ID)
	// Tasks wait in the outbox until a worker's relay hands them over.
	e.services, err = app.New(e.ctx, app.Config{Client: e.db.Client, DB: e.db.DB, Secret: secret,
		Queue: jobs.Queue{Outbox: jobs.NewOutbox(e.db.Client, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	e.asynq = asynq.NewClient(asynq.RedisClientOpt{Addr: e.rd.Addr, DB: e.rd.DB})
	t.Cleanup(func() { _ = e.asynq.Close() })
	return e
}

// leads creates n leads of source "expo" named "lead <i>"; shape, when
// set, adds to each.
func (e *killEnv) leads(n int, shape func(i int, c *ent.LeadCreate)) []*ent.Lead {
	e.t.Helper()
	first, err := workspace.NextLeadSeq(e.ctx, e.db.Client, e.ws.Workspace.ID, n)
	if err != nil {
		e.t.Fatal(err)
	}
	bulk := make([]*ent.LeadCreate, n)
	for i := range n {
		bulk[i] = e.db.Client.Lead.Create().SetSeq(first + int64(i)).SetName(fmt.Sprintf("lead %d", i)).SetSource("expo")
		if shape != nil {
			shape(i, bulk[i])
		}
	}
	// In chunks: one INSERT carries at most 65,535 parameters.
	out := make([]*ent.Lead, 0, n)
	for start := 0; start < n; start += 2000 {
		out = append(out, e.db.Client.Lead.CreateBulk(bulk[start:min(start+2000, n)]...).SaveX(e.ctx)...)
	}
	return out
}

// worker starts `scrm serve --roles worker` with extra flags; its output
// is returned, and it is killed when the test ends.
func (e *killEnv) worker(flags ...string) (*exec.Cmd, *output) {
	e.t.Helper()
	out := &output{}
	cmd := exec.Command(e.bin, append([]string{"serve", "--roles", "worker"}, flags...)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+e.db.URL, "REDIS_URL="+e.rd.URL, "SCRM_SECRET="+e.secret)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, out
}

// output is a worker process's output, read by the test while the process
// writes it.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Contains reports whether the output so far has s.
func (o *output) Contains(s string) bool { return strings.Contains(o.String(), s) }

// waitFor waits until each worker's output has s (a log line's message).
func (e *killEnv) waitFor(s string, outs ...*output) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, o := range outs {
		for !o.Contains(s) {
			if time.Now().After(deadline) {
				e.t.Fatalf("no %q from a worker in 60 s:\n%s", s, o)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// kill SIGKILLs a worker and waits until it is gone.
func (e *killEnv) kill(cmd *exec.Cmd) {
	e.t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		e.t.Fatal(err)
	}
	_ = cmd.Wait()
}

// enqueue puts a task straight on Asynq, as the scheduler does.
func (e *killEnv) enqueue(typ string, payload []byte, opts ...asynq.Option) {
	e.t.Helper()
	if _, err := e.asynq.Enqueue(asynq.NewTask(typ, payload), opts...); err != nil {
		e.t.Fatal(err)
	}
}

// hookReceiver is a webhook receiver that checks signatures and counts the
// messages per idempotency key and the keys per lead.
type hookReceiver struct {
	URL      string
	mu       sync.Mutex
	perKey   map[string]int
	perLead  map[string]map[string]bool
	received int
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	h := &hookReceiver{perKey: map[string]int{}, perLead: map[string]map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute) != nil {
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m struct{ LeadID string }
		_ = json.Unmarshal(body, &m)
		key := r.Header.Get(webhook.HeaderIdempotencyKey)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.perKey[key]++
		if h.perLead[m.LeadID] == nil {
			h.perLead[m.LeadID] = map[string]bool{}
		}
		h.perLead[m.LeadID][key] = true
		h.received++
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// count is how many messages arrived; keys how many distinct keys.
func (h *hookReceiver) count() (messages, keys int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.received, len(h.perKey)
}

// repeats is how many messages repeated a key already received.
func (h *hookReceiver) repeats() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.perKey {
		n += c - 1
	}
	return n
}

// keysOf is how many distinct keys lead received; leads how many leads got any.
func (h *hookReceiver) keysOf(lead string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.perLead[lead])
}

func (h *hookReceiver) leads() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.perLead)
}
