package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

// mustUUID is the uuid of a GraphQL ID.
func mustUUID(t *testing.T, id string) uuid.UUID {
	t.Helper()
	u, err := gid.Decode(id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// repAndAnalyst makes the workspace's rep (rep@acme.test) and analyst
// (ana@acme.test) and signs them in.
func repAndAnalyst(t *testing.T, api *apitest.API, admin string) (repID uuid.UUID, repToken, analyst string) {
	t.Helper()
	var rep struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation{ createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, &rep)
	api.MustDo(admin, `mutation{ createUser(input:{name:"Ana", email:"ana@acme.test", password:"ana-password", roles:["analyst"]}){ id } }`, nil, nil)
	return mustUUID(t, rep.CreateUser.ID), api.Login("acme", "rep@acme.test", "rep-password"), api.Login("acme", "ana@acme.test", "ana-password")
}

const duplicateGroupsQuery = `query($kind: DuplicateKind!, $first: Int, $after: Cursor) {
	duplicateGroups(kind: $kind, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor }
		edges { cursor node { kind key count leads { id name phone status } } } } }`

type dupGroup struct {
	Kind, Key string
	Count     int
	Leads     []struct {
		ID, Name, Status string
		Phone            *string
	}
}

type dupPage struct {
	DuplicateGroups struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Edges []struct {
			Cursor string
			Node   dupGroup
		}
	}
}

func dupGroups(t *testing.T, api *apitest.API, token, kind string, first int, after *string) dupPage {
	t.Helper()
	vars := map[string]any{"kind": kind, "first": first}
	if after != nil {
		vars["after"] = *after
	}
	var out dupPage
	api.MustDo(token, duplicateGroupsQuery, vars, &out)
	return out
}

func (p dupPage) keys() []string {
	var out []string
	for _, e := range p.DuplicateGroups.Edges {
		out = append(out, e.Node.Key)
	}
	return out
}

func (p dupPage) names() []string {
	var out []string
	for _, e := range p.DuplicateGroups.Edges {
		var ns []string
		for _, l := range e.Node.Leads {
			ns = append(ns, l.Name)
		}
		out = append(out, strings.Join(ns, "+"))
	}
	return out
}

// TestDuplicateGroups reviews suspected duplicates: a phone or email shared
// by an active lead and archived ones (merged leads left out), the same
// name and company among active leads (lower-cased); newest group first,
// paged by cursor; a viewer who sees phones masked is refused the PHONE
// kind but gets the others with masked leads; a rep sees only groups of two
// leads they can read; another workspace's leads never join a group.
func TestDuplicateGroups(t *testing.T) {
	api := apitest.New(t)
	ws, admin := api.Workspace("acme")
	repID, repToken, analyst := repAndAnalyst(t, api, admin)
	_, other := api.Workspace("other")

	ingest := func(token string, rows ...map[string]any) {
		t.Helper()
		var rs []any
		for _, r := range rows {
			rs = append(rs, r)
		}
		api.MustDo(token, `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ results { status } } }`,
			map[string]any{"in": map[string]any{"leads": rs}}, nil)
	}
	// Each lead its own phone at first (ingest would merge equal ones).
	ingest(admin,
		map[string]any{"name": "甲", "phone": "13800000001", "email": "a@x.test"},
		map[string]any{"name": "甲旧", "phone": "13800000002"},
		map[string]any{"name": "甲更旧", "phone": "13800000003"},
		map[string]any{"name": "甲并", "phone": "13800000004"},
		map[string]any{"name": "乙", "phone": "13800000005", "email": "b@x.test"},
		map[string]any{"name": "乙旧", "phone": "13800000006", "email": "b2@x.test"},
		map[string]any{"name": "Zhang San", "company": "ACME Ltd", "phone": "13800000007"},
		map[string]any{"name": " Zhang  San ", "company": "ACME Ltd", "phone": "13800000008"},
		map[string]any{"name": "zhang san", "company": "ACME Ltd", "phone": "13800000011"},
		map[string]any{"name": "Zhang San", "company": "Other", "phone": "13800000009"},
	)
	ingest(other, map[string]any{"name": "外", "phone": "13800000010"})
	api.WaitIdle()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := api.DB.DB.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// 甲's phone on two archived leads and a merged one; 乙's email on an
	// archived one; the other workspace's lead archived with 甲's phone;
	// creation times spread so the order is known.
	exec(`UPDATE leads SET status = 'ARCHIVED', phone = '+8613800000001' WHERE name IN ('甲旧', '甲更旧')`)
	exec(`UPDATE leads SET status = 'MERGED', phone = '+8613800000001' WHERE name = '甲并'`)
	exec(`UPDATE leads SET status = 'ARCHIVED', email = 'b@x.test' WHERE name = '乙旧'`)
	exec(`UPDATE leads SET status = 'ARCHIVED', phone = '+8613800000001' WHERE name = '外'`)
	exec(`UPDATE leads SET created_at = now() - interval '1 hour' * 20 WHERE tenant_id = $1`, ws.Workspace.ID)
	exec(`UPDATE leads SET created_at = now() - interval '1 hour' * 5 WHERE phone = '+8613800000008'`)
	for i, n := range []string{"甲更旧", "甲旧", "甲", "乙旧", "乙"} {
		exec(`UPDATE leads SET created_at = now() - interval '1 hour' * $1 WHERE name = $2 AND tenant_id = $3`, 10-i, n, ws.Workspace.ID)
	}

	p := dupGroups(t, api, admin, "PHONE", 10, nil)
	if got := p.keys(); !slices.Equal(got, []string{"+8613800000001"}) || p.DuplicateGroups.TotalCount != 1 {
		t.Fatalf("PHONE groups = %v (total %d)", got, p.DuplicateGroups.TotalCount)
	}
	if g := p.DuplicateGroups.Edges[0].Node; g.Count != 3 || g.Kind != "PHONE" || p.names()[0] != "甲+甲旧+甲更旧" {
		t.Fatalf("PHONE group = %+v %v, want 甲 and its two archived leads, newest first, no merged one", g, p.names())
	}
	p = dupGroups(t, api, admin, "EMAIL", 10, nil)
	if got := p.names(); !slices.Equal(got, []string{"乙+乙旧"}) || p.keys()[0] != "b@x.test" {
		t.Fatalf("EMAIL groups = %v %v", got, p.keys())
	}
	// Name and company lower-cased: "zhang san" joins the two Zhang Sans
	// (leads of one creation time come in id order, so compared as a set).
	p = dupGroups(t, api, admin, "NAME_COMPANY", 10, nil)
	if got := p.names(); len(got) != 1 || !slices.Equal(slices.Sorted(strings.SplitSeq(got[0], "+")), []string{"Zhang San", "Zhang San", "zhang san"}) ||
		p.keys()[0] != "Zhang San / ACME Ltd" {
		t.Fatalf("NAME_COMPANY groups = %v %v", got, p.keys())
	}

	// Pages: one group a page, newest group first, the cursor goes on.
	exec(`UPDATE leads SET status = 'ARCHIVED', phone = '+8613800000005' WHERE name = 'Zhang San' AND company = 'Other'`)
	first := dupGroups(t, api, admin, "PHONE", 1, nil)
	if !first.DuplicateGroups.PageInfo.HasNextPage || first.DuplicateGroups.TotalCount != 2 || first.keys()[0] != "+8613800000005" {
		t.Fatalf("first page = %+v", first.DuplicateGroups)
	}
	second := dupGroups(t, api, admin, "PHONE", 1, first.DuplicateGroups.PageInfo.EndCursor)
	if second.DuplicateGroups.PageInfo.HasNextPage || !slices.Equal(second.keys(), []string{"+8613800000001"}) {
		t.Fatalf("second page = %+v", second.DuplicateGroups)
	}

	// The analyst sees phones and emails masked: no grouping by them, at
	// "kind"; name and company groups show the leads masked.
	for _, kind := range []string{"PHONE", "EMAIL"} {
		r := api.Do(analyst, duplicateGroupsQuery, map[string]any{"kind": kind})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" || r.Errors[0].Field() != "kind" || string(r.Data) != "null" {
			t.Errorf("analyst's %s groups = %s %+v, want FORBIDDEN at kind", kind, r.Data, r.Errors)
		}
	}
	p = dupGroups(t, api, analyst, "NAME_COMPANY", 10, nil)
	for _, l := range p.DuplicateGroups.Edges[0].Node.Leads {
		if l.Phone == nil || !strings.Contains(*l.Phone, "*") {
			t.Errorf("the analyst sees phone %v unmasked", l.Phone)
		}
	}

	// The rep owns 甲 and 甲旧 only, the admin the others (no pool leads
	// the rep could read): a group of those two; 乙 and 乙旧 not at all.
	exec(`UPDATE leads SET owner_id = $1 WHERE tenant_id = $2`, ws.Admin.ID, ws.Workspace.ID)
	exec(`UPDATE leads SET owner_id = $1 WHERE name IN ('甲', '甲旧')`, repID)
	p = dupGroups(t, api, repToken, "PHONE", 10, nil)
	if got := p.names(); !slices.Equal(got, []string{"甲+甲旧"}) || p.DuplicateGroups.Edges[0].Node.Count != 2 {
		t.Fatalf("rep's PHONE groups = %v", got)
	}
	if p := dupGroups(t, api, repToken, "EMAIL", 10, nil); len(p.DuplicateGroups.Edges) != 0 {
		t.Fatalf("rep's EMAIL groups = %v", p.names())
	}

	// The other workspace: its archived lead has 甲's phone but no group,
	// and nothing of acme.
	for _, kind := range []string{"PHONE", "EMAIL", "NAME_COMPANY"} {
		if p := dupGroups(t, api, other, kind, 10, nil); len(p.DuplicateGroups.Edges) != 0 || p.DuplicateGroups.TotalCount != 0 {
			t.Errorf("other workspace's %s groups = %v", kind, p.names())
		}
	}
}

