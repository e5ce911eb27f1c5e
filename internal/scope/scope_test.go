package scope_test

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// fixture is the workspace of testdata/decisions.csv: its users as viewers
// with the lead scopes the built-in policy gives their roles, and its
// leads by name.
type fixture struct {
	c       *ent.Client
	ctx     context.Context // the workspace, no viewer
	viewers map[string]*auth.Viewer
	leads   map[string]uuid.UUID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.NewDatabase(t)
	c := db.Client
	created, err := workspace.Create(context.Background(), c, workspace.Spec{Slug: "scope", Name: "scope",
		AdminName: "admin", AdminEmail: "owner@scope.test", AdminPassword: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	tid := created.Workspace.ID
	ctx := tenant.NewContext(context.Background(), tid)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	north, err := org.New(c).CreateTerritory(ctx, "north", nil)
	must(err)
	northEast, err := org.New(c).CreateTerritory(ctx, "north-east", &north.ID)
	must(err)
	south, err := org.New(c).CreateTerritory(ctx, "south", nil)
	must(err)
	partner, err := org.New(c).CreatePartner(ctx, "P", []uuid.UUID{northEast.ID})
	must(err)
	alpha, err := org.New(c).CreateTeam(ctx, "alpha", nil, nil)
	must(err)
	beta, err := org.New(c).CreateTeam(ctx, "beta", nil, nil)
	must(err)

	f := &fixture{c: c, ctx: ctx, viewers: map[string]*auth.Viewer{}, leads: map[string]uuid.UUID{}}
	enf, err := policy.New(ctx, policy.NewMemoryStore())
	must(err)
	for _, u := range []struct {
		name, role  string
		team        *uuid.UUID
		territories []uuid.UUID
		partner     *uuid.UUID
	}{
		{name: "rep-a", role: "rep", team: &alpha.ID},
		{name: "rep-b", role: "rep", team: &beta.ID, territories: []uuid.UUID{south.ID}},
		{name: "mgr", role: "manager", territories: []uuid.UUID{north.ID}},
		{name: "partner-u", role: "partner", partner: &partner.ID},
		{name: "analyst", role: "analyst"},
		{name: "admin", role: "admin"},
	} {
		nu, err := org.New(c).CreateUser(ctx, org.UserInput{Name: u.name, Email: u.name + "@scope.test", Password: "user-password",
			Roles: []string{u.role}, TeamID: u.team, TerritoryIDs: u.territories, PartnerID: u.partner})
		must(err)
		v := &auth.Viewer{TenantID: tid, UserID: nu.ID, Roles: []string{u.role}, TeamID: u.team, PartnerID: u.partner, TerritoryIDs: u.territories}
		for _, sc := range policy.Scopes {
			ok, err := enf.Allowed(tid.String(), v.Roles, policy.ResLeadScope, sc)
			must(err)
			if ok {
				v.LeadScopes = append(v.LeadScopes, sc)
			}
		}
		f.viewers[u.name] = v
	}
	must(c.Team.UpdateOneID(alpha.ID).SetManagerID(f.viewers["mgr"].UserID).Exec(ctx))

	pool := func(name string, teams, territories []uuid.UUID) uuid.UUID {
		p, err := c.Pool.Create().SetName(name).Save(ctx)
		must(err)
		for _, tm := range teams {
			must(c.PoolTeam.Create().SetPoolID(p.ID).SetTeamID(tm).Exec(ctx))
		}
		for _, tr := range territories {
			must(c.PoolTerritory.Create().SetPoolID(p.ID).SetTerritoryID(tr).Exec(ctx))
		}
		return p.ID
	}
	open := pool("open", nil, nil)
	alphaPool := pool("alpha", []uuid.UUID{alpha.ID}, nil)
	betaPool := pool("beta", []uuid.UUID{beta.ID}, nil)
	southPool := pool("south", nil, []uuid.UUID{south.ID})
	owner := func(name string) *uuid.UUID { return &f.viewers[name].UserID }
	leads := []struct {
		name              string
		owner, pool, terr *uuid.UUID
		partner           *uuid.UUID
	}{
		{name: "a-own", owner: owner("rep-a")},
		{name: "b-own", owner: owner("rep-b")},
		{name: "mgr-own", owner: owner("mgr")},
		{name: "b-north-east", owner: owner("rep-b"), terr: &northEast.ID},
		{name: "b-channel", owner: owner("rep-b"), partner: &partner.ID},
		{name: "open-pool", pool: &open},
		{name: "alpha-pool", pool: &alphaPool},
		{name: "beta-pool", pool: &betaPool},
		{name: "south-pool", pool: &southPool},
		{name: "no-pool"},
		{name: "pooled-channel", pool: &open, partner: &partner.ID},
	}
	first, err := workspace.NextLeadSeq(ctx, c, tid, len(leads))
	must(err)
	for i, l := range leads {
		created, err := c.Lead.Create().SetSeq(first + int64(i)).SetName(l.name).SetNillableOwnerID(l.owner).
			SetNillablePoolID(l.pool).SetNillableTerritoryID(l.terr).SetNillablePartnerID(l.partner).Save(ctx)
		must(err)
		f.leads[l.name] = created.ID
	}
	return f
}

// TestScopeDecisions runs testdata/decisions.csv: each user sees exactly
// the leads marked read (through the installed row filter and CheckLead
// Read) and may change exactly those marked write (CheckLead Write, which
// refuses a lead it sees but may not change with ErrReadOnly).
func TestScopeDecisions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rows := readTable(t, "testdata/decisions.csv")
	seenRoles := map[string]bool{}
	readOnly := 0
	for _, rec := range rows {
		v, id := f.viewers[rec[0]], f.leads[rec[1]]
		if v == nil || id == uuid.Nil {
			t.Fatalf("decisions.csv: unknown user or lead in %q", rec)
		}
		read, err1 := strconv.ParseBool(rec[2])
		write, err2 := strconv.ParseBool(rec[3])
		if err := errors.Join(err1, err2); err != nil || (write && !read) {
			t.Fatalf("decisions.csv: bad row %q (write needs read)", rec)
		}
		seenRoles[v.Roles[0]] = true
		if read && !write {
			readOnly++
		}
		t.Run(strings.Join(rec[:2], " "), func(t *testing.T) {
			ctx := auth.NewContext(f.ctx, v)
			seen, err := f.c.Lead.Query().Where(lead.ID(id)).Exist(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if seen != read {
				t.Errorf("row filter: sees %v, want %v", seen, read)
			}
			checkDecision(t, scope.CheckLead(ctx, f.c, scope.Read, "id", id), read, scope.ErrOutOfScope)
			why := scope.ErrOutOfScope
			if read {
				why = scope.ErrReadOnly
			}
			checkDecision(t, scope.CheckLead(ctx, f.c, scope.Write, "id", id), write, why)
		})
	}
	for _, role := range []string{"admin", "manager", "rep", "analyst", "partner"} {
		if !seenRoles[role] {
			t.Errorf("decision table has no row for built-in role %q", role)
		}
	}
	if readOnly < 5 {
		t.Errorf("decision table has %d read-only rows; the split needs more", readOnly)
	}
}

// checkDecision says err is nil when allowed, else FORBIDDEN at "id" for why.
func checkDecision(t *testing.T, err error, allowed bool, why error) {
	t.Helper()
	if allowed {
		if err != nil {
			t.Errorf("refused: %v", err)
		}
		return
	}
	ae, ok := apperr.As(err)
	if !ok || ae.Code != apperr.Forbidden || ae.Field != "id" || !errors.Is(err, why) {
		t.Errorf("got %v, want FORBIDDEN at id for %q", err, why)
	}
}

// TestCheckLeadsNamesTheRefusedID: a list check names the first id it
// refuses by its index, an unknown id is NOT_FOUND, and a lead the caller
// may change passes whatever its position.
func TestCheckLeadsNamesTheRefusedID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := auth.NewContext(f.ctx, f.viewers["rep-a"])
	own, pooled := f.leads["a-own"], f.leads["open-pool"]
	for _, tc := range []struct {
		name  string
		mode  scope.Mode
		ids   []uuid.UUID
		code  apperr.Code
		field string
	}{
		{"read own and pooled", scope.Read, []uuid.UUID{own, pooled}, "", ""},
		{"write own", scope.Write, []uuid.UUID{own, own}, "", ""},
		{"write own and pooled", scope.Write, []uuid.UUID{own, pooled}, apperr.Forbidden, "leadIDs[1]"},
		{"write unknown", scope.Write, []uuid.UUID{own, uuid.New()}, apperr.NotFound, "leadIDs[1]"},
		{"write other rep's", scope.Write, []uuid.UUID{f.leads["b-own"]}, apperr.Forbidden, "leadIDs[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := scope.CheckLeads(ctx, f.c, tc.mode, "leadIDs", tc.ids)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if ae, ok := apperr.As(err); !ok || ae.Code != tc.code || ae.Field != tc.field {
				t.Fatalf("got %v, want %s at %s", err, tc.code, tc.field)
			}
		})
	}
}

// readTable reads a testdata CSV with # comments into trimmed records of
// four fields.
func readTable(t *testing.T, path string) [][]string {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r := csv.NewReader(file)
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = 4
	var out [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		out = append(out, rec)
	}
}
