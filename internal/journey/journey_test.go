package journey_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/testenv"
)

func TestJourneys(t *testing.T) {
	db := testenv.NewDatabase(t)
	t.Run("validation", func(t *testing.T) { t.Parallel(); testValidation(t, newWorkspace(t, db)) })
	t.Run("steps", func(t *testing.T) { t.Parallel(); testSteps(t, newWorkspace(t, db)) })
	t.Run("condition", func(t *testing.T) { t.Parallel(); testCondition(t, newWorkspace(t, db)) })
	t.Run("exit rule", func(t *testing.T) { t.Parallel(); testExitRule(t, newWorkspace(t, db)) })
	t.Run("versions", func(t *testing.T) { t.Parallel(); testVersions(t, newWorkspace(t, db)) })
	t.Run("trigger change", func(t *testing.T) { t.Parallel(); testTriggerChange(t, newWorkspace(t, db)) })
	t.Run("pause", func(t *testing.T) { t.Parallel(); testPause(t, newWorkspace(t, db)) })
	t.Run("reentry", func(t *testing.T) { t.Parallel(); testReentry(t, newWorkspace(t, db)) })
	t.Run("concurrent passes", func(t *testing.T) { t.Parallel(); testConcurrentPasses(t, newWorkspace(t, db)) })
	t.Run("tasks", func(t *testing.T) { t.Parallel(); testTasks(t, newWorkspace(t, db)) })
}

func testValidation(t *testing.T, w *ws) {
	tagID, st := w.tag("vip"), w.openStage()
	ok := []schematype.JourneyStep{{AddTags: tags(tagID)}}
	missing := uuid.New()
	cases := []struct {
		name  string
		in    journey.Input
		code  apperr.Code
		field string
	}{
		{"no name", journey.Input{Trigger: manual(), Steps: ok}, apperr.BadInput, "name"},
		{"no trigger", journey.Input{Name: "x", Steps: ok}, apperr.BadInput, "trigger"},
		{"two triggers", journey.Input{Name: "x", Steps: ok, Trigger: schematype.JourneyTrigger{
			Manual: &schematype.EmptyTrigger{}, Event: &schematype.EventTrigger{Name: "x"}}}, apperr.BadInput, "trigger"},
		{"unknown trigger tag", journey.Input{Name: "x", Steps: ok, Trigger: schematype.JourneyTrigger{
			TagAdded: &schematype.TagAddedTrigger{TagID: missing}}}, apperr.NotFound, "trigger.tagAdded.tagID"},
		{"event without name", journey.Input{Name: "x", Steps: ok, Trigger: schematype.JourneyTrigger{
			Event: &schematype.EventTrigger{Name: " "}}}, apperr.BadInput, "trigger.event.name"},
		{"no steps", journey.Input{Name: "x", Trigger: manual()}, apperr.BadInput, "steps"},
		{"step with two keys", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{AddTags: tags(tagID)}, {AddTags: tags(tagID), RemoveTags: tags(tagID)}}}, apperr.BadInput, "steps[1]"},
		{"empty step", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{{}}}, apperr.BadInput, "steps[0]"},
		{"bad local time", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{AddTags: tags(tagID)}, {MoveStage: &schematype.MoveStageStep{StageID: st}},
			{Wait: &schematype.WaitStep{Days: 1, AtLocalTime: "9:00"}}}}, apperr.BadInput, "steps[2].wait.atLocalTime"},
		{"empty wait", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{Wait: &schematype.WaitStep{}}}}, apperr.BadInput, "steps[0].wait"},
		{"negative wait", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{Wait: &schematype.WaitStep{Hours: -1}}}}, apperr.BadInput, "steps[0].wait.hours"},
		{"unknown tag", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{AddTags: tags(tagID, missing)}}}, apperr.NotFound, "steps[0].addTags.tagIDs[1]"},
		{"unknown stage", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{MoveStage: &schematype.MoveStageStep{StageID: missing}}}}, apperr.NotFound, "steps[0].moveStage.stageID"},
		{"bad condition rule", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{Condition: &schematype.ConditionStep{Rule: segment.Rule{}}}, {AddTags: tags(tagID)}}}, apperr.BadInput, "steps[0].condition.rule"},
		{"skip next on last", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{Condition: &schematype.ConditionStep{Rule: segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{tagID}}}, Otherwise: "SKIP_NEXT"}}}},
			apperr.BadInput, "steps[0].condition.otherwise"},
		{"bad reassign", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{Reassign: &schematype.ReassignStep{To: "SOMEONE"}}}}, apperr.BadInput, "steps[0].reassign.to"},
		{"bad webhook", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{Webhook: &schematype.WebhookStep{URL: "ftp://x"}}}}, apperr.BadInput, "steps[0].webhook.url"},
		{"task for user without user", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{CreateTask: &schematype.CreateTaskStep{Title: "call", Assignee: "USER"}}}}, apperr.BadInput, "steps[0].createTask.userID"},
		{"task without title", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{CreateTask: &schematype.CreateTaskStep{Title: " "}}}}, apperr.BadInput, "steps[0].createTask.title"},
		{"task with a bad assignee", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{CreateTask: &schematype.CreateTaskStep{Title: "call", Assignee: "BOSS"}}}}, apperr.BadInput, "steps[0].createTask.assignee"},
		{"message on a channel not configured", journey.Input{Name: "x", Trigger: manual(), Steps: []schematype.JourneyStep{
			{SendMessage: &schematype.SendMessageStep{Channel: "sms", Template: "hi"}}}}, apperr.BadInput, "steps[0].sendMessage.channel"},
		{"bad exit rule", journey.Input{Name: "x", Trigger: manual(), Steps: ok,
			ExitRule: &segment.Rule{Attribute: &schematype.AttributeCondition{Key: "nope", Op: "EQ", Value: 1}}}, apperr.BadInput, "exitRule.attribute.key"},
	}
	before, err := w.c.Journey.Query().Count(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.j.Create(w.ctx, tc.in)
			wantErr(t, err, tc.code, tc.field)
		})
	}
	if after, _ := w.c.Journey.Query().Count(w.ctx); after != before {
		t.Fatalf("refused inputs wrote %d journeys", after-before)
	}
	// Status changes: DRAFT cannot pause; archived cannot come back.
	j := w.create(journey.Input{Name: "x", Trigger: manual(), Steps: ok})
	_, err = w.j.SetStatus(w.ctx, j.ID, "PAUSED")
	wantErr(t, err, apperr.Conflict, "status")
	_, err = w.j.EnrollLeads(w.ctx, j.ID, w.leads(1))
	wantErr(t, err, apperr.Conflict, "journeyID")
	w.activate(j.ID)
	_, err = w.j.EnrollLeads(w.ctx, j.ID, []uuid.UUID{missing})
	wantErr(t, err, apperr.NotFound, "leadIDs[0]")
	if _, err := w.j.SetStatus(w.ctx, j.ID, "ARCHIVED"); err != nil {
		t.Fatal(err)
	}
	_, err = w.j.SetStatus(w.ctx, j.ID, "ACTIVE")
	wantErr(t, err, apperr.Conflict, "status")
}

