// Package scope turns a viewer's lead scopes (policy resource lead.scope) into
// the row filter of every lead query. It is installed once on the ent client,
// so lists, counts, pagination, node lookups and edge loads all respect it.
package scope

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/intercept"
	"github.com/scrmhq/scrm/ent/job"
	"github.com/scrmhq/scrm/ent/lead"
	entpredicate "github.com/scrmhq/scrm/ent/predicate"
	"github.com/scrmhq/scrm/ent/savedview"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Install adds the row filters to client: leads by the viewer's lead
// scopes; jobs to their creator, unless the viewer sees every job (job
// manage); tasks to their assignee, unless the viewer sees every task (task
// manage); saved views to their owner's and the shared ones. A job, task or
// view another user cannot see does not exist for them.
func Install(client *ent.Client) {
	client.Lead.Intercept(intercept.TraverseLead(func(ctx context.Context, q *ent.LeadQuery) error {
		if f := Filter(ctx); f != nil {
			q.Where(f)
		}
		return nil
	}))
	client.Job.Intercept(intercept.TraverseJob(func(ctx context.Context, q *ent.JobQuery) error {
		if v := auth.FromContext(ctx); v != nil && !v.AllJobs {
			q.Where(job.CreatedByID(v.UserID))
		}
		return nil
	}))
	client.Task.Intercept(intercept.TraverseTask(func(ctx context.Context, q *ent.TaskQuery) error {
		if v := auth.FromContext(ctx); v != nil && !v.AllTasks {
			q.Where(TaskPredicate(v))
		}
		return nil
	}))
	client.SavedView.Intercept(intercept.TraverseSavedView(func(ctx context.Context, q *ent.SavedViewQuery) error {
		if v := auth.FromContext(ctx); v != nil {
			q.Where(savedview.Or(savedview.OwnerID(v.UserID), savedview.Shared(true)))
		}
		return nil
	}))
}

// TaskPredicate is the row filter of the tasks v sees without seeing every
// task: its own, and with task manage (TeamTasks) those of the members of
// the teams it manages.
func TaskPredicate(v *auth.Viewer) entpredicate.Task {
	if !v.TeamTasks {
		return task.AssigneeID(v.UserID)
	}
	return task.Or(task.AssigneeID(v.UserID), func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(task.FieldAssigneeID)).WriteString(" IN (SELECT u.id FROM users u JOIN teams t ON t.id = u.team_id AND t.tenant_id = u.tenant_id WHERE u.tenant_id = ").
				Arg(v.TenantID).WriteString(" AND t.manager_id = ").Arg(v.UserID).WriteString(")")
		}))
	})
}

// Filter is the row filter the client's lead queries get in ctx, for a
// statement written in SQL: nil when there is none (an Unscoped context, or
// no viewer: system and background contexts, where the tenant filter still
// applies).
func Filter(ctx context.Context) func(*sql.Selector) {
	if unscoped(ctx) {
		return nil
	}
	v := auth.FromContext(ctx)
	if v == nil {
		return nil
	}
	return Predicate(v)
}

type unscopedKey struct{}

// Unscoped marks ctx so lead queries skip the row filter (tenant scoping
// stays). Services use it only to tell "not visible" from "does not exist",
// e.g. to answer FORBIDDEN for a write on a lead outside the caller's scope.
func Unscoped(ctx context.Context) context.Context {
	return context.WithValue(ctx, unscopedKey{}, true)
}

func unscoped(ctx context.Context) bool {
	v, _ := ctx.Value(unscopedKey{}).(bool)
	return v
}

// Mode is what a caller is about to do with leads. Read scope and write
// scope are separate decisions: a rep sees, and may claim, the unowned
// leads of the pools open to them, but changes only leads in their write
// scope (policy.WriteScopes).
type Mode int

const (
	// Read is seeing a lead, and claiming or assigning it from its pool.
	Read Mode = iota
	// Write is changing a lead: its fields, follow-ups, tags, stage, deals,
	// merges and suppressions.
	Write
)

// Predicate is the lead row filter of v (its read scope): the OR of its
// scopes; none sees nothing.
func Predicate(v *auth.Viewer) func(*sql.Selector) {
	return predicate(v, v.LeadScopes)
}

// WritePredicate is the filter of the leads v may change: Predicate over
// the write scopes only.
func WritePredicate(v *auth.Viewer) func(*sql.Selector) {
	return predicate(v, policy.WriteScopes(v.LeadScopes))
}

