package longjob_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/importer"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/longjob"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
)

// world is a workspace with the services of a process whose outbox is not
// relayed: a test runs each job itself with Run, as the worker's task would.
type world struct {
	db    *testenv.Database
	svc   *app.Services
	tid   uuid.UUID
	admin context.Context // the admin's request context
}

func newWorld(t *testing.T) *world {
	t.Helper()
	// Batches of 1000 rows, so that files of a few thousand rows have several.
	t.Cleanup(longjob.SetImportBatchSize(1000))
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	clock := platform.NewFakeClock(platform.SystemClock{}.Now())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := app.New(context.Background(), app.Config{Client: db.Client, DB: db.DB, Redis: rd.Client,
		Queue: jobs.Queue{Outbox: jobs.NewOutbox(db.Client, clock)}, Clock: clock, Log: log, Secret: "longjob-test-secret-0123", LoadPolicy: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := workspace.Create(context.Background(), db.Client, workspace.Spec{Slug: "acme", Name: "Acme",
		AdminName: "Admin", AdminEmail: "admin@acme.test", AdminPassword: "password-acme"})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, svc: svc, tid: c.Workspace.ID}
	w.admin = w.as(t, c.Admin.ID, "admin")
	return w
}

// as is a request context of user with roles, its decisions resolved as
// the api resolves them.
func (w *world) as(t *testing.T, user uuid.UUID, roles ...string) context.Context {
	t.Helper()
	v := &auth.Viewer{TenantID: w.tid, UserID: user, Roles: roles}
	ctx := tenant.NewContext(context.Background(), w.tid)
	if err := w.svc.Authz.Resolve(ctx, v); err != nil {
		t.Fatal(err)
	}
	return auth.NewContext(ctx, v)
}

// user creates a user with roles and returns its request context.
func (w *world) user(t *testing.T, email string, roles ...string) context.Context {
	t.Helper()
	ctx := tenant.NewContext(context.Background(), w.tid)
	u, err := w.db.Client.User.Create().SetEmail(email).SetName(email).SetPasswordHash("x").SetRoles(roles).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return w.as(t, u.ID, roles...)
}

func (w *world) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.DB.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// csvFile is a header and n rows of leads; every fifth row has a bad phone.
func csvFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("姓名,手机号\n")
	for i := range n {
		phone := fmt.Sprintf("1380000%04d", i)
		if i%5 == 4 {
			phone = "12"
		}
		fmt.Fprintf(&b, "客户%d,%s\n", i, phone)
	}
	return b.Bytes()
}

var mapping = map[string]any{"columns": map[string]any{"姓名": "name", "手机号": "phone"}}

