package duplicates_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/duplicates"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// acme is a new database with the workspace acme.
func acme(t *testing.T) (*testenv.Database, *workspace.Created) {
	t.Helper()
	db := testenv.NewDatabase(t)
	c, err := workspace.Create(context.Background(), db.Client, workspace.Spec{Slug: "acme", Name: "Acme",
		AdminName: "Admin", AdminEmail: "admin@acme.test", AdminPassword: "password-acme"})
	if err != nil {
		t.Fatal(err)
	}
	return db, c
}

// TestDismiss marks groups as not duplicates: a dismissed group is left out
// of the page and of its total, in SQL (pages of one go through the others);
// dismissing again changes nothing; a lead that joins the group brings it
// back with all its leads; the undo restores it; NAME_COMPANY groups are
// case- and space-insensitive; every refusal (kind seen masked, too few or
// repeated ids, unknown, out of write scope, not of the group) writes nothing.
func TestDismiss(t *testing.T) {
	db, c := acme(t)
	ctx := context.Background()
	tid := c.Workspace.ID
	seq := 0
	add := func(name, company, status, phone string, ago int) uuid.UUID {
		t.Helper()
		seq++
		id := gid.New(gid.Lead)
		var ph any
		if phone != "" {
			ph = phone
		}
		if _, err := db.DB.ExecContext(ctx, `INSERT INTO leads (id, tenant_id, seq, created_at, updated_at, attributes, reachable, name, company, status, phone)
			VALUES ($1, $2, $3, now() - $4 * interval '1 minute', now(), '{}', '[]', $5, $6, $7, $8)`,
			id, tid, seq, ago, name, company, status, ph); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// Four phone groups, newest first: g[0] .. g[3], each an active lead and
	// an archived one.
	var g [4][]uuid.UUID
	for i := range g {
		p := fmt.Sprintf("+8613800000%02d", i)
		g[i] = []uuid.UUID{add("active", "", "ACTIVE", p, 10*i), add("archived", "", "ARCHIVED", p, 10*i+1)}
	}
	merged := add("merged", "", "MERGED", "+861380000000", 50)
	// One company and name, as typed four ways; another name at it.
	n := []uuid.UUID{
		add("Zhang San", "ACME Ltd", "ACTIVE", "", 60),
		add(" zhang san ", " acme ltd ", "ACTIVE", "", 61),
		add("ZHANG SAN", "Acme LTD", "ACTIVE", "", 62),
	}
	other := add("Li Si", "ACME Ltd", "ACTIVE", "", 63)

	svc := duplicates.New(txn.NewRoot(db.Client))
	base := tenant.NewContext(ctx, tid)
	admin := auth.NewContext(base, &auth.Viewer{TenantID: tid, UserID: c.Admin.ID, Roles: []string{"admin"},
		LeadScopes: []string{policy.ScopeAll}, ContactGrant: true})
	now := time.Now()
	actor := &c.Admin.ID

	groups := func(kind duplicates.Kind) [][]uuid.UUID {
		t.Helper()
		var out [][]uuid.UUID
		var after *duplicates.After
		total := -1
		for {
			p, err := svc.Groups(admin, kind, 1, after)
			if err != nil {
				t.Fatal(err)
			}
			if total >= 0 && len(p.Groups) > 0 && p.Total != total {
				t.Fatalf("%s: total %d on one page, %d on another", kind, total, p.Total)
			}
			if len(p.Groups) > 0 {
				total = p.Total
			}
			for _, gr := range p.Groups {
				var ids []uuid.UUID
				for _, l := range gr.Leads {
					ids = append(ids, l.ID)
				}
				out = append(out, ids)
			}
			if !p.HasNext {
				break
			}
			last := p.Groups[len(p.Groups)-1]
			after = &duplicates.After{At: last.NewestAt, ID: last.NewestID}
		}
		if total >= 0 && total != len(out) {
			t.Fatalf("%s: total %d, %d groups paged", kind, total, len(out))
		}
		return out
	}
	dismissals := func() int {
		var n int
		if err := db.DB.QueryRowContext(ctx, `SELECT count(*) FROM duplicate_dismissals`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	same := func(got [][]uuid.UUID, want ...[]uuid.UUID) bool {
		return slices.EqualFunc(got, want, func(a, b []uuid.UUID) bool {
			return len(a) == len(b) && !slices.ContainsFunc(b, func(id uuid.UUID) bool { return !slices.Contains(a, id) })
		})
	}

	if got := groups(duplicates.Phone); !same(got, g[0], g[1], g[2], g[3]) {
		t.Fatalf("phone groups = %v, want the four", got)
	}
	if got := groups(duplicates.NameCompany); !same(got, n) {
		t.Fatalf("name and company groups = %v, want %v: case and spaces do not matter", got, n)
	}

	// Refusals write nothing.
	masked := auth.NewContext(base, &auth.Viewer{TenantID: tid, UserID: c.Admin.ID, Roles: []string{"partner"},
		LeadScopes: []string{policy.ScopeAll}})
	rep := auth.NewContext(base, &auth.Viewer{TenantID: tid, UserID: c.Admin.ID, Roles: []string{"rep"},
		LeadScopes: []string{policy.ScopeOwn}, ContactGrant: true})
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		kind  duplicates.Kind
		ids   []uuid.UUID
		code  apperr.Code
		field string
	}{
		{"kind seen masked", masked, duplicates.Phone, g[1], apperr.Forbidden, "kind"},
		{"unknown kind", admin, "SAME_SHOE", g[1], apperr.BadInput, "kind"},
		{"one lead", admin, duplicates.Phone, g[1][:1], apperr.BadInput, "leadIDs"},
		{"a lead twice", admin, duplicates.Phone, []uuid.UUID{g[1][0], g[1][1], g[1][0]}, apperr.BadInput, "leadIDs[2]"},
		{"unknown lead", admin, duplicates.Phone, []uuid.UUID{g[1][0], gid.New(gid.Lead)}, apperr.NotFound, "leadIDs[1]"},
		{"not a lead", admin, duplicates.Phone, []uuid.UUID{g[1][0], c.Admin.ID}, apperr.NotFound, "leadIDs[1]"},
		{"out of write scope", rep, duplicates.Phone, g[1], apperr.Forbidden, "leadIDs[0]"},
		{"another group's lead", admin, duplicates.Phone, []uuid.UUID{g[1][0], g[1][1], g[2][1]}, apperr.BadInput, "leadIDs[2]"},
		{"a merged lead", admin, duplicates.Phone, []uuid.UUID{g[0][0], merged}, apperr.BadInput, "leadIDs[1]"},
		{"another name", admin, duplicates.NameCompany, []uuid.UUID{n[0], other}, apperr.BadInput, "leadIDs[1]"},
		{"not a name group's lead", admin, duplicates.NameCompany, []uuid.UUID{n[0], g[1][0]}, apperr.BadInput, "leadIDs[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := svc.Dismiss(tc.ctx, tc.kind, tc.ids, nil, actor, now)
			e, ok := apperr.As(err)
			if !ok || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("Dismiss = %v, want %s at %s", err, tc.code, tc.field)
			}
			if _, err := svc.Restore(tc.ctx, tc.kind, tc.ids, nil, actor, now); tc.name != "another group's lead" && tc.name != "a merged lead" &&
				tc.name != "another name" && tc.name != "not a name group's lead" {
				if e, ok := apperr.As(err); !ok || e.Code != tc.code || e.Field != tc.field {
					t.Fatalf("Restore = %v, want %s at %s", err, tc.code, tc.field)
				}
			}
			if d := dismissals(); d != 0 {
				t.Fatalf("%d dismissals written", d)
			}
		})
	}

	// Dismissed (twice: one row), g[1] is left out of every page and the total.
	for range 2 {
		if err := svc.Dismiss(admin, duplicates.Phone, []uuid.UUID{g[1][1], g[1][0]}, nil, actor, now); err != nil {
			t.Fatal(err)
		}
	}
	if d := dismissals(); d != 1 {
		t.Fatalf("%d dismissals after dismissing twice, want 1", d)
	}
	if got := groups(duplicates.Phone); !same(got, g[0], g[2], g[3]) {
		t.Fatalf("phone groups after dismissing g1 = %v", got)
	}
	var events int
	if err := db.DB.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE name = $1 AND lead_id = ANY($2::uuid[])`,
		duplicates.EventDismissed, txn.UUIDArray(g[1])).Scan(&events); err != nil || events != 2 {
		t.Fatalf("%d dismissal events (%v), want one per lead", events, err)
	}
	// A name and company group likewise.
	if err := svc.Dismiss(admin, duplicates.NameCompany, n, nil, actor, now); err != nil {
		t.Fatal(err)
	}
	if got := groups(duplicates.NameCompany); len(got) != 0 {
		t.Fatalf("name and company groups after dismissing = %v", got)
	}

	// A new lead with g[1]'s phone: the group is back with all three.
	joined := add("joined", "", "ARCHIVED", "+861380000001", 0)
	back := append(slices.Clone(g[1]), joined)
	if got := groups(duplicates.Phone); !same(got, back, g[0], g[2], g[3]) {
		t.Fatalf("phone groups after a lead joined g1 = %v, want g1 first with %v", got, back)
	}
	// Dismissed with the three, and the undo right after brings it back.
	if err := svc.Dismiss(admin, duplicates.Phone, back, nil, actor, now); err != nil {
		t.Fatal(err)
	}
	if got := groups(duplicates.Phone); !same(got, g[0], g[2], g[3]) {
		t.Fatalf("phone groups after dismissing g1 again = %v", got)
	}
	if ok, err := svc.Restore(admin, duplicates.Phone, []uuid.UUID{joined, g[1][1], g[1][0]}, nil, actor, now); err != nil || !ok {
		t.Fatalf("Restore = %v, %v", ok, err)
	}
	if got := groups(duplicates.Phone); !same(got, back, g[0], g[2], g[3]) {
		t.Fatalf("phone groups after the undo = %v", got)
	}
	if ok, err := svc.Restore(admin, duplicates.Phone, back, nil, actor, now); err != nil || ok {
		t.Fatalf("Restore of nothing = %v, %v; want false", ok, err)
	}
	// The older dismissal of two (still there) does not hide the three.
	if d := dismissals(); d != 2 {
		t.Fatalf("%d dismissals, want g1's first and the name group's", d)
	}
}

// TestDismissCoversTheWholeGroup: a group larger than a page of its leads
// is dismissed whole from the leads shown (the server reads the rest by the
// key), so it leaves the list; the undo with the same leads brings it back
// whole. A lead of the group the viewer reads but may not change (a pool's)
// refuses the dismissal, even when it is not among the leads named, and
// nothing is written.
func TestDismissCoversTheWholeGroup(t *testing.T) {
	db, c := acme(t)
	ctx := context.Background()
	tid := c.Workspace.ID
	base := tenant.NewContext(ctx, tid)
	rep, err := db.Client.User.Create().SetEmail("rep@acme.test").SetName("Rep").SetPasswordHash("x").SetRoles([]string{"rep"}).Save(base)
	if err != nil {
		t.Fatal(err)
	}
	const phone, size = "+8613900000000", duplicates.MaxLeadsPerGroup + 11
	// The rep's group: an active lead and size-1 archived ones, all the rep's.
	if _, err := db.DB.ExecContext(ctx, `INSERT INTO leads (id, tenant_id, seq, created_at, updated_at, attributes, reachable, name, status, phone, owner_id)
		SELECT gen_random_uuid(), $1, n, now() - n * interval '1 minute', now(), '{}', '[]', 'L' || n,
			CASE WHEN n = 1 THEN 'ACTIVE' ELSE 'ARCHIVED' END, $2, $3
		FROM generate_series(1, $4) AS n`, tid, phone, rep.ID, size); err != nil {
		t.Fatal(err)
	}
	viewer := auth.NewContext(base, &auth.Viewer{TenantID: tid, UserID: rep.ID, Roles: []string{"rep"},
		LeadScopes: []string{policy.ScopeOwn, policy.ScopePool}, ContactGrant: true})
	svc := duplicates.New(txn.NewRoot(db.Client))
	now := time.Now()
	shown := func() (int, []uuid.UUID) {
		t.Helper()
		p, err := svc.Groups(viewer, duplicates.Phone, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Groups) == 0 {
			return 0, nil
		}
		var ids []uuid.UUID
		for _, l := range p.Groups[0].Leads {
			ids = append(ids, l.ID)
		}
		return p.Groups[0].Count, ids
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.DB.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n, page := shown()
	if n != size || len(page) != duplicates.MaxLeadsPerGroup {
		t.Fatalf("group of %d with %d leads shown, want %d with a page of %d", n, len(page), size, duplicates.MaxLeadsPerGroup)
	}

	// A pool lead of the same phone: the rep reads it, may not change it.
	pooled := gid.New(gid.Lead)
	if _, err := db.DB.ExecContext(ctx, `INSERT INTO leads (id, tenant_id, seq, created_at, updated_at, attributes, reachable, name, status, phone, pool_id)
		VALUES ($1, $2, $3, now() - interval '1 day', now(), '{}', '[]', 'pooled', 'ARCHIVED', $4, (SELECT id FROM pools WHERE tenant_id = $2 AND is_default))`,
		pooled, tid, size+1, phone); err != nil {
		t.Fatal(err)
	}
	if n, _ := shown(); n != size+1 {
		t.Fatalf("group of %d with the pool lead, want %d", n, size+1)
	}
	err = svc.Dismiss(viewer, duplicates.Phone, page, nil, &rep.ID, now)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Forbidden || e.Field != "leadIDs" {
		t.Fatalf("Dismiss with a read-only lead beyond the page = %v, want FORBIDDEN at leadIDs", err)
	}
	if d := count(`SELECT count(*) FROM duplicate_dismissals`) + count(`SELECT count(*) FROM events`); d != 0 {
		t.Fatalf("a refused dismissal wrote %d rows", d)
	}
	if _, err := db.DB.ExecContext(ctx, `UPDATE leads SET pool_id = NULL, owner_id = $1 WHERE id = $2`, rep.ID, pooled); err != nil {
		t.Fatal(err)
	}

	// Dismissed from the leads shown: the whole group leaves the list.
	if err := svc.Dismiss(viewer, duplicates.Phone, page, nil, &rep.ID, now); err != nil {
		t.Fatal(err)
	}
	if n, _ := shown(); n != 0 {
		t.Fatalf("after dismissing, a group of %d is listed; want none", n)
	}
	if got := count(`SELECT cardinality(lead_ids) FROM duplicate_dismissals`); got != size+1 {
		t.Fatalf("the dismissal holds %d leads, want the group's %d", got, size+1)
	}
	if got := count(`SELECT count(*) FROM events WHERE name = $1`, duplicates.EventDismissed); got != size+1 {
		t.Fatalf("%d dismissal events, want one per lead of the group", got)
	}
	// The undo, with the same leads, brings it back whole.
	if ok, err := svc.Restore(viewer, duplicates.Phone, page, nil, &rep.ID, now); err != nil || !ok {
		t.Fatalf("Restore = %v, %v", ok, err)
	}
	if n, _ := shown(); n != size+1 {
		t.Fatalf("after the undo, a group of %d; want %d", n, size+1)
	}
	if got := count(`SELECT count(*) FROM duplicate_dismissals`); got != 0 {
		t.Fatalf("%d dismissals after the undo", got)
	}
	if got := count(`SELECT count(*) FROM events WHERE name = $1`, duplicates.EventRestored); got != size+1 {
		t.Fatalf("%d restore events, want one per lead of the group", got)
	}
}