// predicateFor is the filter of the leads v may see (Read) or change (Write).
func predicateFor(v *auth.Viewer, m Mode) func(*sql.Selector) {
	if m == Write {
		return WritePredicate(v)
	}
	return Predicate(v)
}

// predicate is the OR of scopes for v.
func predicate(v *auth.Viewer, scopes []string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if slices.Contains(scopes, policy.ScopeAll) {
			return
		}
		var ors []*sql.Predicate
		tid := v.TenantID
		col := func(c string) string { return s.C(c) }
		if slices.Contains(scopes, policy.ScopeOwn) && v.UserID != uuid.Nil {
			ors = append(ors, sql.EQ(col(lead.FieldOwnerID), v.UserID))
		}
		if slices.Contains(scopes, policy.ScopeTeam) && v.UserID != uuid.Nil {
			ors = append(ors, sql.P(func(b *sql.Builder) {
				b.Ident(col(lead.FieldOwnerID)).WriteString(" IN (SELECT u.id FROM users u JOIN teams t ON t.id = u.team_id AND t.tenant_id = u.tenant_id WHERE u.tenant_id = ").
					Arg(tid).WriteString(" AND t.manager_id = ").Arg(v.UserID).WriteString(")")
			}))
		}
		if slices.Contains(scopes, policy.ScopeTerritory) && v.UserID != uuid.Nil {
			ors = append(ors, sql.P(func(b *sql.Builder) {
				b.Ident(col(lead.FieldTerritoryID)).WriteString(" IN (SELECT t.id FROM territories t JOIN territories mine ON t.path LIKE mine.path || '%' JOIN user_territories ut ON ut.territory_id = mine.id WHERE t.tenant_id = ").
					Arg(tid).WriteString(" AND mine.tenant_id = ").Arg(tid).WriteString(" AND ut.user_id = ").Arg(v.UserID).WriteString(")")
			}))
		}
		if slices.Contains(scopes, policy.ScopePool) {
			ors = append(ors, sql.P(func(b *sql.Builder) {
				// An unowned lead in a pool that is open to everyone (no team or
				// territory restriction) or to one of the user's teams or
				// territories (or a territory above one of them).
				b.Ident(col(lead.FieldOwnerID)).WriteString(" IS NULL AND ").Ident(col(lead.FieldPoolID)).
					WriteString(" IN (SELECT p.id FROM pools p WHERE p.tenant_id = ").Arg(tid).
					WriteString(" AND ((NOT EXISTS (SELECT 1 FROM pool_teams pt WHERE pt.pool_id = p.id) AND NOT EXISTS (SELECT 1 FROM pool_territories ptr WHERE ptr.pool_id = p.id))").
					WriteString(" OR EXISTS (SELECT 1 FROM pool_teams pt JOIN users u ON u.team_id = pt.team_id WHERE pt.pool_id = p.id AND u.id = ").Arg(v.UserID).WriteString(")").
					WriteString(" OR EXISTS (SELECT 1 FROM pool_territories ptr JOIN territories pterr ON pterr.id = ptr.territory_id JOIN territories mine ON mine.path LIKE pterr.path || '%' JOIN user_territories ut ON ut.territory_id = mine.id WHERE ptr.pool_id = p.id AND ut.user_id = ").Arg(v.UserID).WriteString(")))")
			}))
		}
		if slices.Contains(scopes, policy.ScopePartner) && v.PartnerID != nil {
			pid := *v.PartnerID
			ors = append(ors, sql.EQ(col(lead.FieldPartnerID), pid), sql.P(func(b *sql.Builder) {
				b.Ident(col(lead.FieldTerritoryID)).WriteString(" IN (SELECT t.id FROM territories t JOIN territories theirs ON t.path LIKE theirs.path || '%' JOIN partner_territories pt ON pt.territory_id = theirs.id WHERE t.tenant_id = ").
					Arg(tid).WriteString(" AND theirs.tenant_id = ").Arg(tid).WriteString(" AND pt.partner_id = ").Arg(pid).WriteString(")")
			}))
		}
		if len(ors) == 0 {
			s.Where(sql.False())
			return
		}
		s.Where(sql.Or(ors...))
	}
}

// Errors of a check.
var (
	// ErrOutOfScope is returned for writes on leads the caller cannot see.
	ErrOutOfScope = errors.New("lead is outside your scope")
	// ErrReadOnly is returned for writes on leads the caller sees but may
	// not change, such as the unowned leads of a pool.
	ErrReadOnly = errors.New("lead is outside your write scope: you may see it but not change it (claim or assign it first)")
)

