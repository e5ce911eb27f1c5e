package longjob_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	entjourney "github.com/scrmhq/scrm/ent/journey"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/longjob"
	"github.com/scrmhq/scrm/internal/tenant"
)

// bulkWorld is a world with a rep and leads numbered by seq: the rep owns
// 1, 3, 4 and 5; 2 waits unowned in the default pool (the rep reads it but
// may not change it); 6 is the admin's (the rep does not see it).
type bulkWorld struct {
	*world
	rep   context.Context
	leads map[int64]uuid.UUID
	lost  uuid.UUID // a LOST stage
}

func newBulkWorld(t *testing.T) *bulkWorld {
	t.Helper()
	w := &bulkWorld{world: newWorld(t), leads: map[int64]uuid.UUID{}}
	w.rep = w.user(t, "rep@acme.test", "rep")
	ctx := tenant.NewContext(context.Background(), w.tid)
	p, err := w.db.Client.Pool.Query().Where(pool.IsDefault(true)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w.lost, err = w.db.Client.Stage.Query().Where(stage.KindEQ(stage.KindLOST)).FirstID(ctx); err != nil {
		t.Fatal(err)
	}
	repID, adminID := auth.FromContext(w.rep).UserID, auth.FromContext(w.admin).UserID
	for seq := int64(1); seq <= 6; seq++ {
		c := w.db.Client.Lead.Create().SetSeq(seq).SetName("L" + string(rune('0'+seq)))
		switch seq {
		case 2:
			c.SetPoolID(p.ID)
		case 6:
			c.SetOwnerID(adminID)
		default:
			c.SetOwnerID(repID)
		}
		w.addLead(t, c)
	}
	return w
}

func (w *bulkWorld) addLead(t *testing.T, c *ent.LeadCreate) {
	t.Helper()
	l, err := c.Save(tenant.NewContext(context.Background(), w.tid))
	if err != nil {
		t.Fatal(err)
	}
	w.leads[l.Seq] = l.ID
}

// lostLeads are the seqs of the leads moved to the LOST stage, each as
// often as it was moved.
func (w *bulkWorld) lostLeads(t *testing.T) string {
	t.Helper()
	rows, err := w.db.DB.Query(`SELECT l.seq FROM stage_changes sc JOIN leads l ON l.id = sc.lead_id
		WHERE sc.to_id = $1 ORDER BY l.seq`, w.lost)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

// lostJourney is an active journey that enrols the leads entering the LOST
// stage (one wait step).
func (w *bulkWorld) lostJourney(t *testing.T) *ent.Journey {
	t.Helper()
	jr, err := w.svc.Journeys.Create(w.admin, journey.Input{Name: "win back",
		Trigger: schematype.JourneyTrigger{StageEntered: &schematype.StageEnteredTrigger{StageID: w.lost}},
		Steps:   []schematype.JourneyStep{{Wait: &schematype.WaitStep{Days: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Journeys.SetStatus(w.admin, jr.ID, entjourney.StatusACTIVE); err != nil {
		t.Fatal(err)
	}
	return jr
}

// startJob starts a bulk update of every lead ctx's viewer reads, which
// must become a job.
func (w *bulkWorld) startJob(t *testing.T, ctx context.Context, a longjob.BulkAction) *ent.Job {
	t.Helper()
	res, err := w.svc.Jobs.BulkUpdate(ctx, longjob.BulkInput{Action: a})
	if err != nil {
		t.Fatal(err)
	}
	if res.Job == nil || res.Matched != res.Job.Total {
		t.Fatalf("bulk update = %+v, want a job", res)
	}
	return res.Job
}

var moveToLost = func(w *bulkWorld) longjob.BulkAction {
	return longjob.BulkAction{MoveStage: &longjob.BulkMove{StageID: w.lost, Reason: "价格太高"}}
}

// TestBulkUpdateResumesAfterACrash moves a rep's leads to LOST two at a
// time: the set is fixed when the job starts (a lead of the rep's created
// afterwards is left alone, the admin's lead was never in it), the pool
// lead the rep reads but may not change fails with its reason and stays,
// and a run that dies after the first batch resumes after it: every lead
// moved once, the failure listed once, the counts not doubled.
func TestBulkUpdateResumesAfterACrash(t *testing.T) {
	t.Cleanup(longjob.SetBulkBatchSize(2))
	t.Cleanup(longjob.SetBulkInlineMax(0))
	w := newBulkWorld(t)
	j := w.startJob(t, w.rep, moveToLost(w))
	if j.Kind != "BULK_UPDATE" || j.Total != 5 || j.Status != "QUEUED" {
		t.Fatalf("job = %s %s total %d, want the rep's 5 leads", j.Kind, j.Status, j.Total)
	}
	if n := w.count(t, `SELECT count(*) FROM outbox_tasks WHERE task_type = 'job:run' AND task_id = $1`, "job:"+j.ID.String()); n != 1 {
		t.Fatalf("%d outbox rows carry the job, want 1", n)
	}
	w.addLead(t, w.db.Client.Lead.Create().SetSeq(7).SetName("L7").SetOwnerID(auth.FromContext(w.rep).UserID))

	died := errors.New("worker killed")
	remove := longjob.SetBeforeBulkBatch(func(_ context.Context, _ uuid.UUID, n int) error {
		if n == 2 {
			return died
		}
		return nil
	})
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); !errors.Is(err, died) {
		t.Fatalf("first run = %v", err)
	}
	remove()
	if mid := w.job(t, j.ID); mid.Status != "RUNNING" || mid.Done != 2 || mid.Failed != 1 || w.lostLeads(t) != "1" {
		t.Fatalf("after the crash: %s done %d failed %d, lost %q", mid.Status, mid.Done, mid.Failed, w.lostLeads(t))
	}
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); err != nil {
		t.Fatal(err)
	}
	got := w.job(t, j.ID)
	if got.Status != "SUCCEEDED" || got.Done != 5 || got.Failed != 1 || got.ResultName == nil {
		t.Fatalf("job = %s done %d failed %d result %v", got.Status, got.Done, got.Failed, got.ResultName)
	}
	if lost := w.lostLeads(t); lost != "1,3,4,5" {
		t.Fatalf("moved to LOST: %q, want the rep's leads of the snapshot, once each", lost)
	}
	recs := w.result(t, w.rep, j.ID)
	if len(recs) != 2 || strings.Join(recs[0], ",") != "id,name,code,reason,reason_code" ||
		recs[1][0] != gid.Encode(w.leads[2]) || recs[1][2] != "FORBIDDEN" || !strings.Contains(recs[1][3], "write scope") || recs[1][4] != "" {
		t.Fatalf("failures = %q", recs)
	}
}

// TestBulkUpdateCancelBetweenBatches: a job cancelled while it runs stops
// before its next batch and keeps what it did.
func TestBulkUpdateCancelBetweenBatches(t *testing.T) {
	t.Cleanup(longjob.SetBulkBatchSize(2))
	t.Cleanup(longjob.SetBulkInlineMax(0))
	w := newBulkWorld(t)
	j := w.startJob(t, w.admin, moveToLost(w))
	t.Cleanup(longjob.SetBeforeBulkBatch(func(_ context.Context, id uuid.UUID, n int) error {
		if n == 2 {
			_, err := w.svc.Jobs.Cancel(w.admin, id)
			return err
		}
		return nil
	}))
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); err != nil {
		t.Fatal(err)
	}
	got := w.job(t, j.ID)
	if got.Status != "CANCELLED" || got.Total != 6 || got.Done != 2 || w.lostLeads(t) != "1,2" {
		t.Fatalf("job = %s total %d done %d, lost %q", got.Status, got.Total, got.Done, w.lostLeads(t))
	}
}

// TestBulkEnrollJourneyStopped: a journey archived while a job enrols
// leads in it two at a time refuses the batches after it, each lead a
// CONFLICT with reason JOURNEY_STOPPED in the result CSV; the leads enrolled
// before stay enrolled.
func TestBulkEnrollJourneyStopped(t *testing.T) {
	t.Cleanup(longjob.SetBulkBatchSize(2))
	t.Cleanup(longjob.SetBulkInlineMax(0))
	w := newBulkWorld(t)
	jr := w.lostJourney(t)
	j := w.startJob(t, w.admin, longjob.BulkAction{Enroll: &longjob.BulkEnroll{JourneyID: jr.ID}})
	t.Cleanup(longjob.SetBeforeBulkBatch(func(_ context.Context, _ uuid.UUID, n int) error {
		if n == 2 {
			_, err := w.svc.Journeys.SetStatus(w.admin, jr.ID, entjourney.StatusARCHIVED)
			return err
		}
		return nil
	}))
	if err := w.svc.Jobs.Run(context.Background(), w.tid, j.ID, false); err != nil {
		t.Fatal(err)
	}
	got := w.job(t, j.ID)
	if got.Status != "SUCCEEDED" || got.Total != 6 || got.Done != 6 || got.Failed != 4 {
		t.Fatalf("job = %s total %d done %d failed %d, want 6 done and the last 4 failed", got.Status, got.Total, got.Done, got.Failed)
	}
	if n := w.count(t, `SELECT count(*) FROM enrollments WHERE journey_id = $1`, jr.ID); n != 2 {
		t.Fatalf("%d enrolments, want the first batch's 2", n)
	}
	recs := w.result(t, w.admin, j.ID)
	if len(recs) != 5 {
		t.Fatalf("result = %q, want the header and 4 failures", recs)
	}
	for _, r := range recs[1:] {
		if r[2] != "CONFLICT" || r[4] != journey.ReasonJourneyStopped || !strings.Contains(r[3], "ARCHIVED") {
			t.Errorf("failure %q, want CONFLICT JOURNEY_STOPPED (the journey is ARCHIVED)", r)
		}
	}
}

// TestBulkUpdateInline: a set of at most BulkInlineMax leads is changed
// before BulkUpdate returns, in the caller's transaction, by the same code
// as a job's batch: the rep's leads move to LOST, the pool lead it reads but
// may not change fails with its reason and stays, and no job is written.
// A caller that rolls its transaction back keeps nothing of it, the moves'
// background work (outbox rows) included.
func TestBulkUpdateInline(t *testing.T) {
	w := newBulkWorld(t)
	// A journey that enrols the leads entering LOST: each move's background
	// work is its enrolment and a journey:run in the outbox.
	w.lostJourney(t)
	queued := w.count(t, `SELECT count(*) FROM outbox_tasks`) // the journey's own
	tx, err := w.db.Client.Tx(w.rep)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.svc.Jobs.BulkUpdate(ent.NewTxContext(w.rep, tx), longjob.BulkInput{Action: moveToLost(w)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Job != nil || res.Matched != 5 || res.Changed != 4 || len(res.Failures) != 1 {
		t.Fatalf("rolled back run = %+v", res)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := w.count(t, `SELECT count(*) FROM stage_changes`) + w.count(t, `SELECT count(*) FROM enrollments`) +
		w.count(t, `SELECT count(*) FROM outbox_tasks`) - queued; n != 0 {
		t.Fatalf("a rolled back inline run left %d rows", n)
	}

	res, err = w.svc.Jobs.BulkUpdate(w.rep, longjob.BulkInput{Action: moveToLost(w)})
	if err != nil {
		t.Fatal(err)
	}
	want := longjob.BulkFailure{LeadID: w.leads[2], Name: "L2", Code: "FORBIDDEN"}
	if res.Job != nil || res.Matched != 5 || res.Changed != 4 || len(res.Failures) != 1 {
		t.Fatalf("inline run = %+v, want 4 changed and 1 failure", res)
	}
	if f := res.Failures[0]; f.LeadID != want.LeadID || f.Name != want.Name || f.Code != want.Code || !strings.Contains(f.Message, "write scope") {
		t.Fatalf("failure = %+v, want %+v (write scope)", f, want)
	}
	if lost := w.lostLeads(t); lost != "1,3,4,5" {
		t.Fatalf("moved to LOST: %q, want the rep's four leads", lost)
	}
	if n := w.count(t, `SELECT count(*) FROM jobs`); n != 0 {
		t.Fatalf("an inline run wrote %d jobs", n)
	}
	if n := w.count(t, `SELECT count(*) FROM enrollments`); n != 4 {
		t.Fatalf("%d enrolments, want the four leads moved", n)
	}
	if n := w.count(t, `SELECT count(*) FROM outbox_tasks`); n <= queued {
		t.Fatal("the moves' background work is not in the outbox")
	}
}

// TestBulkUpdateRefusesBadInput: every bad action is refused at its path
// and writes nothing: no job, no outbox row, no change to a lead, on either
// path.
func TestBulkUpdateRefusesBadInput(t *testing.T) {
	w := newBulkWorld(t)
	ctx := tenant.NewContext(context.Background(), w.tid)
	if _, err := w.db.Client.FieldDefinition.Create().SetEntity("LEAD").SetKey("budget").SetLabel("Budget").SetType("NUMBER").Save(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Client.FieldDefinition.Create().SetEntity("LEAD").SetKey("code").SetLabel("Code").SetType("TEXT").SetUnique(true).Save(ctx); err != nil {
		t.Fatal(err)
	}
	open, err := w.db.Client.Stage.Query().Where(stage.KindEQ(stage.KindOPEN)).FirstID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	unknown := gid.New(gid.Tag)
	for _, tc := range []struct {
		name  string
		a     longjob.BulkAction
		code  apperr.Code
		field string
	}{
		{"no action", longjob.BulkAction{}, apperr.BadInput, "action"},
		{"two actions", longjob.BulkAction{AddTags: []uuid.UUID{unknown}, MoveStage: &longjob.BulkMove{StageID: open}}, apperr.BadInput, "action"},
		{"no tags", longjob.BulkAction{AddTags: []uuid.UUID{}}, apperr.BadInput, "action.addTags"},
		{"unknown tag", longjob.BulkAction{RemoveTags: []uuid.UUID{unknown}}, apperr.NotFound, "action.removeTags[0]"},
		{"assign to nobody", longjob.BulkAction{Assign: &longjob.BulkAssign{}}, apperr.BadInput, "action.assign"},
		{"assign to a stranger", longjob.BulkAction{Assign: &longjob.BulkAssign{OwnerID: ptr(gid.New(gid.User))}}, apperr.BadInput, "action.assign.ownerID"},
		{"set a phone", longjob.BulkAction{Update: &leads.Patch{Phone: str("13800138000")}}, apperr.BadInput, "action.update.phone"},
		{"set nothing", longjob.BulkAction{Update: &leads.Patch{}}, apperr.BadInput, "action.update"},
		{"bad number", longjob.BulkAction{Update: &leads.Patch{HasAttributes: true, Attributes: map[string]any{"budget": "lots"}}}, apperr.BadInput, "action.update.attributes.budget"},
		{"unknown field", longjob.BulkAction{Update: &leads.Patch{HasAttributes: true, Attributes: map[string]any{"nope": 1}}}, apperr.BadInput, "action.update.attributes.nope"},
		{"unique value", longjob.BulkAction{Update: &leads.Patch{HasAttributes: true, Attributes: map[string]any{"code": "A1"}}}, apperr.BadInput, "action.update.attributes.code"},
		{"LOST without reason", longjob.BulkAction{MoveStage: &longjob.BulkMove{StageID: w.lost}}, apperr.BadInput, "action.moveStage.reason"},
		{"unknown stage", longjob.BulkAction{MoveStage: &longjob.BulkMove{StageID: gid.New(gid.Stage)}}, apperr.NotFound, "action.moveStage.stageID"},
		{"lost reason on OPEN", longjob.BulkAction{MoveStage: &longjob.BulkMove{StageID: open, LostReasonID: ptr(gid.New(gid.LostReason))}}, apperr.BadInput, "action.moveStage.lostReasonID"},
	} {
		for _, inlineMax := range []int{longjob.BulkInlineMax, 0} { // inline, and as a job
			restore := longjob.SetBulkInlineMax(inlineMax)
			_, err := w.svc.Jobs.BulkUpdate(w.admin, longjob.BulkInput{Action: tc.a})
			restore()
			e, ok := apperr.As(err)
			var list apperr.List
			if errors.As(err, &list) && len(list) > 0 {
				e, ok = list[0], true
			}
			if !ok || e.Code != tc.code || e.Field != tc.field {
				t.Errorf("%s (inline up to %d): %v, want %s at %s", tc.name, inlineMax, err, tc.code, tc.field)
			}
		}
	}
	if n := w.count(t, `SELECT count(*) FROM jobs`) + w.count(t, `SELECT count(*) FROM outbox_tasks`) +
		w.count(t, `SELECT count(*) FROM stage_changes`) + w.count(t, `SELECT count(*) FROM lead_tags`); n != 0 {
		t.Fatalf("refused bulk updates wrote %d rows", n)
	}
}

func ptr[T any](v T) *T { return &v }
