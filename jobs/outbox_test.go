package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/outboxtask"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/jobs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// runRelay runs a relay from o to client until the test ends.
func runRelay(t *testing.T, o *jobs.Outbox, client *asynq.Client) *jobs.Relay {
	t.Helper()
	r := jobs.NewRelay(o, client, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return r
}

// asynqClient is a client of the test's Redis, closed when the test ends
// (after the relays registered later have stopped).
func asynqClient(t *testing.T, rd *testenv.Redis) (*asynq.Client, *asynq.Inspector) {
	t.Helper()
	opt := asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}
	c, insp := asynq.NewClient(opt), asynq.NewInspector(opt)
	t.Cleanup(func() {
		_ = c.Close()
		_ = insp.Close()
	})
	return c, insp
}

// outboxRows counts the outbox rows, and those not yet sent.
func outboxRows(t *testing.T, db *testenv.Database) (all, unsent int) {
	t.Helper()
	ctx := tenant.System(context.Background())
	all, err := db.Client.OutboxTask.Query().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unsent, err = db.Client.OutboxTask.Query().Where(outboxtask.SentAtIsNil()).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return all, unsent
}

// waitFor polls cond every 20ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(d)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s (last seen: %s)", d, what, seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOutboxWritesInTheCallersTransaction: a task asked for inside a
// transaction exists only if the transaction commits; without one it is
// written at once.
func TestOutboxWritesInTheCallersTransaction(t *testing.T) {
	db, ctx, clock := fixture(t)
	tid, _ := tenant.FromContext(ctx)
	q := jobs.Queue{Outbox: jobs.NewOutbox(db.Client, clock)}
	lead := []uuid.UUID{uuid.New()}

	inTx := func(commit bool) {
		t.Helper()
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.LeadsChanged(ent.NewTxContext(ctx, tx), tid, lead); err != nil {
			t.Fatal(err)
		}
		// Not visible outside the transaction before it ends.
		if all, _ := outboxRows(t, db); all != 0 {
			t.Fatalf("%d rows visible outside an open transaction", all)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	inTx(false)
	if all, _ := outboxRows(t, db); all != 0 {
		t.Fatalf("%d outbox rows after a rollback; want 0", all)
	}
	inTx(true)
	if all, unsent := outboxRows(t, db); all != 1 || unsent != 1 {
		t.Fatalf("%d rows (%d unsent) after a commit; want 1 unsent", all, unsent)
	}
	if err := q.LeadsChanged(ctx, tid, lead); err != nil {
		t.Fatal(err)
	}
	if all, _ := outboxRows(t, db); all != 2 {
		t.Fatalf("%d rows after an enqueue without a transaction; want 2", all)
	}
	row, err := db.Client.OutboxTask.Query().Order(outboxtask.ByCreatedAt()).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if row.TenantID != tid || row.TaskType != jobs.TypeLeadsScore || row.MaxRetry == nil || *row.MaxRetry != 10 ||
		!row.CreatedAt.Equal(clock.Now()) {
		t.Errorf("row = %+v", row)
	}
	// An option the relay could not carry is refused, not dropped.
	err = jobs.NewOutbox(db.Client, clock).Add(ctx, tid, asynq.NewTask("x:y", nil), asynq.Unique(time.Minute))
	if !errors.Is(err, jobs.ErrOption) {
		t.Errorf("Unique through the outbox: %v; want ErrOption", err)
	}
	// The others are kept; ProcessIn becomes a wall-clock time.
	before := time.Now()
	err = jobs.NewOutbox(db.Client, clock).Add(ctx, tid, asynq.NewTask("x:opts", []byte("p")), asynq.Queue("low"),
		asynq.TaskID("x:1"), asynq.MaxRetry(3), asynq.Timeout(90*time.Second), asynq.Retention(time.Hour),
		asynq.ProcessIn(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	row, err = db.Client.OutboxTask.Query().Where(outboxtask.TaskType("x:opts")).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := val(row.ProcessAt)
	if row.Queue != "low" || val(row.TaskID) != "x:1" || val(row.MaxRetry) != 3 || val(row.TimeoutSeconds) != 90 ||
		val(row.RetentionSeconds) != 3600 || at.Before(before.Add(time.Minute)) || at.After(time.Now().Add(time.Minute)) ||
		string(row.Payload) != "p" {
		t.Errorf("row with options = %+v", row)
	}
}

// TestRelaysHandEachTaskOnce: two relays (two processes) drain the same
// outbox concurrently; every task reaches Asynq once and is marked sent
// once, with the options it was written with.
func TestRelaysHandEachTaskOnce(t *testing.T) {
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	client, insp := asynqClient(t, rd)
	clock := platform.SystemClock{}
	ctx := context.Background()
	const n = 1000
	tid := uuid.New()
	writer := jobs.Queue{Outbox: jobs.NewOutbox(db.Client, clock)}
	for i := range n / 2 {
		if err := writer.LeadsChanged(ctx, tid, []uuid.UUID{uuid.New()}); err != nil {
			t.Fatal(err)
		}
		if err := writer.RescoreWorkspace(ctx, uuid.New()); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	a := runRelay(t, jobs.NewOutbox(db.Client, clock), client)
	b := runRelay(t, jobs.NewOutbox(db.Client, clock), asynq.NewClient(asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}))
	waitFor(t, 30*time.Second, "every row to be sent", func() (bool, string) {
		_, unsent := outboxRows(t, db)
		return unsent == 0, fmt.Sprintf("%d unsent", unsent)
	})
	if got := a.Relayed() + b.Relayed(); got != n {
		t.Errorf("the relays marked %d+%d = %d tasks sent; want %d (each once)", a.Relayed(), b.Relayed(), got, n)
	}
	t.Logf("relay a handed %d, relay b %d", a.Relayed(), b.Relayed())
	for queue, want := range map[string]int{"default": n / 2, "low": n / 2} {
		info, err := insp.GetQueueInfo(queue)
		if err != nil {
			t.Fatal(err)
		}
		if info.Pending != want {
			t.Errorf("queue %s: %d pending; want %d", queue, info.Pending, want)
		}
	}
	tasks, err := insp.ListPendingTasks("low", asynq.PageSize(1))
	if err != nil || len(tasks) != 1 {
		t.Fatal(tasks, err)
	}
	if tk := tasks[0]; tk.Type != jobs.TypeScoringWorkspace || tk.MaxRetry != 5 || tk.Timeout != 2*time.Hour {
		t.Errorf("task = %s max_retry %d timeout %s; want the options of RescoreWorkspace", tk.Type, tk.MaxRetry, tk.Timeout)
	}
	if _, err := uuid.Parse(tasks[0].ID); err != nil {
		t.Errorf("task id %q is not the outbox row's id", tasks[0].ID)
	}
}

// TestRelayKeepsTasksThroughARedisOutage: a relay whose Redis does not
// answer (a closed port) leaves the rows unsent and unpenalised, backs off,
// and hands them over once Redis answers on that port.
func TestRelayKeepsTasksThroughARedisOutage(t *testing.T) {
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	_, insp := asynqClient(t, rd)
	ctx := context.Background()
	addr := closedPort(t)
	down := asynq.NewClient(asynq.RedisClientOpt{Addr: addr, DB: rd.DB, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = down.Close() })
	outbox := jobs.NewOutbox(db.Client, platform.SystemClock{})
	q := jobs.Queue{Outbox: outbox}
	tid := uuid.New()
	for range 3 {
		if err := q.LeadsChanged(ctx, tid, []uuid.UUID{uuid.New()}); err != nil {
			t.Fatal(err)
		}
	}
	relay := jobs.NewRelay(outbox, down, quiet)
	if _, err := relay.Pass(ctx); err == nil {
		t.Fatal("a pass with Redis down succeeded")
	}
	rows, err := db.Client.OutboxTask.Query().All(tenant.System(ctx))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.SentAt != nil || r.Attempts != 0 {
			t.Fatalf("after a pass with Redis down: sent %v, attempts %d; want unsent, no attempt counted", r.SentAt, r.Attempts)
		}
	}
	if b, err := outbox.Backlog(ctx); err != nil || b.Pending != 3 {
		t.Fatalf("backlog %+v %v; want 3 pending", b, err)
	}

	// The relay keeps trying while Redis is down; then Redis answers there.
	runRelay(t, outbox, down)
	if err := q.LeadsChanged(ctx, tid, []uuid.UUID{uuid.New()}); err != nil {
		t.Fatal(err)
	}
	proxy(t, addr, rd.Addr)
	waitFor(t, 30*time.Second, "the relay to hand the tasks over", func() (bool, string) {
		_, unsent := outboxRows(t, db)
		return unsent == 0, fmt.Sprintf("%d unsent", unsent)
	})
	info, err := insp.GetQueueInfo("default")
	if err != nil || info.Pending != 4 {
		t.Fatalf("queue: %+v %v; want 4 pending", info, err)
	}
}

// closedPort is an address nothing listens on (yet).
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// proxy forwards connections to addr to target until the test ends.
func proxy(t *testing.T, addr, target string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			wg.Add(2)
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				_, _ = io.Copy(dst, src)
				_ = dst.Close()
			}
			go pipe(in, out)
			go pipe(out, in)
		}
	}()
}