// testSteps runs wait (to a local time) → addTags → moveStage → removeTags
// through the clock.
func testSteps(t *testing.T, w *ws) {
	vip, hot, st := w.tag("vip"), w.tag("hot"), w.openStage()
	j := w.create(journey.Input{Name: "welcome", Trigger: manual(), Steps: []schematype.JourneyStep{
		{Wait: &schematype.WaitStep{Days: 1, AtLocalTime: "10:00"}},
		{AddTags: tags(vip, hot)},
		{MoveStage: &schematype.MoveStageStep{StageID: st}},
		{RemoveTags: tags(hot)},
	}})
	w.activate(j.ID)
	leads := w.leads(3)
	if got := w.enroll(j.ID, leads...); got.Enrolled != 3 || got.Skipped != 0 {
		t.Fatalf("enrolled = %+v", got)
	}
	// t0 is 08:00 in Shanghai: the wait ends the next day at 10:00 (02:00 UTC).
	end := time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)
	if res := w.run(); res.Steps != 0 || res.Rescheduled != 3 {
		t.Fatalf("first pass = %+v; want the waits rescheduled", res)
	}
	if e := w.enrolment(j.ID, leads[0]); e.NextRunAt == nil || !e.NextRunAt.Equal(end) || e.StepIndex != 0 {
		t.Fatalf("enrolment = %+v; want due %s at step 0", e, end)
	}
	w.clock.Set(end.Add(-time.Minute))
	if res := w.run(); res.Steps != 0 {
		t.Fatalf("a pass before the wait ended ran %d steps", res.Steps)
	}
	w.clock.Set(end)
	if res := w.run(); res.Steps != 12 {
		t.Fatalf("pass = %+v; want 4 steps × 3 leads", res)
	}
	for _, l := range leads {
		if !w.hasTag(l, vip) || w.hasTag(l, hot) {
			t.Fatalf("lead %s: vip %v hot %v; want vip only", l, w.hasTag(l, vip), w.hasTag(l, hot))
		}
		ld, err := w.c.Lead.Get(w.ctx, l)
		if err != nil || ld.StageID == nil || *ld.StageID != st {
			t.Fatalf("lead stage = %v (%v); want %s", ld.StageID, err, st)
		}
		e := w.enrolment(j.ID, l)
		if e.Status != enrollment.StatusCOMPLETED || e.LeftAt == nil || !e.LeftAt.Equal(end) || e.NextRunAt != nil {
			t.Fatalf("enrolment = %+v; want COMPLETED at %s", e, end)
		}
		want := []string{"0:wait:COMPLETED", "1:addTags:COMPLETED", "2:moveStage:COMPLETED", "3:removeTags:COMPLETED"}
		if got := w.runs(j.ID, l); !slices.Equal(got, want) {
			t.Fatalf("runs = %v; want %v", got, want)
		}
	}
	if res := w.run(); res.Steps != 0 {
		t.Fatalf("a pass after the end ran %d steps", res.Steps)
	}
	stats, err := w.j.Stats(w.ctx, j.ID)
	if err != nil || *stats != (journey.Stats{Enrolled: 3, Completed: 3}) {
		t.Fatalf("stats = %+v (%v)", stats, err)
	}
	jj, _ := w.c.Journey.Get(w.ctx, j.ID)
	steps, err := w.j.Steps(w.ctx, jj)
	if err != nil || len(steps) != 4 || steps[1] != (journey.StepStats{Index: 1, Kind: "addTags", Reached: 3, Completed: 3}) {
		t.Fatalf("steps = %+v (%v)", steps, err)
	}
	// A rep who sees its own leads counts the runs of those only (step
	// runs name their lead without a foreign key to it).
	rep := w.reps(1)[0]
	if err := w.c.Lead.UpdateOneID(leads[0]).SetOwnerID(rep).Exec(w.ctx); err != nil {
		t.Fatal(err)
	}
	own := auth.NewContext(w.ctx, &auth.Viewer{TenantID: w.id, UserID: rep, Roles: []string{"rep"}, LeadScopes: []string{"own"}})
	steps, err = w.j.Steps(own, jj)
	if err != nil || len(steps) != 4 || steps[1] != (journey.StepStats{Index: 1, Kind: "addTags", Reached: 1, Completed: 1}) {
		t.Fatalf("steps seen by a rep owning one lead = %+v (%v)", steps, err)
	}
}