// CheckLeads makes sure every id is a lead of the workspace (NOT_FOUND at
// "field[i]" otherwise) inside the caller's scope for m (FORBIDDEN
// otherwise), before the caller touches any of them. Two set-based reads,
// whatever the count (three when refusing a write, to say why). A write
// checks with LockLeads instead, in its transaction: a check that does not
// hold the rows races with whoever reassigns them.
func CheckLeads(ctx context.Context, c *ent.Client, m Mode, field string, ids []uuid.UUID) error {
	return check(ctx, c, m, ids, func(i int) string { return fmt.Sprintf("%s[%d]", field, i) }, false)
}

// CheckLead is CheckLeads for a single id at field.
func CheckLead(ctx context.Context, c *ent.Client, m Mode, field string, id uuid.UUID) error {
	return check(ctx, c, m, []uuid.UUID{id}, func(int) string { return field }, false)
}

// LockLeads is CheckLeads for the write that follows it: it first locks the
// rows of ids (FOR UPDATE, in id order like every bulk lead write, whatever
// the caller's scope), then checks them. Every statement of the check runs
// after the lock is granted, so (READ COMMITTED) it reads each lead as the
// transaction that held it last committed it (an assignment, a release, a
// recycle), which is the row the write then changes; a check made before
// the lock could pass on an owner who is gone by the time the write lands.
//
// c must be the client of the transaction that writes (txn.WithTx): the
// locks last until it ends, and outside one they would end with the
// statement. Callers read the locked rows afterwards without FOR UPDATE.
func LockLeads(ctx context.Context, c *ent.Client, m Mode, field string, ids []uuid.UUID) error {
	return Lock(ctx, c, m, ids, func(i int) string { return fmt.Sprintf("%s[%d]", field, i) })
}

// LockLead is LockLeads for a single id at field.
func LockLead(ctx context.Context, c *ent.Client, m Mode, field string, id uuid.UUID) error {
	return Lock(ctx, c, m, []uuid.UUID{id}, func(int) string { return field })
}

// Lock is LockLeads for ids that come from several inputs: field(i) names
// ids[i] in an error. The rows are locked in one statement, so in id order
// whatever input they came from.
func Lock(ctx context.Context, c *ent.Client, m Mode, ids []uuid.UUID, field func(i int) string) error {
	return check(ctx, c, m, ids, field, true)
}

// idSet is ids as a set.
func idSet(ids []uuid.UUID) map[uuid.UUID]struct{} {
	out := make(map[uuid.UUID]struct{}, len(ids))
	for _, id := range ids {
		out[id] = struct{}{}
	}
	return out
}

// check refuses the first of ids that does not exist (NOT_FOUND) or is
// outside the caller's scope for m (FORBIDDEN). With lock, the statement
// that finds the ids locks their rows first (see LockLeads).
func check(ctx context.Context, c *ent.Client, m Mode, ids []uuid.UUID, field func(int) string, lock bool) error {
	if len(ids) == 0 {
		return nil
	}
	if _, ok := tenant.FromContext(ctx); !ok {
		return tenant.ErrMissing
	}
	distinct := slices.Compact(slices.SortedFunc(slices.Values(ids), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }))
	q := c.Lead.Query().Where(lead.IDIn(distinct...))
	if lock {
		q = q.Order(lead.ByID()).ForUpdate()
	}
	exist, err := q.IDs(Unscoped(ctx))
	if err != nil {
		return err
	}
	v := auth.FromContext(ctx)
	inScope := func(m Mode) ([]uuid.UUID, error) {
		if v == nil {
			return exist, nil
		}
		return c.Lead.Query().Where(lead.IDIn(distinct...), predicateFor(v, m)).IDs(Unscoped(ctx))
	}
	allowedIDs, err := inScope(m)
	if err != nil {
		return err
	}
	// Sets: a batch of thousands of ids is checked in linear time.
	existing, allowed := idSet(exist), idSet(allowedIDs)
	for i, id := range ids {
		if _, ok := existing[id]; !ok {
			return apperr.New(apperr.NotFound, field(i), "lead not found")
		}
		if _, ok := allowed[id]; ok {
			continue
		}
		why := ErrOutOfScope
		if m == Write {
			readable, err := inScope(Read)
			if err != nil {
				return err
			}
			if slices.Contains(readable, id) {
				why = ErrReadOnly
			}
		}
		return apperr.Wrap(why, apperr.Forbidden, field(i), why.Error())
	}
	return nil
}
