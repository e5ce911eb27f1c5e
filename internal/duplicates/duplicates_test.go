package duplicates_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/duplicates"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
)

// TestGroupsAtScale pages the groups of each kind over 100,000 active leads
// and 2,000 archived ones, as an admin (every lead) and as a rep (own
// leads), and logs each plan (go test -v): PHONE and EMAIL start from the
// archived leads' index and look up active leads by the unique index;
// NAME_COMPANY reads lead_active_company_name only. Each page must take well
// under a second on the shared test machine.
func TestGroupsAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 leads")
	}
	db, c := acme(t)
	ctx := context.Background()
	tid := c.Workspace.ID
	// Every 100th active lead shares its name and company with the next
	// one (in another case); every 50th has an archived twin with its phone.
	if _, err := db.DB.ExecContext(ctx, `
		INSERT INTO leads (id, tenant_id, seq, created_at, updated_at, attributes, reachable, name, company, phone, email, owner_id)
		SELECT gen_random_uuid(), $1, i, now() - i * interval '1 minute', now(), '{}', '[]',
			CASE WHEN i % 100 = 1 THEN 'lead ' || (i - 1) ELSE 'lead ' || i END, 'Company ' || (i / 2),
			'+86138' || lpad(i::text, 8, '0'), 'l' || i || '@x.test', CASE WHEN i % 10 = 0 THEN $2::uuid END
		FROM generate_series(1, 100000) i`, tid, c.Admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DB.ExecContext(ctx, `
		INSERT INTO leads (id, tenant_id, seq, created_at, updated_at, attributes, reachable, name, status, phone, email)
		SELECT gen_random_uuid(), $1, 100000 + i, now() - i * interval '1 minute', now(), '{}', '[]', 'old ' || i, 'ARCHIVED',
			'+86138' || lpad((i * 50)::text, 8, '0'), 'l' || (i * 50) || '@x.test'
		FROM generate_series(1, 2000) i`, tid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DB.ExecContext(ctx, `VACUUM ANALYZE leads`); err != nil {
		t.Fatal(err)
	}
	svc := duplicates.New(txn.NewRoot(db.Client))
	base := tenant.NewContext(ctx, tid)
	viewers := map[string]*auth.Viewer{
		"admin": {TenantID: tid, UserID: c.Admin.ID, Roles: []string{"admin"}, LeadScopes: []string{policy.ScopeAll}, ContactGrant: true},
		"rep":   {TenantID: tid, UserID: c.Admin.ID, Roles: []string{"rep"}, LeadScopes: []string{policy.ScopeOwn}, ContactGrant: true},
	}
	want := map[string]map[duplicates.Kind]int{
		"admin": {duplicates.Phone: 2000, duplicates.Email: 2000, duplicates.NameCompany: 999},
		"rep":   {duplicates.Phone: 0, duplicates.Email: 0, duplicates.NameCompany: 0}, // archived leads have no owner
	}
	for who, v := range viewers {
		vctx := auth.NewContext(base, v)
		for _, kind := range []duplicates.Kind{duplicates.Phone, duplicates.Email, duplicates.NameCompany} {
			start := time.Now()
			p, err := svc.Groups(vctx, kind, 20, nil)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != want[who][kind] {
				t.Errorf("%s %s: %d groups, want %d", who, kind, p.Total, want[who][kind])
			}
			if p.Total > 0 {
				next, err := svc.Groups(vctx, kind, 20, &duplicates.After{At: p.Groups[19].NewestAt, ID: p.Groups[19].NewestID})
				if err != nil || len(next.Groups) != 20 || next.Groups[0].NewestAt.After(p.Groups[19].NewestAt) {
					t.Errorf("%s %s: the second page = %+v, %v", who, kind, next, err)
				}
			}
			t.Logf("%s %s: %d groups, first page in %v", who, kind, p.Total, took)
			if took > 3*time.Second {
				t.Errorf("%s %s: a page took %v", who, kind, took)
			}
			plan, err := duplicates.Explain(vctx, svc, kind)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("plan of %s %s:\n%s", who, kind, plan)
			if kind == duplicates.NameCompany && who == "admin" && !strings.Contains(plan, "Index Only Scan using lead_active_company_name") {
				t.Errorf("%s %s does not read the index only:\n%s", who, kind, plan)
			}
		}
	}
}