func tagRule(id uuid.UUID) segment.Rule {
	return segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{id}}}
}

// testCondition: matching leads go on; EXIT leaves; SKIP_NEXT skips one step.
func testCondition(t *testing.T, w *ws) {
	vip, a, b := w.tag("vip"), w.tag("a"), w.tag("b")
	leads := w.leads(2)
	if _, err := w.svc.Tags.TagLeads(w.ctx, leads[:1], []uuid.UUID{vip}, nil, ""); err != nil {
		t.Fatal(err)
	}
	skip := w.create(journey.Input{Name: "skip", Trigger: manual(), Steps: []schematype.JourneyStep{
		{Condition: &schematype.ConditionStep{Rule: tagRule(vip), Otherwise: "SKIP_NEXT"}},
		{AddTags: tags(a)},
		{AddTags: tags(b)},
	}})
	exit := w.create(journey.Input{Name: "exit", Trigger: manual(), Steps: []schematype.JourneyStep{
		{Condition: &schematype.ConditionStep{Rule: tagRule(vip)}},
		{AddTags: tags(a)},
	}})
	w.activate(skip.ID)
	w.activate(exit.ID)
	w.enroll(skip.ID, leads...)
	w.run()
	if !w.hasTag(leads[0], a) || !w.hasTag(leads[0], b) || w.hasTag(leads[1], a) || !w.hasTag(leads[1], b) {
		t.Fatal("SKIP_NEXT: the matching lead should get a and b, the other b only")
	}
	if got, want := w.runs(skip.ID, leads[1]), []string{"0:condition:COMPLETED", "1:addTags:SKIPPED", "2:addTags:COMPLETED"}; !slices.Equal(got, want) {
		t.Fatalf("runs = %v; want %v", got, want)
	}
	other := w.leads(1)[0]
	w.enroll(exit.ID, other)
	w.run()
	if e := w.enrolment(exit.ID, other); e.Status != enrollment.StatusEXITED || w.hasTag(other, a) {
		t.Fatalf("EXIT: enrolment %s, tag a %v; want EXITED without a", e.Status, w.hasTag(other, a))
	}
}

