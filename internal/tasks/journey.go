package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// Assignees of a journey's task.
const (
	AssigneeOwner   = "OWNER"   // the lead's owner
	AssigneeManager = "MANAGER" // the manager of the owner's team
	AssigneeUser    = "USER"    // a named user
)

// StepTasks is one createTask step run over a group of enrolments.
type StepTasks struct {
	JourneyID   uuid.UUID
	StepIndex   int
	Title       string
	Description string
	DueAt       time.Time
	Assignee    string
	UserID      *uuid.UUID
	// Journey is the journey's name and TimeZone the workspace's zone, for
	// the task.assigned notification of each task made.
	Journey  string
	TimeZone *time.Location
	// Enrollments and Leads are parallel: enrolment i is of lead i.
	Enrollments []uuid.UUID
	Leads       []uuid.UUID
}

// fromJourneySQL creates one task per enrolment whose assignee resolves to
// an active user, and tells each assignee once per run of the step: one
// task.assigned notification ($13 … $15) per assignee, naming the lead and
// the task when the assignee got one task, else the number of tasks (a journey over a
// rep's 2,000 leads is one notice, not 2,000). The unique (enrolment, step)
// key makes a repeated run create nothing, and so notify nobody again. It
// returns a row per task made (the lead, no notification) and one per
// notification (its id, no lead). The leads are read first by their ids (a
// materialised CTE): joined directly, the planner went from each active
// user to every lead they own. Each is a probe of the primary key (a
// lateral subquery with LIMIT, which the planner cannot turn into a join):
// named by `id = ANY($3)`, the 2,000 leads of a batch were read by a
// sequential scan of the workspace's leads (14 ms a batch at 100,000).
const fromJourneySQL = `
WITH e AS (
	SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS e(enrollment_id, lead_id)
), l AS MATERIALIZED (
	SELECT l.id, l.owner_id FROM unnest($3::uuid[]) AS u(id)
	CROSS JOIN LATERAL (SELECT id, owner_id FROM leads WHERE tenant_id = $1 AND id = u.id LIMIT 1) l
), a AS (
	SELECT e.enrollment_id, l.id AS lead_id,
		CASE $4::text WHEN 'OWNER' THEN l.owner_id WHEN 'MANAGER' THEN tm.manager_id ELSE $5::uuid END AS assignee_id
	FROM e
	JOIN l ON l.id = e.lead_id
	LEFT JOIN users o ON o.tenant_id = $1 AND o.id = l.owner_id
	LEFT JOIN teams tm ON tm.tenant_id = $1 AND tm.id = o.team_id
), made AS (
	INSERT INTO tasks (id, tenant_id, created_at, updated_at, kind, title, description, status, due_at,
		assignee_id, lead_id, journey_id, enrollment_id, step_index)
	SELECT %s, $1, $6, $6, 'TASK', $7, $8, 'OPEN', $9, a.assignee_id, a.lead_id, $10, a.enrollment_id, $11
	FROM a JOIN users u ON u.tenant_id = $1 AND u.id = a.assignee_id AND u.active
	ON CONFLICT (tenant_id, enrollment_id, step_index) DO NOTHING
	RETURNING id, assignee_id, lead_id
), g AS (
	SELECT assignee_id, count(*) AS n, min(lead_id::text)::uuid AS one, min(id::text)::uuid AS task
	FROM made GROUP BY assignee_id
), notes AS (
	INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, task_id, message, created_at)
	SELECT %s, $1, g.assignee_id, '` + KindAssigned + `', CASE WHEN g.n = 1 THEN g.one END,
		CASE WHEN g.n = 1 THEN g.task END,
		left(CASE WHEN g.n = 1 THEN $13 ELSE $14 || g.n || $15 END, 1000), $6
	FROM g
	RETURNING id
)
SELECT lead_id, NULL::uuid FROM made
UNION ALL
SELECT NULL::uuid, id FROM notes`

var fromJourneyQuery = fmt.Sprintf(fromJourneySQL, gid.NewSQL("$6::timestamptz", "$12::bytea"),
	gid.NewSQL("$6::timestamptz", "$16::bytea"))

// journeyMessages are the task.assigned messages of a journey's task: one
// for a single task, and the two parts around the number of several. The
// journey names who gave them, as the caller does for a task by hand.
func journeyMessages(in StepTasks) (one, before, after string) {
	loc := in.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	due := in.DueAt.In(loc).Format("2006-01-02 15:04")
	return fmt.Sprintf("旅程「%s」给你安排了待办「%s」（截止 %s）。", in.Journey, in.Title, due),
		fmt.Sprintf("旅程「%s」给你安排了 ", in.Journey),
		fmt.Sprintf(" 个待办「%s」（截止 %s）。", in.Title, due)
}

// FromJourney creates the tasks of a createTask step in the transaction of
// c (the engine's, which records the step runs with them), tells each
// assignee once (task.assigned: the task, or how many) and queues their
// delivery through the outbox of the transaction ctx carries. It returns why
// each lead that got none did not: no owner, no team manager, or an
// inactive assignee.
func (s *Service) FromJourney(ctx context.Context, c *ent.Client, in StepTasks) (map[uuid.UUID]string, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	var user any
	if in.UserID != nil {
		user = *in.UserID
	}
	one, before, after := journeyMessages(in)
	rows, err := c.QueryContext(ctx, fromJourneyQuery, tid, txn.UUIDArray(in.Enrollments), txn.UUIDArray(in.Leads),
		in.Assignee, user, s.Now(), in.Title, in.Description, in.DueAt, in.JourneyID, in.StepIndex, taskType,
		one, before, after, notificationType)
	if err != nil {
		return nil, fmt.Errorf("tasks: create from journey: %w", err)
	}
	defer rows.Close()
	made := make(map[uuid.UUID]bool, len(in.Leads))
	var notes []uuid.UUID
	for rows.Next() {
		var lead, note uuid.NullUUID
		if err := rows.Scan(&lead, &note); err != nil {
			return nil, err
		}
		if lead.Valid {
			made[lead.UUID] = true
		} else {
			notes = append(notes, note.UUID)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(notes) > 0 && s.Notify != nil {
		if err := s.Notify.DeliverNotifications(ctx, tid, notes); err != nil {
			return nil, err
		}
	}
	why := map[string]string{
		AssigneeOwner:   "the lead has no active owner to give the task to",
		AssigneeManager: "the owner's team has no active manager to give the task to",
		AssigneeUser:    "the task's user is deactivated",
	}[in.Assignee]
	failed := map[uuid.UUID]string{}
	for _, id := range in.Leads {
		if !made[id] {
			failed[id] = why
		}
	}
	return failed, nil
}
