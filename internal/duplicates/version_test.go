package duplicates_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/duplicates"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
)

// phoneGroup inserts n leads with phone in one statement, the first ACTIVE
// when active and the rest ARCHIVED, with seq firstSeq+1 on, created a
// minute apart from ago minutes back, newest first.
func phoneGroup(t *testing.T, exec func(string, ...any), tid uuid.UUID, phone string, n, firstSeq, ago int, active bool) {
	t.Helper()
	exec(`INSERT INTO leads (id, tenant_id, seq, created_at, updated_at, attributes, reachable, name, status, phone)
		SELECT gen_random_uuid(), $1, $2 + i, now() - ($3 + i) * interval '1 minute', now(), '{}', '[]', 'L' || i,
			CASE WHEN i = 1 AND $6 THEN 'ACTIVE' ELSE 'ARCHIVED' END, $4
		FROM generate_series(1, $5) AS i`, tid, firstSeq, ago, phone, n, active)
}

// TestDismissSeenVersion: a dismissal given the version of the group the
// reviewer read dismisses that group, or nothing. A lead that joined since
// the read is refused with CONFLICT at version (Changed: 2 then, 3 now, one
// joined) and nothing is written; read again, the same dismissal with the
// new version goes through. A lead that left the group since the read is
// refused too (the version names other leads). A version that is not one
// Groups served is BAD_USER_INPUT at version. The version does not depend
// on the order of the ids, and an unchanged group keeps its version.
func TestDismissSeenVersion(t *testing.T) {
	db, c := acme(t)
	ctx := context.Background()
	tid := c.Workspace.ID
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.DB.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const phone = "+8613700000001"
	phoneGroup(t, exec, tid, phone, 2, 0, 10, true)
	svc := duplicates.New(txn.NewRoot(db.Client))
	admin := auth.NewContext(tenant.NewContext(ctx, tid), &auth.Viewer{TenantID: tid, UserID: c.Admin.ID, Roles: []string{"admin"},
		LeadScopes: []string{policy.ScopeAll}, ContactGrant: true})
	now := time.Now()
	read := func() duplicates.Group {
		t.Helper()
		p, err := svc.Groups(admin, duplicates.Phone, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Groups) != 1 {
			t.Fatalf("%d groups, want 1", len(p.Groups))
		}
		return p.Groups[0]
	}
	ids := func(g duplicates.Group) []uuid.UUID {
		var out []uuid.UUID
		for _, l := range g.Leads {
			out = append(out, l.ID)
		}
		return out
	}
	seen := read()
	if again := read(); again.Version.String() != seen.Version.String() {
		t.Fatalf("an unchanged group's version moved: %s, then %s", seen.Version, again.Version)
	}
	if v, err := duplicates.ParseVersion(seen.Version.String()); err != nil || !v.Same(seen.Version) || v.Count != 2 {
		t.Fatalf("ParseVersion(%s) = %+v, %v", seen.Version, v, err)
	}

	for _, bad := range []string{"", "2", "x.y", "1.AAAA", "2.AAAA", "2." + seen.Version.String()} {
		if _, err := duplicates.ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		} else if e, ok := apperr.As(err); !ok || e.Code != apperr.BadInput || e.Field != "version" {
			t.Errorf("ParseVersion(%q) = %v, want BAD_USER_INPUT at version", bad, err)
		}
	}

	// A lead joins between the read and the click: refused, nothing written.
	phoneGroup(t, exec, tid, phone, 1, 10, 0, false)
	err := svc.Dismiss(admin, duplicates.Phone, ids(seen), &seen.Version, &c.Admin.ID, now)
	var changed *duplicates.Changed
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || e.Field != "version" || !errors.As(err, &changed) ||
		changed.Seen != 2 || changed.Now != 3 || changed.Joined() != 1 {
		t.Fatalf("Dismiss after a lead joined = %v (%+v), want CONFLICT at version, 2 then 3 now", err, changed)
	}
	if n := count(`SELECT count(*) FROM duplicate_dismissals`) + count(`SELECT count(*) FROM events`); n != 0 {
		t.Fatalf("a refused dismissal wrote %d rows", n)
	}
	// Read again: the page shows three and a new version; that goes through.
	fresh := read()
	if fresh.Count != 3 || fresh.Version.String() == seen.Version.String() {
		t.Fatalf("re-read group: %d leads, version %s (was %s)", fresh.Count, fresh.Version, seen.Version)
	}
	rev := ids(fresh)
	rev[0], rev[2] = rev[2], rev[0]
	if err := svc.Dismiss(admin, duplicates.Phone, rev, &fresh.Version, &c.Admin.ID, now); err != nil {
		t.Fatalf("Dismiss with the version read = %v", err)
	}
	if n := count(`SELECT count(*) FROM duplicate_dismissals WHERE cardinality(lead_ids) = 3`); n != 1 {
		t.Fatalf("%d dismissals of the three", n)
	}
	if n := count(`SELECT count(*) FROM events WHERE name = 'lead.duplicate_dismissed' AND (properties->>'count')::int = 3`); n != 3 {
		t.Fatalf("%d dismissal events saying 3 leads, want one per lead", n)
	}

	// A lead leaves a group between the read and the click: refused too.
	const other = "+8613700000002"
	phoneGroup(t, exec, tid, other, 3, 20, 30, true)
	before := read()
	exec(`UPDATE leads SET status = 'MERGED' WHERE tenant_id = $1 AND seq = 23`, tid)
	err = svc.Dismiss(admin, duplicates.Phone, ids(before)[:2], &before.Version, &c.Admin.ID, now)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || !errors.As(err, &changed) || changed.Joined() != 0 || changed.Now != 2 {
		t.Fatalf("Dismiss after a lead left = %v, want CONFLICT, none joined, 2 now", err)
	}
	if n := count(`SELECT count(*) FROM duplicate_dismissals`); n != 1 {
		t.Fatalf("%d dismissals after the refusal, want the first only", n)
	}
}