// testExitRule: a lead matching the exit rule leaves at its next step.
func testExitRule(t *testing.T, w *ws) {
	stop, done := w.tag("stop"), w.tag("done")
	j := w.create(journey.Input{Name: "nurture", Trigger: manual(), ExitRule: ptr(tagRule(stop)), Steps: []schematype.JourneyStep{
		{Wait: &schematype.WaitStep{Hours: 1}},
		{AddTags: tags(done)},
	}})
	w.activate(j.ID)
	leads := w.leads(2)
	w.enroll(j.ID, leads...)
	w.run()
	if _, err := w.svc.Tags.TagLeads(w.ctx, leads[:1], []uuid.UUID{stop}, nil, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Hour)
	w.run()
	if e := w.enrolment(j.ID, leads[0]); e.Status != enrollment.StatusEXITED || w.hasTag(leads[0], done) {
		t.Fatalf("matching lead: %s, done %v; want EXITED before the tag", e.Status, w.hasTag(leads[0], done))
	}
	if got := w.runs(j.ID, leads[0]); !slices.Equal(got, []string{"0:wait:EXITED"}) {
		t.Fatalf("runs = %v", got)
	}
	if e := w.enrolment(j.ID, leads[1]); e.Status != enrollment.StatusCOMPLETED || !w.hasTag(leads[1], done) {
		t.Fatalf("other lead: %s; want COMPLETED with the tag", e.Status)
	}
}

// testVersions: an edit makes version 2; enrolled leads finish on 1.
func testVersions(t *testing.T, w *ws) {
	one, two := w.tag("one"), w.tag("two")
	j := w.create(journey.Input{Name: "v", Trigger: manual(), Steps: []schematype.JourneyStep{
		{Wait: &schematype.WaitStep{Minutes: 30}}, {AddTags: tags(one)},
	}})
	w.activate(j.ID)
	leads := w.leads(2)
	w.enroll(j.ID, leads[0])
	upd, err := w.j.Update(w.ctx, j.ID, journey.Patch{Steps: []schematype.JourneyStep{
		{Wait: &schematype.WaitStep{Minutes: 30}}, {AddTags: tags(two)},
	}})
	if err != nil || upd.Version != 2 {
		t.Fatalf("update = %+v, %v; want version 2", upd, err)
	}
	w.enroll(j.ID, leads[1])
	w.clock.Advance(30 * time.Minute)
	w.run()
	if !w.hasTag(leads[0], one) || w.hasTag(leads[0], two) {
		t.Fatal("the lead enrolled on version 1 should run version 1")
	}
	if w.hasTag(leads[1], one) || !w.hasTag(leads[1], two) {
		t.Fatal("the lead enrolled on version 2 should run version 2")
	}
}