// result is a job's result CSV as its creator downloads it.
func (w *world) result(t *testing.T, ctx context.Context, id uuid.UUID) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := w.svc.Jobs.WriteResult(ctx, id, func(string) io.Writer { return &b }); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func (w *world) job(t *testing.T, id uuid.UUID) *ent.Job {
	t.Helper()
	j, err := w.db.Client.Job.Get(tenant.NewContext(context.Background(), w.tid), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestImportQueuesThroughTheOutbox: the job, its file and its task are
// written together, and a bad mapping writes none of them.
func TestImportQueuesThroughTheOutbox(t *testing.T) {
	w := newWorld(t)
	_, err := w.svc.Jobs.StartImport(w.admin, longjob.ImportInput{Name: "x.csv", File: bytes.NewReader(csvFile(3)),
		Mapping: map[string]any{"columns": map[string]any{"姓名": "name", "手机号": "mobile"}}})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.BadInput || e.Field != "mapping.columns.手机号" {
		var list apperr.List
		if !errors.As(err, &list) || len(list) != 1 || list[0].Field != "mapping.columns.手机号" {
			t.Fatalf("bad mapping = %v", err)
		}
	}
	if n := w.count(t, `SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM job_files) + (SELECT count(*) FROM outbox_tasks)`); n != 0 {
		t.Fatalf("a refused import wrote %d rows", n)
	}
	j, err := w.svc.Jobs.StartImport(w.admin, longjob.ImportInput{Name: "x.csv", File: bytes.NewReader(csvFile(3)), Mapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != "QUEUED" || w.count(t, `SELECT count(*) FROM outbox_tasks WHERE task_type = 'job:run' AND task_id = $1`, "job:"+j.ID.String()) != 1 ||
		w.count(t, `SELECT count(*) FROM job_files WHERE job_id = $1 AND kind = 'INPUT'`, j.ID) != 1 {
		t.Fatalf("job %+v and its task and file were not written together", j)
	}
	// The same key: the same job; another user's request with it: CONFLICT.
	j1, err := w.svc.Jobs.StartImport(w.admin, longjob.ImportInput{File: bytes.NewReader(csvFile(3)), Mapping: mapping, IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	j2, err := w.svc.Jobs.StartImport(w.admin, longjob.ImportInput{File: bytes.NewReader(csvFile(3)), Mapping: mapping, IdempotencyKey: "k"})
	if err != nil || j2.ID != j1.ID {
		t.Fatalf("same key: %v, %v (%v)", j1.ID, j2, err)
	}
	mgr := w.user(t, "m@acme.test", "manager")
	if _, err := w.svc.Jobs.StartImport(mgr, longjob.ImportInput{File: bytes.NewReader(csvFile(3)), Mapping: mapping, IdempotencyKey: "k"}); !isCode(err, apperr.Conflict) {
		t.Fatalf("another user's key = %v", err)
	}
	// The manager does not see the admin's job; the admin sees the manager's.
	if _, err := w.svc.Jobs.Get(mgr, j.ID); !isCode(err, apperr.NotFound) {
		t.Fatalf("manager's Get of the admin's job = %v", err)
	}
	mj, err := w.svc.Jobs.StartImport(mgr, longjob.ImportInput{File: bytes.NewReader(csvFile(3)), Mapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Jobs.Get(w.admin, mj.ID); err != nil {
		t.Fatalf("admin's Get of the manager's job = %v", err)
	}
}

func isCode(err error, code apperr.Code) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == code
}

// TestImportCancelBetweenBatches cancels the job while its first batch is
// being written: that batch is kept and counted, the job is CANCELLED, and
// no later batch is sent.
func TestImportCancelBetweenBatches(t *testing.T) {
	w := newWorld(t)
	j, err := w.svc.Jobs.StartImport(w.admin, longjob.ImportInput{Name: "big.csv", File: bytes.NewReader(csvFile(3500)), Mapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	defer longjob.SetBeforeCheckpoint(func(ctx context.Context, id uuid.UUID, cp importer.Checkpoint) error {
		if cp.Rows == 1000 {
			_, err := w.svc.Jobs.Cancel(w.admin, id)
			return err
		}
		return nil
	})()
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); err != nil {
		t.Fatal(err)
	}
	got := w.job(t, j.ID)
	if got.Status != "CANCELLED" || got.Total != 3500 || got.Done != 1000 || got.Failed != 200 || got.FinishedAt == nil {
		t.Fatalf("job = %s total %d done %d failed %d", got.Status, got.Total, got.Done, got.Failed)
	}
	if n := w.count(t, `SELECT count(*) FROM leads`); n != 800 {
		t.Fatalf("%d leads, want the 800 good rows of the first batch", n)
	}
	if _, err := w.svc.Jobs.Cancel(w.admin, j.ID); !isCode(err, apperr.Conflict) {
		t.Fatalf("cancelling a cancelled job = %v", err)
	}
	// A cancelled job's task that runs again changes nothing.
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); err != nil || w.job(t, j.ID).Done != 1000 {
		t.Fatalf("rerun of a cancelled job: %v", err)
	}
}

// TestImportResumesAfterACrash lets the run die when its second batch was
// written but not recorded (as a worker killed at that moment would); the
// task's retry resumes from the job's resume point after the first batch,
// on a fresh working directory rebuilt from the job, sends the second batch
// again (answered from its idempotency key) and writes no lead and no
// rejected row twice.
func TestImportResumesAfterACrash(t *testing.T) {
	w := newWorld(t)
	j, err := w.svc.Jobs.StartImport(w.admin, longjob.ImportInput{Name: "big.csv", File: bytes.NewReader(csvFile(3500)), Mapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	died := errors.New("worker killed")
	remove := longjob.SetBeforeCheckpoint(func(_ context.Context, _ uuid.UUID, cp importer.Checkpoint) error {
		if cp.Rows == 2000 {
			return died
		}
		return nil
	})
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); !errors.Is(err, died) {
		t.Fatalf("first run = %v", err)
	}
	remove()
	mid := w.job(t, j.ID)
	if mid.Status != "RUNNING" || mid.Done != 1000 || len(mid.State) == 0 ||
		w.count(t, `SELECT count(*) FROM leads`) != 1600 {
		t.Fatalf("after the crash: %s done %d state %s", mid.Status, mid.Done, mid.State)
	}
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); err != nil {
		t.Fatal(err)
	}
	got := w.job(t, j.ID)
	if got.Status != "SUCCEEDED" || got.Done != 3500 || got.Failed != 700 || got.ResultName == nil || *got.ResultName != "big-rejected.csv" {
		t.Fatalf("job = %s done %d failed %d result %v", got.Status, got.Done, got.Failed, got.ResultName)
	}
	if n := w.count(t, `SELECT count(*) FROM leads`); n != 2800 {
		t.Fatalf("%d leads, want 2800", n)
	}
	recs := w.result(t, w.admin, j.ID)
	if len(recs) != 701 || strings.Join(recs[0], ",") != "姓名,手机号,_line,_errors" {
		t.Fatalf("rejects: %d records, header %q", len(recs), recs[0])
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		if seen[r[2]] {
			t.Fatalf("line %s rejected twice", r[2])
		}
		seen[r[2]] = true
	}
}

// TestImportFailsClearly: a run that keeps failing is FAILED with the
// reason on its last attempt, not left RUNNING.
func TestImportFailsClearly(t *testing.T) {
	w := newWorld(t)
	j, err := w.svc.Jobs.StartImport(w.admin, longjob.ImportInput{Name: "x.csv", File: bytes.NewReader(csvFile(10)), Mapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	defer longjob.SetBeforeCheckpoint(func(context.Context, uuid.UUID, importer.Checkpoint) error {
		return errors.New("database went away")
	})()
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); err == nil {
		t.Fatal("a failing run that is not the last must ask for a retry")
	}
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, true); err != nil {
		t.Fatal(err)
	}
	got := w.job(t, j.ID)
	if got.Status != "FAILED" || got.Error == nil || !strings.Contains(*got.Error, "database went away") {
		t.Fatalf("job = %s %v", got.Status, got.Error)
	}
}

// TestExportRetryStartsOver: the retry of an export whose worker died
// mid-file (pieces of the crashed run are stored) writes the file from the
// top, so no lead is in it twice; the file is masked as the analyst sees
// leads; a job cancelled before its run writes nothing.
func TestExportRetryStartsOver(t *testing.T) {
	w := newWorld(t)
	rows := []leads.Row{{Name: "甲", Phone: "13800138000"}, {Name: "乙", Phone: "13900139000"}, {Name: "丙", Phone: "13700137000"}}
	if _, err := w.svc.Ingester.Ingest(w.admin, leads.Batch{Source: "test", Rows: rows}); err != nil {
		t.Fatal(err)
	}
	analyst := w.user(t, "a@acme.test", "analyst")
	j, err := w.svc.Jobs.StartExport(analyst, longjob.ExportInput{Columns: []string{"name", "phone"}})
	if err != nil {
		t.Fatal(err)
	}
	if j.Total != 3 {
		t.Fatalf("total = %d", j.Total)
	}
	// What a run that died after its first piece left behind.
	sys := tenant.NewContext(context.Background(), w.tid)
	for seq, data := range []string{"\uFEFFname,phone\n", "甲,+86 138****8000\n"} {
		if err := w.db.Client.JobFile.Create().SetJobID(j.ID).SetKind("RESULT").SetSeq(seq).SetData([]byte(data)).
			SetCreatedAt(time.Now()).Exec(sys); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.db.Client.Job.UpdateOneID(j.ID).SetStatus("RUNNING").SetDone(1).Exec(sys); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := w.job(t, j.ID); got.Status != "SUCCEEDED" || got.Done != 3 || got.Failed != 0 {
		t.Fatalf("job = %s done %d failed %d", got.Status, got.Done, got.Failed)
	}
	recs := w.result(t, analyst, j.ID)
	if len(recs) != 4 || strings.Join(recs[0], ",") != "name,phone" {
		t.Fatalf("export = %q", recs)
	}
	for _, r := range recs[1:] {
		if !strings.Contains(r[1], "*") || strings.Contains(r[1], "0013") {
			t.Errorf("phone %q is not masked as the analyst sees it", r[1])
		}
	}
	// The admin (job manage) may read the analyst's file; a manager may not.
	if err := w.svc.Jobs.WriteResult(w.admin, j.ID, func(string) io.Writer { return io.Discard }); err != nil {
		t.Errorf("admin's download: %v", err)
	}
	mgr := w.user(t, "m@acme.test", "manager")
	if err := w.svc.Jobs.WriteResult(mgr, j.ID, func(string) io.Writer { return io.Discard }); !isCode(err, apperr.NotFound) {
		t.Errorf("manager's download of the analyst's export = %v", err)
	}

	cancelled, err := w.svc.Jobs.StartExport(analyst, longjob.ExportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Jobs.Cancel(analyst, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Jobs.Run(context.Background(), w.tid, cancelled.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := w.job(t, cancelled.ID); got.Status != "CANCELLED" || got.StartedAt != nil ||
		w.count(t, `SELECT count(*) FROM job_files WHERE job_id = $1 AND kind = 'RESULT'`, cancelled.ID) != 0 {
		t.Fatalf("a job cancelled while queued ran: %s", got.Status)
	}
}