// TestDismissLargeGroup dismisses a group far above the old limit of 2,000
// leads (5,000: an active lead and 4,999 archived ones, made in one
// statement) from the 50 leads its page lists and its version: the whole
// group leaves the list, the dismissal row holds all 5,000 (its unique
// index holds their hash: the array itself is too large for an index row),
// each lead gets one event that says 5,000 and not the other ids, and the
// undo brings the whole group back. The times are logged (go test -v).
func TestDismissLargeGroup(t *testing.T) {
	db, c := acme(t)
	ctx := context.Background()
	tid := c.Workspace.ID
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.DB.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const size = 5000
	phoneGroup(t, exec, tid, "+8613700000009", size, 0, 0, true)
	svc := duplicates.New(txn.NewRoot(db.Client))
	admin := auth.NewContext(tenant.NewContext(ctx, tid), &auth.Viewer{TenantID: tid, UserID: c.Admin.ID, Roles: []string{"admin"},
		LeadScopes: []string{policy.ScopeAll}, ContactGrant: true})
	p, err := svc.Groups(admin, duplicates.Phone, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Groups) != 1 || p.Groups[0].Count != size || len(p.Groups[0].Leads) != duplicates.MaxLeadsPerGroup {
		t.Fatalf("groups = %d, want one of %d listing %d", len(p.Groups), size, duplicates.MaxLeadsPerGroup)
	}
	g := p.Groups[0]
	var shown []uuid.UUID
	for _, l := range g.Leads {
		shown = append(shown, l.ID)
	}
	start := time.Now()
	if err := svc.Dismiss(admin, duplicates.Phone, shown, &g.Version, &c.Admin.ID, time.Now()); err != nil {
		t.Fatalf("Dismiss of a group of %d = %v", size, err)
	}
	t.Logf("dismissed a group of %d in %v", size, time.Since(start))
	if p, err := svc.Groups(admin, duplicates.Phone, 10, nil); err != nil || len(p.Groups) != 0 || p.Total != 0 {
		t.Fatalf("after dismissing: %v groups (total %v), %v", len(p.Groups), p.Total, err)
	}
	if n := count(`SELECT cardinality(lead_ids) FROM duplicate_dismissals WHERE leads_hash IS NOT NULL`); n != size {
		t.Fatalf("the dismissal holds %d leads, want %d", n, size)
	}
	// leads_hash is what the migration computes for the rows before it.
	if n := count(`SELECT count(*) FROM duplicate_dismissals d
		WHERE leads_hash = (SELECT sha256(string_agg(uuid_send(l), ''::bytea ORDER BY l)) FROM unnest(d.lead_ids) AS l)`); n != 1 {
		t.Fatalf("leads_hash differs from the SHA-256 of the sorted lead_ids computed in SQL")
	}
	if n := count(`SELECT count(*) FROM events WHERE name = $1 AND (properties->>'count')::int = $2 AND NOT properties ? 'leads'`,
		duplicates.EventDismissed, size); n != size {
		t.Fatalf("%d dismissal events saying %d leads, want one per lead", n, size)
	}
	start = time.Now()
	if ok, err := svc.Restore(admin, duplicates.Phone, shown, &g.Version, &c.Admin.ID, time.Now()); err != nil || !ok {
		t.Fatalf("Restore = %v, %v", ok, err)
	}
	t.Logf("restored it in %v", time.Since(start))
	if p, err := svc.Groups(admin, duplicates.Phone, 10, nil); err != nil || len(p.Groups) != 1 || p.Groups[0].Count != size {
		t.Fatalf("after the undo: %v groups, %v", len(p.Groups), err)
	}
	if n := count(`SELECT count(*) FROM duplicate_dismissals`); n != 0 {
		t.Fatalf("%d dismissals after the undo", n)
	}
}

