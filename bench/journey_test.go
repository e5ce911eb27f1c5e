package bench_test

import (
	"context"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/segment"
)

// journeyLeads is the size of the journey benchmark: SCRM_BENCH_JOURNEY_LEADS,
// default 100,000.
func journeyLeads() int {
	if n, err := strconv.Atoi(os.Getenv("SCRM_BENCH_JOURNEY_LEADS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkJourney enrols SCRM_BENCH_JOURNEY_LEADS leads (default 100,000),
// owned by 20 reps, in a journey of wait 1 day → add a tag → create a task
// for the owner → condition (has the tag) → reassign through a ROUND_ROBIN rule excluding the current
// owner, with the production services on a fake clock. The first pass (the
// waits found not over) and the enrolment are not timed; then the clock
// moves a day on and the scheduler passes that run every step of every
// enrolment are. It reports step executions per second, the rows per second
// of one plain set-based UPDATE of the same enrolment rows (the anchor) and
// their ratio (the goal is at least 0.25).
func BenchmarkJourney(b *testing.B) {
	n := journeyLeads()
	pw := newPoolWorkspace(b, 20, 10_000_000, func(u *ent.PoolUpdateOne) {
		u.ClearRecycleNoFollowUpDays().ClearRecycleNoDealDays().ClearRemindBeforeDays().
			SetCooldownDays(0).SetProtectionDays(0).ClearDailyClaimLimit()
	})
	pw.generateLeads(b, n, `interval '1 day'`)
	clock := platform.NewFakeClock(benchNow)
	svc, err := app.New(context.Background(), app.Config{Client: pw.db.Client, DB: pw.db.DB, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	ctx := pw.ctx
	targets := make([]assign.TargetSpec, len(pw.reps))
	for i, r := range pw.reps {
		targets[i] = assign.TargetSpec{UserID: r, Weight: 1}
	}
	name, strategy, on := "everyone", assignmentrule.StrategyROUND_ROBIN, true
	if _, err := svc.Assigner.CreateRule(ctx, assign.RulePatch{Name: &name, Strategy: &strategy, Targets: targets, Enabled: &on}); err != nil {
		b.Fatal(err)
	}
	tg, err := pw.db.Client.Tag.Create().SetName("nurtured").Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	steps := []schematype.JourneyStep{
		{Wait: &schematype.WaitStep{Days: 1}},
		{AddTags: &schematype.TagsStep{TagIDs: []uuid.UUID{tg.ID}}},
		{CreateTask: &schematype.CreateTaskStep{Title: "回访", DueInHours: 24, Assignee: journey.AssigneeOwner}},
		{Condition: &schematype.ConditionStep{Rule: segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{tg.ID}}}}},
		{Reassign: &schematype.ReassignStep{To: journey.ReassignRules, ExcludeCurrentOwner: true}},
	}
	j, err := svc.Journeys.Create(ctx, journey.Input{Name: "bench", Trigger: schematype.JourneyTrigger{Manual: &schematype.EmptyTrigger{}}, Steps: steps})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Journeys.SetStatus(ctx, j.ID, "ACTIVE"); err != nil {
		b.Fatal(err)
	}
	ids, err := pw.db.Client.Lead.Query().IDs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	enrolStart := time.Now()
	for chunk := range slices.Chunk(ids, journey.MaxLeads) {
		if _, err := svc.Journeys.EnrollLeads(ctx, j.ID, chunk); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("enrolled %d leads in %v", len(ids), time.Since(enrolStart).Round(time.Millisecond))
	if res, err := svc.Journeys.RunDue(ctx, journey.RunOptions{}); err != nil || res.Rescheduled != n {
		b.Fatalf("first pass = %+v, %v; want %d waits rescheduled", res, err, n)
	}
	if _, err := pw.db.DB.Exec(`VACUUM ANALYZE enrollments, leads, lead_tags`); err != nil {
		b.Fatal(err)
	}
	clock.Advance(24 * time.Hour)
	b.ResetTimer()
	start := time.Now()
	res, err := svc.Journeys.RunDue(ctx, journey.RunOptions{})
	elapsed := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if want := n * len(steps); res.Steps != want {
		b.Fatalf("ran %d steps, want %d", res.Steps, want)
	}
	var completed, sameOwner int
	if err := pw.db.DB.QueryRow(`SELECT count(*) FROM enrollments WHERE tenant_id = $1 AND status = 'COMPLETED'`, pw.tid).Scan(&completed); err != nil || completed != n {
		b.Fatalf("%d enrolments completed (%v), want %d", completed, err, n)
	}
	// One task per lead, for the owner it had at the step.
	var tasks int
	if err := pw.db.DB.QueryRow(`SELECT count(*) FROM tasks WHERE tenant_id = $1 AND journey_id = $2`, pw.tid, j.ID).Scan(&tasks); err != nil || tasks != n {
		b.Fatalf("%d tasks (%v), want %d", tasks, err, n)
	}
	// Reassigned leads never went back to the owner they had.
	if err := pw.db.DB.QueryRow(`SELECT count(*) FROM owner_changes o JOIN leads l ON l.tenant_id = o.tenant_id AND l.id = o.lead_id
		WHERE o.tenant_id = $1 AND o.kind = 'RELEASE' AND o.by = 'SYSTEM' AND l.owner_id = o.from_user_id`, pw.tid).Scan(&sameOwner); err != nil || sameOwner != 0 {
		b.Fatalf("%d leads went back to their owner (%v)", sameOwner, err)
	}
	// The anchor: one set-based UPDATE of the same enrolment rows.
	anchorStart := time.Now()
	r, err := pw.db.DB.Exec(`UPDATE enrollments SET step_index = step_index + 1, step_started_at = $2, next_run_at = $2
		WHERE tenant_id = $1`, pw.tid, clock.Now())
	anchor := time.Since(anchorStart)
	if err != nil {
		b.Fatal(err)
	}
	rows, _ := r.RowsAffected()
	stepsPerSec := float64(res.Steps) / elapsed.Seconds()
	anchorPerSec := float64(rows) / anchor.Seconds()
	for _, part := range slices.Sorted(maps.Keys(res.Took)) {
		b.Logf("took %-12s %v", part, res.Took[part].Round(time.Millisecond))
	}
	b.ReportMetric(stepsPerSec, "steps/s")
	b.ReportMetric(anchorPerSec, "anchor-rows/s")
	b.ReportMetric(stepsPerSec/anchorPerSec, "steps/anchor")
	b.ReportMetric(elapsed.Seconds(), "run-s")
	b.ReportMetric(float64(res.Batches), "batches")
}
