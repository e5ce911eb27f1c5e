package journey

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/journeyversion"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/tasks"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// RunOptions bound one scheduler pass.
type RunOptions struct {
	// BatchSize is how many enrolments one transaction takes (default 2000).
	BatchSize int
	// MaxBatches stops the pass after so many batches (0: until nothing is
	// due).
	MaxBatches int
}

// RunResult is what a pass did.
type RunResult struct {
	Batches int
	// Steps counts the step runs written (each an executed, skipped,
	// exited or failed step of one enrolment).
	Steps int
	// Rescheduled counts enrolments whose wait was found not over yet.
	Rescheduled int
	// Took is the time spent per step kind (the group's run, its effect
	// included) and in the batches' "claim" and "flush" (the step runs and
	// enrolment moves written), for profiling a pass.
	Took map[string]time.Duration
}

// took adds d to what part took.
func (r *RunResult) took(part string, d time.Duration) {
	if r.Took == nil {
		r.Took = map[string]time.Duration{}
	}
	r.Took[part] += d
}

// claimSQL takes up to $3 due enrolments of the workspace, oldest due first,
// skipping those another pass holds. The order is the partial index's
// (tenant_id, next_run_at), so a claim reads its batch off the index: a
// tiebreak column outside it (all of a big journey's enrolments are due at
// one instant) made every claim sort every due row, O(due) per batch. Each
// row carries its lead's status (one primary-key probe per row; a separate
// statement for the batch's ids read the whole leads table).
const claimSQL = `
SELECT e.id, e.lead_id, e.journey_id, e.version_id, e.step_index, e.step_started_at,
	(SELECT l.status FROM leads l WHERE l.tenant_id = $1 AND l.id = e.lead_id)
FROM enrollments e
WHERE e.tenant_id = $1 AND e.status = 'ACTIVE' AND e.next_run_at <= $2
	AND EXISTS (SELECT 1 FROM journeys j WHERE j.tenant_id = $1 AND j.id = e.journey_id AND j.status = 'ACTIVE')
ORDER BY e.next_run_at
LIMIT $3
FOR UPDATE OF e SKIP LOCKED`

// activeJourneysSQL share-locks those of $2 that are still ACTIVE, skipping
// any a status change holds: their enrolments wait for the next batch, and
// a pause that committed first is honoured.
const activeJourneysSQL = `
SELECT id, name FROM journeys WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'ACTIVE'
FOR SHARE SKIP LOCKED`

// enrolment is one claimed row.
type enrolment struct {
	id, lead, journey, version uuid.UUID
	step                       int
	started                    time.Time
	leadStatus                 string // when claimed
}

// pass is one RunDue call: the workspace's settings and the versions it
// read, which never change.
type pass struct {
	s        *Service
	tid      uuid.UUID
	now      time.Time
	loc      *time.Location
	versions map[uuid.UUID]*ent.JourneyVersion
	res      RunResult
}

// RunDue runs the due steps of the ACTIVE journeys of the workspace in ctx,
// in batches of enrolments, one transaction each, until none is due (or
// MaxBatches). It is system work: no caller's row scope limits it. Any
// number of passes may run at once, in any number of processes.
func (s *Service) RunDue(ctx context.Context, opt RunOptions) (*RunResult, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	ctx = scope.Unscoped(ctx)
	if opt.BatchSize <= 0 {
		opt.BatchSize = defaultBatch
	}
	set, err := workspace.SettingsOf(ctx, s.DB(ctx), tid)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(set.Timezone)
	if err != nil {
		return nil, fmt.Errorf("journey: workspace time zone %q: %w", set.Timezone, err)
	}
	p := &pass{s: s, tid: tid, loc: loc, versions: map[uuid.UUID]*ent.JourneyVersion{}}
	for opt.MaxBatches == 0 || p.res.Batches < opt.MaxBatches {
		p.now = s.Now()
		var claimed int
		err := txn.Retry(ctx, s.DB(ctx), 5, txn.LostRace, func(ctx context.Context, c *ent.Client) error {
			var err error
			claimed, err = p.batch(ctx, c, opt.BatchSize)
			return err
		})
		if err != nil {
			return &p.res, err
		}
		if claimed == 0 {
			break
		}
		p.res.Batches++
	}
	return &p.res, nil
}

