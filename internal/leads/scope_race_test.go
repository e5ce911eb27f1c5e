package leads_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/txn"
)

// raceWrite is one lead write path: the leads it needs (the first is the
// one a refusal names at field), whether they carry the tag first, and the
// write itself, as a rep.
type raceWrite struct {
	name   string
	leads  int
	tagged bool
	field  string
	write  func(ctx context.Context, ids []uuid.UUID) error
}

// TestLeadWritesCheckScopeAfterLocking: every lead write checks the
// caller's write scope against the lead as it stands once its row is
// locked, not before. Transaction A changes the owner of the rep's lead and
// holds the row; the rep's write starts, must wait on A's lock, and once A
// commits is judged against A's owner: a lead reassigned to another rep or
// released to a pool is FORBIDDEN (and nothing is written), a lead just
// assigned to the rep may be written.
func TestLeadWritesCheckScopeAfterLocking(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	user := func(name string) *auth.Viewer {
		u, err := org.New(f.c).CreateUser(f.ctx, org.UserInput{Name: name, Email: name + "@race.test", Password: "user-password", Roles: []string{"rep"}})
		if err != nil {
			t.Fatal(err)
		}
		return &auth.Viewer{TenantID: f.tid, UserID: u.ID, Roles: []string{"rep"}, LeadScopes: []string{policy.ScopeOwn, policy.ScopePool}}
	}
	rep, other := user("rep"), user("other")
	pool, err := f.c.Pool.Create().SetName("open").Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	group, err := tagging.New(f.c, nil).CreateTagGroup(f.ctx, "race", false, 0, []string{"hot"})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := f.c.Tag.Query().Where(tag.GroupID(group.ID)).IDs(f.ctx)
	if err != nil || len(tags) != 1 {
		t.Fatalf("tags %v, %v", tags, err)
	}
	openStages, err := f.c.Stage.Query().Where(stage.KindEQ(stage.KindOPEN)).IDs(f.ctx)
	if err != nil || len(openStages) < 2 {
		t.Fatalf("open stages %v, %v", openStages, err)
	}
	name := "renamed"

	writes := []raceWrite{
		{name: "update", leads: 1, field: "id", write: func(ctx context.Context, ids []uuid.UUID) error {
			_, err := leads.New(f.c).Update(ctx, nil, "CN", ids[0], leads.Patch{Name: &name})
			return err
		}},
		{name: "follow-up", leads: 1, field: "leadID", write: func(ctx context.Context, ids []uuid.UUID) error {
			_, err := leads.New(f.c).CreateFollowUp(ctx, now, leads.FollowUpInput{LeadID: ids[0], Kind: followup.KindCALL, Content: "called", Author: &rep.UserID})
			return err
		}},
		{name: "deal", leads: 1, field: "leadID", write: func(ctx context.Context, ids []uuid.UUID) error {
			_, err := leads.New(f.c).CreateDeal(ctx, now, leads.DealInput{LeadID: ids[0], Amount: 10, Actor: &rep.UserID})
			return err
		}},
		{name: "merge", leads: 2, field: "primaryID", write: func(ctx context.Context, ids []uuid.UUID) error {
			_, err := leads.New(f.c).Merge(ctx, ids[0], ids[1:], &rep.UserID, now)
			return err
		}},
		{name: "move stage", leads: 1, field: "id", write: func(ctx context.Context, ids []uuid.UUID) error {
			l, err := f.c.Lead.Get(f.ctx, ids[0])
			if err != nil {
				return err
			}
			to := openStages[0]
			if l.StageID != nil && *l.StageID == to {
				to = openStages[1]
			}
			_, err = pipeline.New(f.c, nil).MoveLeadStage(ctx, ids[0], to, &rep.UserID, "", nil, now)
			return err
		}},
		{name: "tag", leads: 1, field: "leadIDs[0]", write: func(ctx context.Context, ids []uuid.UUID) error {
			_, err := tagging.New(f.c, nil).TagLeads(ctx, ids, tags, &rep.UserID, "")
			return err
		}},
		{name: "untag", leads: 1, tagged: true, field: "leadIDs[0]", write: func(ctx context.Context, ids []uuid.UUID) error {
			_, err := tagging.New(f.c, nil).UntagLeads(ctx, ids, tags)
			return err
		}},
	}
	// What transaction A does to the leads, who owns them before, and the
	// error the rep's write gets (nil: it is written).
	changes := []struct {
		name   string
		before *auth.Viewer
		after  func() []any // owner_id, pool_id
		want   error
	}{
		{name: "reassigned to another rep", before: rep, after: func() []any { return []any{other.UserID, nil} }, want: scope.ErrOutOfScope},
		{name: "released to a pool", before: rep, after: func() []any { return []any{nil, pool.ID} }, want: scope.ErrReadOnly},
		{name: "assigned to the rep", before: other, after: func() []any { return []any{rep.UserID, nil} }},
	}
	seq := 0
	for _, w := range writes {
		for _, ch := range changes {
			t.Run(w.name+"/"+ch.name, func(t *testing.T) {
				ids := make([]uuid.UUID, w.leads)
				for i := range ids {
					seq++
					res := f.ingest(t, leads.Batch{Rows: []leads.Row{{Name: fmt.Sprintf("race %d", seq), Phone: fmt.Sprintf("1390000%04d", seq)}}})
					ids[i] = res.Rows[0].LeadID
					if err := f.c.Lead.UpdateOneID(ids[i]).SetOwnerID(ch.before.UserID).ClearPoolID().Exec(f.ctx); err != nil {
						t.Fatal(err)
					}
				}
				if w.tagged {
					if _, err := tagging.New(f.c, nil).TagLeads(f.ctx, ids, tags, nil, ""); err != nil {
						t.Fatal(err)
					}
				}

				tx, err := f.c.Tx(f.ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = tx.Rollback() }()
				if _, err := tx.Client().ExecContext(f.ctx, `UPDATE leads SET owner_id = $1, pool_id = $2 WHERE tenant_id = $3 AND id = ANY($4::uuid[])`,
					append(ch.after(), f.tid, txn.UUIDArray(ids))...); err != nil {
					t.Fatal(err)
				}
				// What the workspace looks like once A commits, if the write
				// then writes nothing.
				want := raceDigest(t, f.ctx, tx.Client(), f.tid)

				done := make(chan error, 1)
				go func() { done <- w.write(auth.NewContext(f.ctx, rep), ids) }()
				waitForLockWait(t, f, done)
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				var werr error
				select {
				case werr = <-done:
				case <-time.After(time.Minute):
					t.Fatal("the write did not finish after the lock was released")
				}

				if ch.want == nil {
					if werr != nil {
						t.Fatalf("the write was refused: %v", werr)
					}
					if raceDigest(t, f.ctx, f.c, f.tid) == want {
						t.Fatal("the write reported success but wrote nothing")
					}
					return
				}
				ae, ok := apperr.As(werr)
				if !ok || ae.Code != apperr.Forbidden || ae.Field != w.field || !errors.Is(werr, ch.want) {
					t.Fatalf("got %v, want FORBIDDEN at %s (%v)", werr, w.field, ch.want)
				}
				if got := raceDigest(t, f.ctx, f.c, f.tid); got != want {
					t.Fatalf("the refused write wrote:\n got %s\nwant %s", got, want)
				}
			})
		}
	}
}