// TestDismissDuplicateGroup dismisses a group as not duplicates over the
// API and takes it back: refused (nothing written) for an analyst (no lead
// write), a rep with a lead of the group outside their write scope, a rep
// who sees phones masked (at kind), another workspace's admin (NOT_FOUND),
// an id of another workspace, too few or unknown ids; the admin's dismissal
// hides the group, the undo brings it back.
func TestDismissDuplicateGroup(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	repID, repToken, analyst := repAndAnalyst(t, api, admin)
	_, other := api.Workspace("other")
	var in, out struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	const ingest = `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ results { lead { id } } } }`
	api.MustDo(admin, ingest, map[string]any{"in": map[string]any{"leads": []any{
		map[string]any{"name": "甲", "phone": "13800000001"}, map[string]any{"name": "甲旧", "phone": "13800000002"}}}}, &in)
	api.MustDo(other, ingest, map[string]any{"in": map[string]any{"leads": []any{
		map[string]any{"name": "外", "phone": "13800000003"}}}}, &out)
	api.WaitIdle()
	a, b := in.IngestLeads.Results[0].Lead.ID, in.IngestLeads.Results[1].Lead.ID
	outside := out.IngestLeads.Results[0].Lead.ID
	if _, err := api.DB.DB.Exec(`UPDATE leads SET status = 'ARCHIVED', phone = '+8613800000001', owner_id = NULL WHERE id = $1`, mustUUID(t, b)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.DB.DB.Exec(`UPDATE leads SET owner_id = $1 WHERE id = $2`, repID, mustUUID(t, a)); err != nil {
		t.Fatal(err)
	}
	const dismiss = `mutation($kind: DuplicateKind!, $ids: [ID!]!){ dismissDuplicateGroup(kind: $kind, leadIDs: $ids) }`
	const restore = `mutation($kind: DuplicateKind!, $ids: [ID!]!){ restoreDuplicateGroup(kind: $kind, leadIDs: $ids) }`
	dismissals := func() int {
		var n int
		if err := api.DB.DB.QueryRow(`SELECT count(*) FROM duplicate_dismissals`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	refused := func(name, token string, ids []string, code, field string) {
		t.Helper()
		for _, op := range []string{dismiss, restore} {
			r := api.Do(token, op, map[string]any{"kind": "PHONE", "ids": ids})
			if len(r.Errors) != 1 || r.Errors[0].Code() != code || (field != "" && r.Errors[0].Field() != field) || string(r.Data) != "null" {
				t.Errorf("%s: %s = %s %+v, want %s at %q", name, op[:40], r.Data, r.Errors, code, field)
			}
		}
		if n := dismissals(); n != 0 {
			t.Fatalf("%s: %d dismissals written", name, n)
		}
	}
	refused("analyst", analyst, []string{a, b}, "FORBIDDEN", "")
	refused("rep, archived lead out of write scope", repToken, []string{a, b}, "FORBIDDEN", "leadIDs[1]")
	refused("other workspace", other, []string{a, b}, "NOT_FOUND", "leadIDs[0]")
	refused("a lead of another workspace", admin, []string{a, outside}, "NOT_FOUND", "leadIDs[1]")
	refused("one lead", admin, []string{a}, "BAD_USER_INPUT", "leadIDs")
	refused("a lead twice", admin, []string{a, b, a}, "BAD_USER_INPUT", "leadIDs[2]")
	// The rep with phones masked may not group by them, so not dismiss by them.
	api.MustDo(admin, `mutation{ revokePermission(role:"rep", resource:"lead.contact", action:"read") }`, nil, nil)
	masked := api.Login("acme", "rep@acme.test", "rep-password")
	refused("rep seeing phones masked", masked, []string{a, b}, "FORBIDDEN", "kind")

	var ok struct{ DismissDuplicateGroup bool }
	api.MustDo(admin, dismiss, map[string]any{"kind": "PHONE", "ids": []string{b, a}}, &ok)
	if p := dupGroups(t, api, admin, "PHONE", 10, nil); !ok.DismissDuplicateGroup || len(p.DuplicateGroups.Edges) != 0 || p.DuplicateGroups.TotalCount != 0 {
		t.Fatalf("PHONE groups after dismissing = %v (total %d)", p.names(), p.DuplicateGroups.TotalCount)
	}
	var undo struct{ RestoreDuplicateGroup bool }
	api.MustDo(admin, restore, map[string]any{"kind": "PHONE", "ids": []string{a, b}}, &undo)
	if p := dupGroups(t, api, admin, "PHONE", 10, nil); !undo.RestoreDuplicateGroup || p.DuplicateGroups.TotalCount != 1 || dismissals() != 0 {
		t.Fatalf("PHONE groups after the undo = %v (total %d)", p.names(), p.DuplicateGroups.TotalCount)
	}
}

// TestDismissDuplicateGroupVersion: dismissDuplicateGroup with the version
// duplicateGroups served dismisses the group read, or nothing. A lead that
// joined after the read is a CONFLICT at version with extensions.joined 1
// and extensions.count 3, nothing written; read again, the new version
// dismisses the three. A version no group was served with is
// BAD_USER_INPUT at version. The call without version still works (the
// contract's shape).
func TestDismissDuplicateGroupVersion(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	const ingest = `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ results { lead { id } } } }`
	api.MustDo(admin, ingest, map[string]any{"in": map[string]any{"leads": []any{
		map[string]any{"name": "甲", "phone": "13800000001"}, map[string]any{"name": "甲旧", "phone": "13800000002"},
		map[string]any{"name": "乙", "phone": "13800000005"}, map[string]any{"name": "乙旧", "phone": "13800000006"},
		map[string]any{"name": "丙", "phone": "13800000007"}}}}, &in)
	api.WaitIdle()
	id := func(i int) string { return in.IngestLeads.Results[i].Lead.ID }
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := api.DB.DB.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE leads SET status = 'ARCHIVED', phone = '+8613800000001' WHERE id = $1`, mustUUID(t, id(1)))
	exec(`UPDATE leads SET status = 'ARCHIVED', phone = '+8613800000005' WHERE id = $1`, mustUUID(t, id(3)))
	type group struct {
		Key, Version string
		Count        int
		Leads        []struct{ ID string }
	}
	read := func(key string) group {
		t.Helper()
		var out struct {
			DuplicateGroups struct{ Edges []struct{ Node group } }
		}
		api.MustDo(admin, `{ duplicateGroups(kind: PHONE) { edges { node { key count version leads { id } } } } }`, nil, &out)
		for _, e := range out.DuplicateGroups.Edges {
			if e.Node.Key == key {
				return e.Node
			}
		}
		return group{}
	}
	ids := func(g group) []string {
		var out []string
		for _, l := range g.Leads {
			out = append(out, l.ID)
		}
		return out
	}
	dismissals := func() int {
		var n int
		if err := api.DB.DB.QueryRow(`SELECT count(*) FROM duplicate_dismissals`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const dismiss = `mutation($ids: [ID!]!, $v: String){ dismissDuplicateGroup(kind: PHONE, leadIDs: $ids, version: $v) }`
	seen := read("+8613800000001")
	if seen.Count != 2 || seen.Version == "" {
		t.Fatalf("group read = %+v", seen)
	}
	// A third lead with the phone, archived, after the read.
	exec(`UPDATE leads SET status = 'ARCHIVED', phone = '+8613800000001' WHERE id = $1`, mustUUID(t, id(4)))
	r := api.Do(admin, dismiss, map[string]any{"ids": ids(seen), "v": seen.Version})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" || r.Errors[0].Field() != "version" || string(r.Data) != "null" ||
		r.Errors[0].Extensions["joined"] != float64(1) || r.Errors[0].Extensions["count"] != float64(3) ||
		!strings.Contains(r.Errors[0].Message, "1 new lead(s) joined") {
		t.Fatalf("dismiss after a lead joined = %s %+v, want CONFLICT at version, joined 1, count 3", r.Data, r.Errors)
	}
	if n := dismissals(); n != 0 {
		t.Fatalf("a refused dismissal wrote %d rows", n)
	}
	for _, bad := range []string{"not a version", "3.AAAA"} {
		r := api.Do(admin, dismiss, map[string]any{"ids": ids(seen), "v": bad})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "version" {
			t.Errorf("version %q = %+v, want BAD_USER_INPUT at version", bad, r.Errors)
		}
	}
	fresh := read("+8613800000001")
	var ok struct{ DismissDuplicateGroup bool }
	api.MustDo(admin, dismiss, map[string]any{"ids": ids(fresh), "v": fresh.Version}, &ok)
	if !ok.DismissDuplicateGroup || read("+8613800000001").Count != 0 || dismissals() != 1 {
		t.Fatalf("dismiss with the version read: %v, %d dismissals", ok.DismissDuplicateGroup, dismissals())
	}
	// Without a version, as before.
	other := read("+8613800000005")
	api.MustDo(admin, `mutation($ids: [ID!]!){ dismissDuplicateGroup(kind: PHONE, leadIDs: $ids) }`, map[string]any{"ids": ids(other)}, &ok)
	if !ok.DismissDuplicateGroup || read("+8613800000005").Count != 0 {
		t.Fatalf("dismiss without a version: %v", ok.DismissDuplicateGroup)
	}

	// The undo carries the version dismissed: a page that read the two and
	// offers to undo is refused now that the three are dismissed.
	const restore = `mutation($ids: [ID!]!, $v: String){ restoreDuplicateGroup(kind: PHONE, leadIDs: $ids, version: $v) }`
	r = api.Do(admin, restore, map[string]any{"ids": ids(seen), "v": seen.Version})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" || r.Errors[0].Field() != "version" ||
		r.Errors[0].Extensions["joined"] != float64(1) || r.Errors[0].Extensions["count"] != float64(3) || dismissals() != 2 {
		t.Fatalf("a stale undo = %s %+v (%d dismissals), want CONFLICT at version, joined 1, count 3, nothing restored", r.Data, r.Errors, dismissals())
	}
	if r := api.Do(admin, restore, map[string]any{"ids": ids(fresh), "v": "3.AAAA"}); len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" ||
		r.Errors[0].Field() != "version" || dismissals() != 2 {
		t.Fatalf("an undo with a bad version = %+v", r.Errors)
	}
	var back struct{ RestoreDuplicateGroup bool }
	api.MustDo(admin, restore, map[string]any{"ids": ids(fresh), "v": fresh.Version}, &back)
	if !back.RestoreDuplicateGroup || read("+8613800000001").Count != 3 || dismissals() != 1 {
		t.Fatalf("the undo with its version: %v, %d dismissals", back.RestoreDuplicateGroup, dismissals())
	}
}