// batch claims due enrolments and runs their steps, grouped by version and
// step, in the transaction c. It returns how many it claimed.
//
// An enrolment whose next step is due at once (any step but a wait that is
// not over) runs it in the same batch, in a next round: the batch takes
// each of its enrolments as far as it can go now, and writes each
// enrolment's final place once. A lead's steps still run in order, each
// seeing the effects of the one before (the same transaction), and each
// (enrolment, step) at most once: steps only move forward.
func (p *pass) batch(ctx context.Context, c *ent.Client, size int) (int, error) {
	start := time.Now()
	claimed, err := p.claim(ctx, c, size)
	p.res.took("claim", time.Since(start))
	if err != nil || len(claimed) == 0 {
		return len(claimed), err
	}
	journeys := map[uuid.UUID]bool{}
	for _, e := range claimed {
		journeys[e.journey] = true
	}
	names, err := p.activeJourneys(ctx, c, keys(journeys))
	if err != nil {
		return 0, err
	}
	claimed = slices.DeleteFunc(claimed, func(e enrolment) bool { _, ok := names[e.journey]; return !ok })
	if err := p.loadVersions(ctx, c, claimed); err != nil {
		return 0, err
	}
	w := &writes{p: p}
	round := claimed[:0:0]
	for _, e := range claimed {
		// A lead that is no longer ACTIVE (merged into another, archived)
		// leaves.
		if e.leadStatus != "ACTIVE" {
			w.leave(e, e.step, stepKind(p.versions[e.version], e.step), "EXITED", "the lead is "+e.leadStatus)
			continue
		}
		round = append(round, e)
	}
	// Each round moves every enrolment in it at least one step on, so a
	// version of n steps takes at most n+1 rounds.
	for len(round) > 0 {
		w.next = nil
		if err := p.round(ctx, c, w, names, round); err != nil {
			return 0, err
		}
		round = w.next
	}
	start = time.Now()
	if err := w.flush(ctx, c); err != nil {
		return 0, err
	}
	p.res.took("flush", time.Since(start))
	return len(claimed), nil
}

// round runs es grouped by (version, step), in the order the groups first
// appear.
func (p *pass) round(ctx context.Context, c *ent.Client, w *writes, names map[uuid.UUID]string, es []enrolment) error {
	type key struct {
		version uuid.UUID
		step    int
	}
	groups := map[key][]enrolment{}
	var order []key
	for _, e := range es {
		k := key{e.version, e.step}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e)
	}
	for _, k := range order {
		g := &group{p: p, w: w, version: p.versions[k.version], index: k.step, name: names[p.versions[k.version].JourneyID], es: groups[k]}
		start := time.Now()
		if err := g.run(ctx, c); err != nil {
			return err
		}
		p.res.took(stepKind(g.version, g.index), time.Since(start))
	}
	return nil
}