// waitForLockWait returns once a session of the test database waits on a
// lock (the write, behind transaction A), and fails if the write finishes
// first or nothing waits within the deadline.
func waitForLockWait(t *testing.T, f *fixture, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := f.db.DB.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the write did not wait for the row lock of the concurrent change (it returned %v)", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the write never waited on the concurrent change's row lock")
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not a wait for the interleaving
	}
}

// raceDigest is the state of the workspace's leads and of everything a
// lead write adds or removes, as c sees it.
func raceDigest(t *testing.T, ctx context.Context, c *ent.Client, tid uuid.UUID) string {
	t.Helper()
	rows, err := c.QueryContext(ctx, `SELECT concat_ws(' | ',
		(SELECT string_agg(to_jsonb(l)::text, ',' ORDER BY l.id) FROM leads l WHERE l.tenant_id = $1),
		(SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.id) FROM follow_ups x WHERE x.tenant_id = $1),
		(SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.id) FROM deals x WHERE x.tenant_id = $1),
		(SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.id) FROM stage_changes x WHERE x.tenant_id = $1),
		(SELECT string_agg(x.lead_id::text || ':' || x.tag_id::text, ',' ORDER BY x.lead_id, x.tag_id) FROM lead_tags x WHERE x.tenant_id = $1),
		(SELECT count(*)::text FROM events x WHERE x.tenant_id = $1))`, tid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var s string
	if rows.Next() {
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}