// TestRelayGivesUpOnARefusedTask: a task Redis refuses (not for being
// unavailable) is retried at most MaxRelayAttempts times with its error
// recorded, then left for an operator; the tasks beside it go through.
func TestRelayGivesUpOnARefusedTask(t *testing.T) {
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	client, insp := asynqClient(t, rd)
	ctx := tenant.System(context.Background())
	outbox := jobs.NewOutbox(db.Client, platform.SystemClock{})
	tid := uuid.New()
	// An empty queue name: Asynq refuses the task.
	bad, err := db.Client.OutboxTask.Create().SetTenantID(tid).SetTaskType("x:bad").SetQueue("").SetCreatedAt(time.Now()).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := (jobs.Queue{Outbox: outbox}).LeadsChanged(ctx, tid, []uuid.UUID{uuid.New()}); err != nil {
		t.Fatal(err)
	}
	relay := jobs.NewRelay(outbox, client, quiet)
	for i := range jobs.MaxRelayAttempts + 2 {
		if _, err := relay.Pass(ctx); err != nil {
			t.Fatalf("pass %d: %v", i, err)
		}
	}
	got, err := db.Client.OutboxTask.Get(ctx, bad.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempts != jobs.MaxRelayAttempts || got.SentAt != nil || got.LastError == "" {
		t.Errorf("refused row: attempts %d, sent %v, error %q; want %d attempts, unsent, an error",
			got.Attempts, got.SentAt, got.LastError, jobs.MaxRelayAttempts)
	}
	if b, err := outbox.Backlog(ctx); err != nil || b.Pending != 0 || b.Failed != 1 {
		t.Errorf("backlog %+v %v; want 0 pending, 1 failed", b, err)
	}
	if info, err := insp.GetQueueInfo("default"); err != nil || info.Pending != 1 {
		t.Errorf("queue: %+v %v; want the good task pending", info, err)
	}
}

// TestPurgeOutbox: rows relayed before the retention are deleted; newer
// ones and rows never relayed stay.
func TestPurgeOutbox(t *testing.T) {
	db, ctx, clock := fixture(t)
	tid, _ := tenant.FromContext(ctx)
	now := clock.Now()
	for name, sent := range map[string]*time.Time{
		"old":    ptr(now.Add(-jobs.OutboxRetention - time.Second)),
		"recent": ptr(now.Add(-jobs.OutboxRetention + time.Second)),
		"unsent": nil,
	} {
		err := db.Client.OutboxTask.Create().SetTenantID(tid).SetTaskType(name).SetCreatedAt(now.Add(-30 * 24 * time.Hour)).
			SetNillableSentAt(sent).Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	h := &jobs.Handlers{Deps: jobs.Deps{Services: services(t, db, clock), Log: quiet}}
	for range 2 {
		if err := h.HandlePurgeOutbox(context.Background(), asynq.NewTask(jobs.TypePurgeOutbox, nil)); err != nil {
			t.Fatal(err)
		}
		left, err := db.Client.OutboxTask.Query().Order(outboxtask.ByTaskType()).Select(outboxtask.FieldTaskType).Strings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(left) != "[recent unsent]" {
			t.Fatalf("rows after purge = %v; want [recent unsent]", left)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// val is *p, or the zero value for nil.
func val[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}