func (p *pass) claim(ctx context.Context, c *ent.Client, size int) ([]enrolment, error) {
	rows, err := c.QueryContext(ctx, claimSQL, p.tid, p.now, size)
	if err != nil {
		return nil, fmt.Errorf("journey: claim due enrolments: %w", err)
	}
	defer rows.Close()
	var out []enrolment
	for rows.Next() {
		var e enrolment
		if err := rows.Scan(&e.id, &e.lead, &e.journey, &e.version, &e.step, &e.started, &e.leadStatus); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (p *pass) activeJourneys(ctx context.Context, c *ent.Client, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	rows, err := c.QueryContext(ctx, activeJourneysSQL, p.tid, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("journey: lock journeys: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]string{}
	for rows.Next() {
		var id uuid.UUID
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

func (p *pass) loadVersions(ctx context.Context, c *ent.Client, es []enrolment) error {
	var missing []uuid.UUID
	for _, e := range es {
		if _, ok := p.versions[e.version]; !ok && !slices.Contains(missing, e.version) {
			missing = append(missing, e.version)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	vs, err := c.JourneyVersion.Query().Where(journeyversion.IDIn(missing...)).All(ctx)
	if err != nil {
		return err
	}
	for _, v := range vs {
		p.versions[v.ID] = v
	}
	return nil
}

func stepKind(v *ent.JourneyVersion, i int) string {
	if v == nil || i < 0 || i >= len(v.Steps) {
		return "end"
	}
	return v.Steps[i].Kind()
}

func keys(m map[uuid.UUID]bool) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// wake is when a wait that started at from is over: from plus the days (as
// calendar days in loc), hours and minutes, then, with atLocalTime, the
// next such time of day in loc at or after that.
func wake(from time.Time, w *schematype.WaitStep, loc *time.Location) time.Time {
	t := from.In(loc).AddDate(0, 0, w.Days).Add(time.Duration(w.Hours)*time.Hour + time.Duration(w.Minutes)*time.Minute)
	if w.AtLocalTime == "" {
		return t
	}
	hh, _ := strconv.Atoi(w.AtLocalTime[:2])
	mm, _ := strconv.Atoi(w.AtLocalTime[3:])
	at := time.Date(t.Year(), t.Month(), t.Day(), hh, mm, 0, 0, loc)
	if at.Before(t) {
		at = time.Date(t.Year(), t.Month(), t.Day()+1, hh, mm, 0, 0, loc)
	}
	return at
}

// group is the claimed enrolments at one step of one version.
type group struct {
	p       *pass
	w       *writes
	version *ent.JourneyVersion
	index   int
	name    string // the journey's, for reasons recorded by effects
	es      []enrolment
}

func (g *group) leads(es []enrolment) []uuid.UUID {
	out := make([]uuid.UUID, len(es))
	for i, e := range es {
		out[i] = e.lead
	}
	return out
}

// run runs the group's step: the exit rule first, then the step, recording
// a step run per enrolment and where each goes next.
func (g *group) run(ctx context.Context, c *ent.Client) error {
	steps := g.version.Steps
	if g.index >= len(steps) {
		for _, e := range g.es {
			g.w.advance(e, g.index, len(steps))
		}
		return nil
	}
	step := steps[g.index]
	kind := step.Kind()
	es := g.es
	if step.Wait != nil {
		var due []enrolment
		for _, e := range es {
			if at := wake(e.started, step.Wait, g.p.loc); at.After(g.p.now) {
				g.w.reschedule(e, at)
				continue
			}
			due = append(due, e)
		}
		es = due
	}
	if len(es) == 0 {
		return nil
	}
	if len(g.w.touched) > 0 && (readsUpdatedAt(step) || g.version.ExitRule != nil && segment.ReadsUpdatedAt(g.version.ExitRule)) {
		if err := g.w.touch(ctx, c, false); err != nil {
			return err
		}
	}
	if g.version.ExitRule != nil {
		m, err := g.p.s.Segments.Match(ctx, g.version.ExitRule, g.leads(es))
		if err != nil {
			return fmt.Errorf("journey: exit rule: %w", err)
		}
		es = slices.DeleteFunc(es, func(e enrolment) bool {
			if m[e.lead] {
				g.w.leave(e, g.index, kind, "EXITED", "matched the exit rule")
			}
			return m[e.lead]
		})
		if len(es) == 0 {
			return nil
		}
	}
	switch {
	case step.Wait != nil:
		g.completeAll(es, kind)
		return nil
	case step.Condition != nil:
		return g.condition(ctx, es, step.Condition)
	}
	failed, err := g.effect(ctx, c, step, es)
	if err != nil {
		return err
	}
	for _, e := range es {
		if why, ok := failed[e.lead]; ok {
			g.w.leave(e, g.index, kind, "FAILED", why)
			continue
		}
		g.w.run(e, g.index, kind, "COMPLETED", "")
		g.w.advance(e, g.index+1, len(steps))
	}
	return nil
}

func (g *group) completeAll(es []enrolment, kind string) {
	for _, e := range es {
		g.w.run(e, g.index, kind, "COMPLETED", "")
		g.w.advance(e, g.index+1, len(g.version.Steps))
	}
}

func (g *group) condition(ctx context.Context, es []enrolment, cond *schematype.ConditionStep) error {
	m, err := g.p.s.Segments.Match(ctx, &cond.Rule, g.leads(es))
	if err != nil {
		return fmt.Errorf("journey: condition: %w", err)
	}
	n := len(g.version.Steps)
	for _, e := range es {
		switch {
		case m[e.lead]:
			g.w.run(e, g.index, schematype.StepCondition, "COMPLETED", "")
			g.w.advance(e, g.index+1, n)
		case cond.Otherwise == OtherwiseSkipNext:
			g.w.run(e, g.index, schematype.StepCondition, "COMPLETED", "")
			g.w.run(e, g.index+1, stepKind(g.version, g.index+1), "SKIPPED", "the condition before it did not match")
			g.w.advance(e, g.index+2, n)
		default:
			g.w.leave(e, g.index, schematype.StepCondition, "EXITED", "did not match the condition")
		}
	}
	return nil
}

// effect runs a step that changes leads, under a savepoint: a refusal of the
// whole step (an apperr: a tag or stage that no longer exists) rolls it back
// and fails every enrolment of the group with the reason; a per-lead refusal
// fails that lead only (returned by lead). Other errors fail the batch,
// which the next pass retries.
func (g *group) effect(ctx context.Context, c *ent.Client, step schematype.JourneyStep, es []enrolment) (map[uuid.UUID]string, error) {
	var failed map[uuid.UUID]string
	err := savepoint(ctx, c, func(ctx context.Context, c *ent.Client) error {
		var err error
		failed, err = g.apply(ctx, c, step, es)
		return err
	})
	var ae *apperr.Error
	if errors.As(err, &ae) {
		failed = make(map[uuid.UUID]string, len(es))
		for _, e := range es {
			failed[e.lead] = ae.Message
		}
		return failed, nil
	}
	return failed, err
}

// savepoint runs fn in the transaction c under a savepoint, rolled back
// when fn fails.
func savepoint(ctx context.Context, c *ent.Client, fn func(ctx context.Context, c *ent.Client) error) error {
	return txn.Retry(ctx, c, 1, func(error) bool { return false }, fn)
}

// apply is the effect of one step kind over the group's leads.
func (g *group) apply(ctx context.Context, c *ent.Client, step schematype.JourneyStep, es []enrolment) (map[uuid.UUID]string, error) {
	s := g.p.s
	leads := g.leads(es)
	switch {
	case step.AddTags != nil:
		changed, err := s.Tags.TagLeadsUntouched(ctx, leads, step.AddTags.TagIDs, nil, "RULE")
		g.w.touched = append(g.w.touched, changed...)
		return nil, err
	case step.RemoveTags != nil:
		_, err := s.Tags.UntagLeads(ctx, leads, step.RemoveTags.TagIDs)
		return nil, err
	case step.MoveStage != nil:
		return g.moveStage(ctx, c, step.MoveStage.StageID, leads)
	case step.Reassign != nil:
		return nil, g.reassign(ctx, c, step.Reassign, leads)
	case step.Webhook != nil:
		return nil, g.webhook(ctx, c, step.Webhook.URL, es)
	case step.SendMessage != nil:
		return nil, g.sendMessage(ctx, c, step.SendMessage, leads)
	case step.CreateTask != nil && s.Tasks != nil:
		t := step.CreateTask
		in := tasks.StepTasks{JourneyID: g.version.JourneyID, StepIndex: g.index, Title: t.Title,
			Description: t.Description, DueAt: g.p.now.Add(time.Duration(t.DueInHours) * time.Hour),
			Assignee: t.Assignee, UserID: t.UserID, Journey: g.name, TimeZone: g.p.loc,
			Leads: leads, Enrollments: make([]uuid.UUID, len(es))}
		for i, e := range es {
			in.Enrollments[i] = e.id
		}
		return s.Tasks.FromJourney(ctx, c, in)
	}
	return nil, apperr.Input("steps", "the step %q cannot run", step.Kind())
}

// moveStage moves each lead (pipeline rules are per lead), each under its
// own savepoint so one refusal fails that lead only.
func (g *group) moveStage(ctx context.Context, c *ent.Client, stageID uuid.UUID, leads []uuid.UUID) (map[uuid.UUID]string, error) {
	failed := map[uuid.UUID]string{}
	reason := "journey: " + g.name
	for _, id := range leads {
		err := savepoint(ctx, c, func(ctx context.Context, _ *ent.Client) error {
			_, err := g.p.s.Pipelines.MoveLeadStage(ctx, id, stageID, nil, reason, nil, g.p.now)
			return err
		})
		var ae *apperr.Error
		if errors.As(err, &ae) {
			failed[id] = ae.Message
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return failed, nil
}

// writes collects a batch's outcomes and writes them set-based.
type writes struct {
	p *pass
	// runs, column by column: the enrolment (an index into the enrolment
	// columns), the step and what happened
	runIDs                        []uuid.UUID
	runEnrol                      []int32
	runIndex                      []int64
	runKind, runOutcome, runError []string
	// the enrolments of the runs, column by column, and where each is
	enrolIDs, enrolJourney, enrolLead []uuid.UUID
	enrolAt                           map[uuid.UUID]int32
	// moves: where each enrolment that moved on ends the batch (to >= len:
	// completed)
	moves map[uuid.UUID]moveKey
	// next: enrolments moved on to a step that is due now, for the next
	// round of the batch
	next []enrolment
	// leaves: enrolments leaving with a status and reason
	leaves map[leaveKey][]uuid.UUID
	// later: waits not over yet
	laterIDs []uuid.UUID
	laterAt  []string
	// touched: leads whose tags the batch changed (TagLeadsUntouched),
	// whose updated_at is still to be set
	touched []uuid.UUID
}

type moveKey struct {
	version uuid.UUID
	to      int
}

type leaveKey struct{ status, why string }

func (w *writes) run(e enrolment, index int, kind, outcome, why string) {
	at, ok := w.enrolAt[e.id]
	if !ok {
		if w.enrolAt == nil {
			w.enrolAt = map[uuid.UUID]int32{}
		}
		at = int32(len(w.enrolIDs) + 1)
		w.enrolAt[e.id] = at
		w.enrolIDs = append(w.enrolIDs, e.id)
		w.enrolJourney = append(w.enrolJourney, e.journey)
		w.enrolLead = append(w.enrolLead, e.lead)
	}
	w.runIDs = append(w.runIDs, gid.New(gid.StepRun))
	w.runEnrol = append(w.runEnrol, at)
	w.runIndex = append(w.runIndex, int64(index))
	w.runKind = append(w.runKind, kind)
	w.runOutcome = append(w.runOutcome, outcome)
	w.runError = append(w.runError, clip(why))
}

// advance moves e on to step to; when that step is due now (not a wait
// that ends later) e runs it in the batch's next round.
func (w *writes) advance(e enrolment, to, n int) {
	if w.moves == nil {
		w.moves = map[uuid.UUID]moveKey{}
	}
	w.moves[e.id] = moveKey{e.version, to}
	if to >= n {
		return
	}
	if wait := w.p.versions[e.version].Steps[to].Wait; wait != nil && wake(w.p.now, wait, w.p.loc).After(w.p.now) {
		return
	}
	e.step, e.started = to, w.p.now
	w.next = append(w.next, e)
}

func (w *writes) leave(e enrolment, index int, kind, status, why string) {
	w.run(e, index, kind, status, why)
	delete(w.moves, e.id)
	if w.leaves == nil {
		w.leaves = map[leaveKey][]uuid.UUID{}
	}
	k := leaveKey{status, why}
	w.leaves[k] = append(w.leaves[k], e.id)
}

func (w *writes) reschedule(e enrolment, at time.Time) {
	w.laterIDs = append(w.laterIDs, e.id)
	w.laterAt = append(w.laterAt, at.UTC().Format(time.RFC3339Nano))
}

// insertRunsSQL writes the batch's step runs from column arrays: the
// enrolments' ($4 … $6) once each, and per run its id, its enrolment's
// place in them ($7, from 1), step, kind, outcome and error. A run that
// exists already violates the unique (enrolment, step) key and fails the
// batch, effects included: a step never runs twice.
//
// Each enrolment's three ids are sent once rather than with each of its
// runs: four ids per run (10,000 runs a batch) made the parameters about
// 1.5 MB of text to send and parse. The runs' ids are made in Go: made
// here (gid.NewSQL), they cost 7 µs a row, more than the insert.
const insertRunsSQL = `
INSERT INTO step_runs (id, tenant_id, enrollment_id, journey_id, lead_id, step_index, kind, outcome, ran_at, error)
SELECT r.id, $1, e.id, e.journey_id, e.lead_id, r.step_index, r.kind, r.outcome, $2, NULLIF(r.error, '')
FROM unnest($3::uuid[], $7::int4[], $8::int8[], $9::text[], $10::text[], $11::text[]) AS r(id, enrollment, step_index, kind, outcome, error)
JOIN unnest($4::uuid[], $5::uuid[], $6::uuid[]) WITH ORDINALITY AS e(id, journey_id, lead_id, n) ON e.n = r.enrollment`

// touchSQL sets updated_at of the leads whose tags the batch changed to the
// batch's time, except those a later write of the batch set already (a
// reassignment sets it to its own time, never earlier than the batch's):
// the tag step's own bump was a second update of each lead that the
// reassignment updates anyway, a new version of the row in every index of
// leads (no update of the row is HOT once the owner changes) and the
// re-check of its foreign keys by the update after it. A lead whose
// updated_at is later than the batch's time keeps it.
//
// Each lead is found by a probe of its primary key (a subquery per id, as
// the claim reads its leads): named by `id = ANY($3)`, 2,000 of 100,000
// leads were read by a sequential scan of the table (48 ms a batch, and
// growing with the workspace).
const touchSQL = `
UPDATE leads SET updated_at = $2
WHERE ctid = ANY(ARRAY(
	SELECT (SELECT l.ctid FROM leads l WHERE l.tenant_id = $1 AND l.id = u.id AND l.updated_at < $2)
	FROM unnest($3::uuid[]) AS u(id)))
	AND tenant_id = $1 AND updated_at < $2`

// touch writes the pending updated_at of the leads whose tags the batch
// changed. keep leaves them pending, for a caller under a savepoint that
// may be rolled back: the next touch writes them again, the guard of
// touchSQL making a lead already written a probe.
func (w *writes) touch(ctx context.Context, c *ent.Client, keep bool) error {
	if len(w.touched) == 0 {
		return nil
	}
	if _, err := c.ExecContext(ctx, touchSQL, w.p.tid, w.p.now, txn.UUIDArray(w.touched)); err != nil {
		return fmt.Errorf("journey: set updated_at of tagged leads: %w", err)
	}
	if !keep {
		w.touched = nil
	}
	return nil
}

// readsUpdatedAt reports whether step may read the leads' updated_at (or
// hands the leads to code that may), so the tag steps' pending updated_at
// is written before it runs: any step but a wait, a change of tags, a task,
// a reassignment (whose path through conditional rules writes it itself)
// and a condition that does not name it.
func readsUpdatedAt(step schematype.JourneyStep) bool {
	switch {
	case step.Wait != nil, step.AddTags != nil, step.RemoveTags != nil, step.CreateTask != nil, step.Reassign != nil:
		return false
	case step.Condition != nil:
		return segment.ReadsUpdatedAt(&step.Condition.Rule)
	}
	return true
}

// theEnrolments is the WHERE of an update of the enrolments $2 of the
// workspace $1: each row found by a probe of its primary key (its ctid, read
// by id), the conditions checked again on the row. By `id = ANY($2)` alone,
// the planner read a batch's 2,000 enrolments by a sequential scan of every
// enrolment of the workspace (12 ms a batch at 100,000).
const theEnrolments = `e.ctid = ANY(ARRAY(SELECT (SELECT x.ctid FROM enrollments x WHERE x.tenant_id = $1 AND x.id = u.id)
		FROM unnest($2::uuid[]) AS u(id)))
	AND e.tenant_id = $1 AND e.id = ANY($2::uuid[])`

func (w *writes) flush(ctx context.Context, c *ent.Client) error {
	p := w.p
	if err := w.touch(ctx, c, false); err != nil {
		return err
	}
	if len(w.runEnrol) > 0 {
		if _, err := c.ExecContext(ctx, insertRunsSQL, p.tid, p.now, txn.UUIDArray(w.runIDs), txn.UUIDArray(w.enrolIDs),
			txn.UUIDArray(w.enrolJourney), txn.UUIDArray(w.enrolLead), pq.Array(w.runEnrol), pq.Array(w.runIndex),
			pq.Array(w.runKind), pq.Array(w.runOutcome), pq.Array(w.runError)); err != nil {
			return fmt.Errorf("journey: record step runs: %w", err)
		}
		p.res.Steps += len(w.runEnrol)
	}
	moves := map[moveKey][]uuid.UUID{}
	for id, k := range w.moves {
		moves[k] = append(moves[k], id)
	}
	for k, ids := range moves {
		steps := p.versions[k.version].Steps
		var err error
		if k.to >= len(steps) {
			_, err = c.ExecContext(ctx, `UPDATE enrollments e SET status = 'COMPLETED', step_index = $3, next_run_at = NULL, left_at = $4
				WHERE `+theEnrolments, p.tid, txn.UUIDArray(ids), len(steps), p.now)
		} else {
			next := p.now
			if w := steps[k.to].Wait; w != nil {
				next = wake(p.now, w, p.loc)
			}
			_, err = c.ExecContext(ctx, `UPDATE enrollments e SET step_index = $3, step_started_at = $4, next_run_at = $5
				WHERE `+theEnrolments, p.tid, txn.UUIDArray(ids), k.to, p.now, next)
		}
		if err != nil {
			return fmt.Errorf("journey: advance enrolments: %w", err)
		}
	}
	for k, ids := range w.leaves {
		if _, err := c.ExecContext(ctx, `UPDATE enrollments e SET status = $3, next_run_at = NULL, left_at = $4, error = NULLIF($5, '')
			WHERE `+theEnrolments, p.tid, txn.UUIDArray(ids), k.status, p.now, clip(k.why)); err != nil {
			return fmt.Errorf("journey: end enrolments: %w", err)
		}
	}
	if len(w.laterIDs) > 0 {
		if _, err := c.ExecContext(ctx, `UPDATE enrollments e SET next_run_at = w.at
			FROM unnest($2::uuid[], $3::timestamptz[]) AS w(id, at) WHERE `+theEnrolments+` AND e.id = w.id`,
			p.tid, txn.UUIDArray(w.laterIDs), pq.Array(w.laterAt)); err != nil {
			return fmt.Errorf("journey: reschedule waits: %w", err)
		}
		p.res.Rescheduled += len(w.laterIDs)
	}
	return nil
}

func clip(s string) string {
	if r := []rune(s); len(r) > 2000 {
		return string(r[:2000])
	}
	return s
}

// reassign (二次分配), for RULES, gives each lead the rep the assignment
// rules pick, never the owner it had when ExcludeCurrentOwner, or returns
// it to its pool, in one update of the lead that records both the SYSTEM
// release and the rule's assignment (assign.Engine.Reassign). When a rule
// with a condition decides, which must see the lead in the pool, and for
// POOL, the leads are returned to their public pool first (set-based,
// recorded as a SYSTEM release) and, for RULES, then run through the rules
// in this transaction. A lead no rule places waits in its pool.
func (g *group) reassign(ctx context.Context, c *ent.Client, r *schematype.ReassignStep, leads []uuid.UUID) error {
	s := g.p.s
	reason := "journey: " + g.name
	if r.To != ReassignPool {
		res, err := s.Assigner.Reassign(ctx, leads, r.ExcludeCurrentOwner, reason)
		if err == nil {
			// Their update set updated_at: nothing left to touch.
			g.w.touched = slices.DeleteFunc(g.w.touched, func(id uuid.UUID) bool {
				_, released := res.Released[id]
				_, assigned := res.Assigned[id]
				return released || assigned
			})
		}
		if !errors.Is(err, assign.ErrConditional) {
			return err
		}
	}
	// The rules' conditions may read updatedAt of leads the return to the
	// pool does not write (those without an owner). Under the effect's
	// savepoint: kept pending, so a rollback loses nothing.
	if err := g.w.touch(ctx, c, true); err != nil {
		return err
	}
	owners := map[uuid.UUID]uuid.UUID{}
	for chunk := range slices.Chunk(leads, pool.MaxIDs) {
		moved, err := s.Pools.ReturnToPool(ctx, chunk, reason)
		if err != nil {
			return err
		}
		maps.Copy(owners, moved)
	}
	if r.To == ReassignPool {
		return nil
	}
	var exclude map[uuid.UUID]uuid.UUID
	if r.ExcludeCurrentOwner {
		exclude = owners
	}
	_, err := s.Assigner.RunExcluding(ctx, leads, exclude)
	return err
}