// TestRestoreSeenVersion: the undo of a dismissal carries the version the
// page dismissed. Right after the dismissal it goes through. When a lead
// joined the group since and someone dismissed the larger group again, the
// stale page's undo is refused with CONFLICT at version (Changed: 2 then, 3
// now) and restores nothing, neither dismissal; without a version it takes
// back both, as before; the undo of the larger dismissal with its own
// version goes through and leaves the first one.
func TestRestoreSeenVersion(t *testing.T) {
	db, c := acme(t)
	ctx := context.Background()
	tid := c.Workspace.ID
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.DB.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const phone = "+8613700000003"
	phoneGroup(t, exec, tid, phone, 2, 0, 10, true)
	svc := duplicates.New(txn.NewRoot(db.Client))
	admin := auth.NewContext(tenant.NewContext(ctx, tid), &auth.Viewer{TenantID: tid, UserID: c.Admin.ID, Roles: []string{"admin"},
		LeadScopes: []string{policy.ScopeAll}, ContactGrant: true})
	now := time.Now()
	read := func() (duplicates.Group, []uuid.UUID) {
		t.Helper()
		p, err := svc.Groups(admin, duplicates.Phone, 10, nil)
		if err != nil || len(p.Groups) != 1 {
			t.Fatalf("groups %+v, %v; want one", p, err)
		}
		var ids []uuid.UUID
		for _, l := range p.Groups[0].Leads {
			ids = append(ids, l.ID)
		}
		return p.Groups[0], ids
	}
	first, two := read()
	if err := svc.Dismiss(admin, duplicates.Phone, two, &first.Version, &c.Admin.ID, now); err != nil {
		t.Fatal(err)
	}
	if ok, err := svc.Restore(admin, duplicates.Phone, two, &first.Version, &c.Admin.ID, now); err != nil || !ok {
		t.Fatalf("the undo right after = %v, %v", ok, err)
	}
	if err := svc.Dismiss(admin, duplicates.Phone, two, &first.Version, &c.Admin.ID, now); err != nil {
		t.Fatal(err)
	}
	// A lead joins, the group is back, and someone dismisses the three.
	phoneGroup(t, exec, tid, phone, 1, 10, 0, false)
	larger, three := read()
	if err := svc.Dismiss(admin, duplicates.Phone, three, &larger.Version, &c.Admin.ID, now); err != nil {
		t.Fatal(err)
	}
	events := func() int { return count(`SELECT count(*) FROM events WHERE name = $1`, duplicates.EventRestored) }
	before := events()

	ok, err := svc.Restore(admin, duplicates.Phone, two, &first.Version, &c.Admin.ID, now)
	var changed *duplicates.Changed
	if e, isApp := apperr.As(err); ok || !isApp || e.Code != apperr.Conflict || e.Field != "version" || !errors.As(err, &changed) ||
		changed.Seen != 2 || changed.Now != 3 || changed.Joined() != 1 {
		t.Fatalf("the stale undo = %v, %v (%+v), want CONFLICT at version, 2 then 3 now", ok, err, changed)
	}
	if n := count(`SELECT count(*) FROM duplicate_dismissals`); n != 2 || events() != before {
		t.Fatalf("the refused undo left %d dismissals (want 2) and wrote %d events", n, events()-before)
	}
	if ok, err := svc.Restore(admin, duplicates.Phone, three, &larger.Version, &c.Admin.ID, now); err != nil || !ok {
		t.Fatalf("the undo of the three with their version = %v, %v", ok, err)
	}
	if n := count(`SELECT count(*) FROM duplicate_dismissals WHERE cardinality(lead_ids) = 2`); n != 1 || count(`SELECT count(*) FROM duplicate_dismissals`) != 1 {
		t.Fatalf("after the undo of the three: want the first dismissal only")
	}
	if err := svc.Dismiss(admin, duplicates.Phone, three, &larger.Version, &c.Admin.ID, now); err != nil {
		t.Fatal(err)
	}
	if ok, err := svc.Restore(admin, duplicates.Phone, two, nil, &c.Admin.ID, now); err != nil || !ok {
		t.Fatalf("the undo without a version = %v, %v", ok, err)
	}
	if n := count(`SELECT count(*) FROM duplicate_dismissals`); n != 0 {
		t.Fatalf("an undo without a version left %d dismissals, want both taken back", n)
	}
}