// testTriggerChange: a new trigger enrols from then on, the old one no
// longer does, and the enrolments it made go on; a bad trigger is refused
// at its path and changes nothing.
func testTriggerChange(t *testing.T, w *ws) {
	one, two, mark := w.tag("one"), w.tag("two"), w.tag("mark")
	j := w.create(journey.Input{Name: "t", Trigger: schematype.JourneyTrigger{TagAdded: &schematype.TagAddedTrigger{TagID: one}},
		Steps: []schematype.JourneyStep{{Wait: &schematype.WaitStep{Minutes: 10}}, {AddTags: tags(mark)}}})
	w.activate(j.ID)
	leads := w.leads(3)
	if err := w.j.TagsAdded(w.ctx, map[uuid.UUID][]uuid.UUID{one: {leads[0]}}); err != nil {
		t.Fatal(err)
	}
	refused := func(tr schematype.JourneyTrigger, code apperr.Code, field string) {
		t.Helper()
		_, err := w.j.Update(w.ctx, j.ID, journey.Patch{Trigger: &tr})
		if e, ok := apperr.As(err); !ok || e.Code != code || e.Field != field {
			t.Fatalf("update(%+v) = %v; want %s at %s", tr, err, code, field)
		}
	}
	refused(schematype.JourneyTrigger{TagAdded: &schematype.TagAddedTrigger{TagID: uuid.New()}}, apperr.NotFound, "trigger.tagAdded.tagID")
	refused(schematype.JourneyTrigger{Manual: &schematype.EmptyTrigger{}, TagAdded: &schematype.TagAddedTrigger{TagID: two}}, apperr.BadInput, "trigger")
	upd, err := w.j.Update(w.ctx, j.ID, journey.Patch{Trigger: &schematype.JourneyTrigger{TagAdded: &schematype.TagAddedTrigger{TagID: two}}})
	if err != nil || upd.Trigger.TagAdded == nil || upd.Trigger.TagAdded.TagID != two || upd.Version != 1 {
		t.Fatalf("update = %+v, %v; want the trigger on tag two, still version 1", upd, err)
	}
	if err := w.j.TagsAdded(w.ctx, map[uuid.UUID][]uuid.UUID{one: {leads[1]}, two: {leads[2]}}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.c.Enrollment.Query().Where(enrollment.JourneyID(j.ID), enrollment.LeadID(leads[1])).Count(w.ctx); err != nil || n != 0 {
		t.Errorf("the old trigger still enrols (%d, %v)", n, err)
	}
	w.clock.Advance(10 * time.Minute)
	w.run()
	if !w.hasTag(leads[0], mark) || !w.hasTag(leads[2], mark) {
		t.Error("the enrolment of the old trigger and the one of the new should both run")
	}
}

// testPause: no step runs while paused; resuming continues where each was.
func testPause(t *testing.T, w *ws) {
	a, b := w.tag("a"), w.tag("b")
	j := w.create(journey.Input{Name: "p", Trigger: manual(), Steps: []schematype.JourneyStep{
		{AddTags: tags(a)}, {Wait: &schematype.WaitStep{Hours: 2}}, {AddTags: tags(b)},
	}})
	w.activate(j.ID)
	l := w.leads(1)[0]
	w.enroll(j.ID, l)
	w.run()
	if _, err := w.j.SetStatus(w.ctx, j.ID, "PAUSED"); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(3 * time.Hour)
	if res := w.run(); res.Steps != 0 || w.hasTag(l, b) {
		t.Fatalf("a paused journey ran %d steps", res.Steps)
	}
	// Enrolling into a paused journey waits too.
	l2 := w.leads(1)[0]
	w.enroll(j.ID, l2)
	if res := w.run(); res.Steps != 0 {
		t.Fatalf("a paused journey ran %d steps", res.Steps)
	}
	w.activate(j.ID)
	w.run()
	if !w.hasTag(l, b) || w.enrolment(j.ID, l).Status != enrollment.StatusCOMPLETED {
		t.Fatal("resuming should finish the wait that fell due meanwhile")
	}
	if !w.hasTag(l2, a) || w.hasTag(l2, b) {
		t.Fatal("the lead enrolled while paused should start after the resume, then wait")
	}
}

// testReentry: one active enrolment per lead; re-entry after leaving only
// with reentry.
func testReentry(t *testing.T, w *ws) {
	a := w.tag("a")
	steps := []schematype.JourneyStep{{AddTags: tags(a)}}
	once := w.create(journey.Input{Name: "once", Trigger: manual(), Steps: steps})
	again := w.create(journey.Input{Name: "again", Trigger: manual(), Steps: steps, Reentry: true})
	w.activate(once.ID)
	w.activate(again.ID)
	l := w.leads(1)[0]
	for _, j := range []uuid.UUID{once.ID, again.ID} {
		if got := w.enroll(j, l, l); got.Enrolled != 1 {
			t.Fatalf("first enrolment = %+v", got)
		}
		if got := w.enroll(j, l); got.Enrolled != 0 || got.Skipped != 1 {
			t.Fatalf("an active lead enrolled twice: %+v", got)
		}
	}
	w.run()
	if got := w.enroll(once.ID, l); got.Enrolled != 0 {
		t.Fatalf("without reentry a lead that left enrolled again: %+v", got)
	}
	if got := w.enroll(again.ID, l); got.Enrolled != 1 {
		t.Fatalf("with reentry a lead that left should enrol again: %+v", got)
	}
	// The database refuses a second active enrolment even without the
	// statement's ON CONFLICT.
	e := w.enrolment(again.ID, l)
	_, err := w.c.Enrollment.Create().SetJourneyID(again.ID).SetVersionID(e.VersionID).SetLeadID(l).
		SetStepStartedAt(t0).SetEnteredAt(t0).Save(w.ctx)
	if err == nil {
		t.Fatal("a second active enrolment was stored")
	}
}

// testConcurrentPasses runs two passes at once over the same due rows:
// every step runs exactly once.
func testConcurrentPasses(t *testing.T, w *ws) {
	a, b := w.tag("a"), w.tag("b")
	j := w.create(journey.Input{Name: "c", Trigger: manual(), Steps: []schematype.JourneyStep{
		{AddTags: tags(a)}, {RemoveTags: tags(a)}, {AddTags: tags(b)},
	}})
	w.activate(j.ID)
	leads := w.leads(3000)
	w.enroll(j.ID, leads...)
	var wg sync.WaitGroup
	results := make([]*journey.RunResult, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = w.j.RunDue(w.ctx, journey.RunOptions{BatchSize: 250})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pass %d: %v", i, err)
		}
	}
	if got := results[0].Steps + results[1].Steps; got != 9000 {
		t.Fatalf("the passes ran %d + %d steps; want 9000 in all", results[0].Steps, results[1].Steps)
	}
	if results[0].Steps == 0 || results[1].Steps == 0 {
		t.Logf("one pass did all the work (%d, %d)", results[0].Steps, results[1].Steps)
	}
	var runs, distinct int
	err := w.db.DB.QueryRowContext(context.Background(), `SELECT count(*), count(DISTINCT (enrollment_id, step_index)) FROM step_runs WHERE tenant_id = $1`, w.id).Scan(&runs, &distinct)
	if err != nil || runs != 9000 || distinct != 9000 {
		t.Fatalf("step runs = %d (%d distinct), %v; want 9000", runs, distinct, err)
	}
	stats, _ := w.j.Stats(w.ctx, j.ID)
	if stats.Completed != 3000 {
		t.Fatalf("stats = %+v", stats)
	}
}

func TestReassign(t *testing.T) {
	w := newWorkspace(t, testenv.NewDatabase(t))
	reps := w.reps(2)
	strategy := assignmentrule.StrategyROUND_ROBIN
	if _, err := w.svc.Assigner.CreateRule(w.ctx, assign.RulePatch{Name: ptr("all"), Strategy: &strategy, Enabled: ptr(true),
		Targets: []assign.TargetSpec{{UserID: reps[0], Weight: 1}, {UserID: reps[1], Weight: 1}}}); err != nil {
		t.Fatal(err)
	}
	leads := w.leads(4)
	for _, l := range leads {
		if err := w.c.Lead.UpdateOneID(l).SetOwnerID(reps[0]).Exec(w.ctx); err != nil {
			t.Fatal(err)
		}
	}
	rules := w.create(journey.Input{Name: "二次分配", Trigger: manual(), Steps: []schematype.JourneyStep{
		{Reassign: &schematype.ReassignStep{To: "RULES", ExcludeCurrentOwner: true}}}})
	toPool := w.create(journey.Input{Name: "回池", Trigger: manual(), Steps: []schematype.JourneyStep{
		{Reassign: &schematype.ReassignStep{To: "POOL"}}}})
	w.activate(rules.ID)
	w.activate(toPool.ID)
	w.enroll(rules.ID, leads[:3]...)
	w.enroll(toPool.ID, leads[3])
	if res := w.run(); res.Steps != 4 {
		t.Fatalf("pass = %+v", res)
	}
	for _, id := range leads[:3] {
		l, err := w.c.Lead.Get(w.ctx, id)
		if err != nil || l.OwnerID == nil || *l.OwnerID != reps[1] {
			t.Fatalf("lead owner = %v (%v); want the other rep %s, never the one it had", l.OwnerID, err, reps[1])
		}
	}
	l, err := w.c.Lead.Get(w.ctx, leads[3])
	if err != nil || l.OwnerID != nil || l.PoolID == nil {
		t.Fatalf("lead = owner %v pool %v (%v); want unowned in a pool", l.OwnerID, l.PoolID, err)
	}
	var releases int
	_ = w.db.DB.QueryRow(`SELECT count(*) FROM owner_changes WHERE tenant_id = $1 AND kind = 'RELEASE' AND by = 'SYSTEM'`, w.id).Scan(&releases)
	if releases != 4 {
		t.Fatalf("%d SYSTEM releases recorded; want 4", releases)
	}
}
