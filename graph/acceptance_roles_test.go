package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

// roleWorld is a workspace seen by each role through the contract's own
// operations: two territories (east, west), a partner on east, two reps, an
// analyst, the partner's user and six leads.
//
//	lead  territory  owner
//	0     east       pool
//	1     east       pool
//	2     west       pool
//	3     east       rep
//	4     west       rep2
//	5     east       rep2
type roleWorld struct {
	api   *apitest.API
	doc   *ast.QueryDocument
	admin string
	tok   map[string]string // role -> token: rep, rep2, analyst, partner
	ids   map[string]string // territories, users, partner
	leads []string
}

func newRoleWorld(t *testing.T) *roleWorld {
	t.Helper()
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	w := &roleWorld{api: api, doc: loadContract(t), admin: admin, tok: map[string]string{}, ids: map[string]string{},
		leads: seedLeads(t, api, created, 6)}
	for _, name := range []string{"east", "west"} {
		r := w.do(t, admin, "CreateTerritory", map[string]any{"input": map[string]any{"name": name}})
		w.ids[name] = w.must(t, r, "createTerritory", "id")
	}
	r := w.do(t, admin, "CreatePartner", map[string]any{"input": map[string]any{"name": "渠道A", "territoryIDs": []string{w.ids["east"]}}})
	w.ids["partnerOrg"] = w.must(t, r, "createPartner", "id")
	users := []struct{ key, role, territory string }{
		{"rep", "rep", "east"}, {"rep2", "rep", "west"}, {"analyst", "analyst", ""}, {"partner", "partner", ""},
	}
	for _, u := range users {
		in := map[string]any{"name": u.key, "email": u.key + "@acme.test", "password": u.key + "-password", "roles": []string{u.role}}
		if u.territory != "" {
			in["territoryIDs"] = []string{w.ids[u.territory]}
		}
		if u.role == "partner" {
			in["partnerID"] = w.ids["partnerOrg"]
		}
		w.ids[u.key] = w.must(t, w.do(t, admin, "CreateUser", map[string]any{"input": in}), "createUser", "id")
		w.tok[u.key] = api.Login("acme", u.key+"@acme.test", u.key+"-password")
	}
	r = w.do(t, admin, "CreateTagGroup", map[string]any{"input": map[string]any{"name": "意向", "tags": []string{"高"}}})
	w.ids["tagGroup"] = w.must(t, r, "createTagGroup", "id")
	w.ids["tag"], _ = dig(w.data(t, r), "createTagGroup", "tags").([]any)[0].(map[string]any)["id"].(string)
	r = w.do(t, admin, "CreateFieldDefinition", map[string]any{"input": map[string]any{"entity": "LEAD", "key": "mobile2", "label": "备用手机", "type": "PHONE"}})
	w.ids["field"] = w.must(t, r, "createFieldDefinition", "id")
	layout := []struct{ territory, owner string }{
		{"east", ""}, {"east", ""}, {"west", ""}, {"east", "rep"}, {"west", "rep2"}, {"east", "rep2"},
	}
	for i, l := range layout {
		terr := rawIDs(t, []string{w.ids[l.territory]})[0]
		if l.owner == "" {
			w.exec(t, `UPDATE leads SET territory_id = $1 WHERE id = $2`, terr, w.raw(t, i))
			continue
		}
		w.exec(t, `UPDATE leads SET territory_id = $1, owner_id = $2, pool_id = NULL, claimed_at = now() WHERE id = $3`,
			terr, rawIDs(t, []string{w.ids[l.owner]})[0], w.raw(t, i))
	}
	return w
}

// do sends the contract operation name, as written, with vars.
func (w *roleWorld) do(t *testing.T, token, name string, vars map[string]any) apitest.Response {
	t.Helper()
	op := w.doc.Operations.ForName(name)
	if op == nil {
		t.Fatalf("no operation %s in the contract", name)
	}
	return w.api.Do(token, sourceOf(w.doc, op), vars)
}

// data decodes a response that must have no errors.
func (w *roleWorld) data(t *testing.T, r apitest.Response) map[string]any {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var d map[string]any
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func (w *roleWorld) must(t *testing.T, r apitest.Response, path ...string) string {
	t.Helper()
	s, _ := dig(w.data(t, r), path...).(string)
	if s == "" {
		t.Fatalf("%v: no %v", string(r.Data), path)
	}
	return s
}

func (w *roleWorld) raw(t *testing.T, i int) string { return rawIDs(t, w.leads[i:i+1])[0] }

func (w *roleWorld) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := w.api.DB.DB.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

// leadsOf is the ids of leads(i...), sorted.
func (w *roleWorld) leadsOf(is ...int) []string {
	out := make([]string, len(is))
	for k, i := range is {
		out[k] = w.leads[i]
	}
	sort.Strings(out)
	return out
}

// expectListed runs the Leads operation as token and checks that it lists
// (and counts) exactly want, with every phone masked or none.
func (w *roleWorld) expectListed(t *testing.T, token string, want []string, phonesMasked bool) {
	t.Helper()
	d := w.data(t, w.do(t, token, "Leads", map[string]any{"first": 50}))
	var ids []string
	for _, e := range dig(d, "leads", "edges").([]any) {
		ids = append(ids, dig(e, "node", "id").(string))
		if masked(dig(e, "node", "phone")) != phonesMasked {
			t.Errorf("phone %v, want masked %v", dig(e, "node", "phone"), phonesMasked)
		}
	}
	sort.Strings(ids)
	if !slices.Equal(ids, want) || dig(d, "leads", "totalCount") != float64(len(want)) {
		t.Errorf("lists %v (total %v), want %v", ids, dig(d, "leads", "totalCount"), want)
	}
}

// leadRowsDigest is every lead row as text: a refused request leaves it equal.
func (w *roleWorld) leadRowsDigest(t *testing.T) string {
	t.Helper()
	var s string
	err := w.api.DB.DB.QueryRow(`SELECT string_agg(l::text, E'\n' ORDER BY id) FROM leads l`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, table := range []string{"follow_ups", "lead_tags", "stage_changes", "tasks", "jobs", "territories", "segments", "enrollments", "pools", "users", "field_definitions"} {
		if err := w.api.DB.DB.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf("\n%s=%d", table, n)
	}
	return s
}

// refused checks that r failed with an error of code (or one of
// "CODE|CODE") at field ("" when the refusal names no input) and that
// nothing changed since before.
func (w *roleWorld) refused(t *testing.T, what string, r apitest.Response, code, field, before string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Errorf("%s: accepted: %s", what, r.Data)
		return
	}
	if e := r.Errors[0]; !slices.Contains(strings.Split(code, "|"), e.Code()) || e.Field() != field {
		t.Errorf("%s: error %s at %q (%s), want %s at %q", what, e.Code(), e.Field(), e.Message, code, field)
	}
	if after := w.leadRowsDigest(t); after != before {
		t.Errorf("%s: rows changed:\nbefore %s\nafter  %s", what, before, after)
	}
}

func masked(v any) bool { s, _ := v.(string); return strings.Contains(s, "*") }

// TestAcceptancePartner: a partner sees its territory's leads, masked, in
// every list, count, funnel, segment member list, journey statistic and
// export; another territory's lead reads as a lead that does not exist, and
// a write to it is FORBIDDEN at the input that names it (the documented
// answer of docs/authorization.md) and writes nothing.
func TestAcceptancePartner(t *testing.T) {
	w := newRoleWorld(t)
	p := w.tok["partner"]
	east := w.leadsOf(0, 1, 3, 5)

	t.Run("Leads", func(t *testing.T) { w.expectListed(t, p, east, true) })

	t.Run("out of scope", func(t *testing.T) {
		ghost := gid.Encode(gid.New(gid.Lead))
		for _, op := range []string{"Lead", "LeadWeCom"} {
			out, none := w.do(t, p, op, map[string]any{"id": w.leads[2]}), w.do(t, p, op, map[string]any{"id": ghost})
			if a, b := answerOf(out), answerOf(none); a != b || !strings.Contains(a, "NOT_FOUND") {
				t.Errorf("%s: another territory's lead answers %s, a lead that does not exist %s; want NOT_FOUND for both", op, a, b)
			}
		}
		w.runCases(t, p, []roleCase{
			{"update", "UpdateLead", map[string]any{"id": w.leads[2], "input": map[string]any{"company": "x"}}, "FORBIDDEN", "id"},
			{"follow up", "CreateFollowUp", map[string]any{"input": map[string]any{"leadID": w.leads[2], "kind": "NOTE", "content": "x"}}, "FORBIDDEN", "input.leadID"},
			{"deal", "CreateDeal", map[string]any{"input": map[string]any{"leadID": w.leads[2], "amount": 1}}, "FORBIDDEN", "input.leadID"},
			{"stage", "MoveLeadStage", map[string]any{"id": w.leads[4], "stageID": w.stage(t, "contacted")}, "FORBIDDEN", "id"},
			{"merge into", "MergeLeads", map[string]any{"primaryID": w.leads[0], "duplicateIDs": []string{w.leads[2]}}, "FORBIDDEN", "duplicateIDs[0]"},
			{"tag", "TagLeads", map[string]any{"leadIDs": []string{w.leads[2]}, "tagIDs": []string{w.ids["tag"]}}, "FORBIDDEN", ""},
			{"claim", "ClaimLeads", map[string]any{"ids": []string{w.leads[0]}}, "FORBIDDEN", ""},
			{"jobs of others", "CancelJob", map[string]any{"id": gid.Encode(gid.New(gid.Job))}, "NOT_FOUND", "id"},
		})
	})

	t.Run("events and intake of another territory's lead", func(t *testing.T) {
		// An event for it is rejected as for a lead that does not exist.
		d := w.data(t, w.do(t, p, "TrackEvents", map[string]any{"events": []any{
			map[string]any{"leadID": w.leads[2], "name": "probe"}, map[string]any{"leadID": gid.Encode(gid.New(gid.Lead)), "name": "probe"},
			map[string]any{"phone": "13700000002", "name": "probe"}}}))
		if errs := dig(d, "trackEvents", "errors").([]any); dig(d, "trackEvents", "accepted") != 0.0 || len(errs) != 3 ||
			dig(errs[0], "code") != dig(errs[1], "code") || dig(errs[0], "message") != dig(errs[1], "message") || dig(errs[2], "code") != dig(errs[1], "code") {
			t.Errorf("partner tracks another territory's lead: %s", mustJSON(d))
		}
		// A row that is that lead merges into it (dedup is the
		// workspace's, docs/intake.md), and the answer hides the lead.
		d = w.data(t, w.do(t, p, "IngestLeads", map[string]any{"input": map[string]any{"leads": []any{
			map[string]any{"phone": "13700000002", "name": "dup"}}}}))
		res := dig(d, "ingestLeads", "results").([]any)
		if len(res) != 1 || dig(res[0], "status") != "MERGED" || dig(res[0], "lead") != nil {
			t.Errorf("partner ingests another territory's lead: %s", mustJSON(d))
		}
	})

	t.Run("node of a type it may not list", func(t *testing.T) {
		seg := w.must(t, w.do(t, w.tok["analyst"], "CreateSegment", map[string]any{"input": map[string]any{"name": "east", "kind": "DYNAMIC",
			"rule": map[string]any{"owner": map[string]any{"public": true}}}}), "createSegment", "id")
		w.nodeRefused(t, p, map[gid.Type]string{gid.User: w.ids["rep2"], gid.Territory: w.ids["west"], gid.Segment: seg, gid.Partner: w.ids["partnerOrg"]})
	})

	// Granted reports, segments and exports, the partner still sees only
	// its scope in them.
	for _, perm := range [][2]string{{"report", "read"}, {"segment", "read"}, {"lead.export", "read"}, {"journey", "read"}} {
		w.do(t, w.admin, "GrantPermission", map[string]any{"role": "partner", "resource": perm[0], "action": perm[1]})
	}

	t.Run("Funnel", func(t *testing.T) {
		d := w.data(t, w.do(t, p, "Funnel", w.funnelVars()))
		steps := dig(d["funnel"].([]any)[0], "steps").([]any)
		if dig(steps[0], "step") != "LISTED" || dig(steps[0], "count") != float64(len(east)) {
			t.Errorf("partner funnel = %v, want LISTED %d", steps, len(east))
		}
		vars := w.funnelVars()
		vars["groupBy"] = "TERRITORY"
		d = w.data(t, w.do(t, p, "Funnel", vars))
		if groups := d["funnel"].([]any); len(groups) != 1 || dig(groups[0], "group") != w.ids["east"] {
			t.Errorf("partner funnel by territory = %s, want east only", mustJSON(groups))
		}
	})

	t.Run("Segment members", func(t *testing.T) {
		rule := map[string]any{"attribute": map[string]any{"key": "status", "op": "EQ", "value": "ACTIVE"}}
		d := w.data(t, w.do(t, p, "PreviewSegment", map[string]any{"rule": rule}))
		if dig(d, "previewSegment", "count") != float64(len(east)) {
			t.Errorf("partner preview = %v, want %d", d, len(east))
		}
		for _, l := range dig(d, "previewSegment", "sample").([]any) {
			if !slices.Contains(east, dig(l, "id").(string)) {
				t.Errorf("partner preview samples %v", l)
			}
		}
		seg := w.must(t, w.do(t, w.tok["analyst"], "CreateSegment", map[string]any{"input": map[string]any{"name": "all", "rule": rule, "kind": "DYNAMIC"}}), "createSegment", "id")
		waitStatus(t, w.api, seg, "READY")
		d = w.data(t, w.do(t, p, "Segment", map[string]any{"id": seg, "first": 100}))
		var ids []string
		for _, e := range dig(d, "node", "members", "edges").([]any) {
			ids = append(ids, dig(e, "node", "id").(string))
		}
		sort.Strings(ids)
		if !slices.Equal(ids, east) || dig(d, "node", "members", "totalCount") != float64(len(east)) {
			t.Errorf("partner members = %v (total %v), want %v", ids, dig(d, "node", "members", "totalCount"), east)
		}
	})

	t.Run("Journey", func(t *testing.T) {
		a := w.tok["analyst"]
		j := w.must(t, w.do(t, a, "CreateJourney", map[string]any{"input": map[string]any{"name": "j",
			"trigger": map[string]any{"manual": map[string]any{}}, "steps": []any{map[string]any{"wait": map[string]any{"days": 1}}}}}), "createJourney", "id")
		w.data(t, w.do(t, a, "SetJourneyStatus", map[string]any{"id": j, "status": "ACTIVE"}))
		d := w.data(t, w.do(t, a, "EnrollLeads", map[string]any{"journeyID": j, "leadIDs": w.leads}))
		if dig(d, "enrollLeads", "enrolled") != 6.0 {
			t.Fatalf("enrollLeads = %v", d)
		}
		d = w.data(t, w.do(t, p, "Journey", map[string]any{"id": j, "first": 50}))
		var ids []string
		for _, e := range dig(d, "node", "enrollments", "edges").([]any) {
			ids = append(ids, dig(e, "node", "lead", "id").(string))
		}
		sort.Strings(ids)
		steps := dig(d, "node", "steps").([]any)
		if !slices.Equal(ids, east) || dig(d, "node", "enrollments", "totalCount") != float64(len(east)) ||
			dig(d, "node", "stats", "enrolled") != float64(len(east)) || dig(steps[0], "reached") != float64(len(east)) {
			t.Errorf("partner reads journey %s", mustJSON(d))
		}
		// Without journey write it cannot enrol, even its own leads; with
		// it, only leads in its write scope.
		before := w.leadRowsDigest(t)
		w.refused(t, "partner enrols", w.do(t, p, "EnrollLeads", map[string]any{"journeyID": j, "leadIDs": w.leads[:1]}), "FORBIDDEN", "", before)
		w.do(t, w.admin, "GrantPermission", map[string]any{"role": "partner", "resource": "journey", "action": "write"})
		w.exec(t, `UPDATE enrollments SET status = 'EXITED', left_at = now()`)
		before = w.leadRowsDigest(t)
		w.refused(t, "partner enrols another territory's lead", w.do(t, p, "EnrollLeads", map[string]any{"journeyID": j, "leadIDs": []string{w.leads[0], w.leads[2]}}),
			"FORBIDDEN", "leadIDs[1]", before)
		w.do(t, w.admin, "RevokePermission", map[string]any{"role": "partner", "resource": "journey", "action": "write"})
	})

	t.Run("ExportLeads", func(t *testing.T) {
		id := w.must(t, w.do(t, p, "ExportLeads", map[string]any{"columns": []string{"name", "phone"}}), "exportLeads", "id")
		if rows := exportRows(t, w, p, id); len(rows) != len(east) {
			t.Errorf("partner export has %d rows, want %d", len(rows), len(east))
		}
	})
}

// answerOf is what a client can tell from a response: data and error codes and fields.
func answerOf(r apitest.Response) string {
	var codes []string
	for _, e := range r.Errors {
		codes = append(codes, e.Code()+"@"+e.Field())
	}
	return fmt.Sprintf("%s %v", r.Data, codes)
}

// funnelVars is a funnel period holding every lead of the world.
func (w *roleWorld) funnelVars() map[string]any {
	now := w.api.Clock.Now()
	return map[string]any{"from": now.AddDate(-1, 0, 0).Format(time.RFC3339), "to": now.AddDate(0, 0, 1).Format(time.RFC3339), "groupBy": "NONE"}
}

// TestAcceptanceAnalyst: an analyst reads every lead, masked, and the
// aggregates and segments, cannot write leads, and cannot filter, sort,
// segment or export by what it sees masked.
func TestAcceptanceAnalyst(t *testing.T) {
	w := newRoleWorld(t)
	a := w.tok["analyst"]
	all := w.leadsOf(0, 1, 2, 3, 4, 5)

	w.expectListed(t, a, all, true)
	d := w.data(t, w.do(t, a, "Funnel", w.funnelVars()))
	if c := dig(dig(d["funnel"].([]any)[0], "steps").([]any)[0], "count"); c != float64(len(all)) {
		t.Errorf("analyst funnel LISTED = %v, want %d", c, len(all))
	}
	d = w.data(t, w.do(t, a, "PreviewSegment", map[string]any{"rule": map[string]any{"owner": map[string]any{"public": true}}}))
	if dig(d, "previewSegment", "count") != 3.0 {
		t.Errorf("analyst preview of the public pool = %v, want 3", d)
	}

	phoneRule := map[string]any{"attribute": map[string]any{"key": "mobile2", "op": "EQ", "value": "+8613700000000"}}
	cases := []roleCase{
		{"filter by phone", "Leads", map[string]any{"where": map[string]any{"phone": "+8613700000000"}}, "FORBIDDEN", "where.phone"},
		{"filter by email deep", "Leads", map[string]any{"where": map[string]any{"or": []any{
			map[string]any{"nameContains": "lead"}, map[string]any{"not": map[string]any{"email": "a@b.c"}}}}}, "FORBIDDEN", "where.or[1].not.email"},
		{"sort by a phone field", "Leads", map[string]any{"orderBy": map[string]any{"field": "MOBILE2", "direction": "ASC"}}, "FORBIDDEN", "orderBy.field"},
		{"filter by a phone field", "Leads", map[string]any{"where": map[string]any{"attributes": []any{
			map[string]any{"key": "mobile2", "op": "IS_EMPTY"}}}}, "FORBIDDEN", "where.attributes[0].key"},
		{"export by phone", "ExportLeads", map[string]any{"where": map[string]any{"phone": "+8613700000000"}}, "FORBIDDEN", "where.phone"},
		{"preview by a phone field", "PreviewSegment", map[string]any{"rule": phoneRule}, "FORBIDDEN", "rule.attribute.key"},
		{"segment by phone", "CreateSegment", map[string]any{"input": map[string]any{"name": "p", "kind": "DYNAMIC", "rule": map[string]any{
			"and": []any{map[string]any{"owner": map[string]any{"public": true}}, phoneRule}}}}, "FORBIDDEN", "input.rule.and[1].attribute.key"},
		{"update", "UpdateLead", map[string]any{"id": w.leads[0], "input": map[string]any{"company": "x"}}, "FORBIDDEN", ""},
		{"follow up", "CreateFollowUp", map[string]any{"input": map[string]any{"leadID": w.leads[0], "kind": "NOTE", "content": "x"}}, "FORBIDDEN", ""},
		{"claim", "ClaimLeads", map[string]any{"ids": w.leads[:1]}, "FORBIDDEN", ""},
		{"ingest", "IngestLeads", map[string]any{"input": map[string]any{"leads": []any{map[string]any{"name": "n", "phone": "13911112222"}}}}, "FORBIDDEN", ""},
		{"merge", "MergeLeads", map[string]any{"primaryID": w.leads[0], "duplicateIDs": w.leads[1:2]}, "FORBIDDEN", ""},
		{"assign", "AssignLeads", map[string]any{"ids": w.leads[:1], "ownerID": w.ids["rep"]}, "FORBIDDEN", ""},
		{"suppress", "Suppress", map[string]any{"input": map[string]any{"kind": "DND", "leadID": w.leads[0]}}, "FORBIDDEN", ""},
	}
	w.runCases(t, a, cases)

	id := w.must(t, w.do(t, a, "ExportLeads", map[string]any{"columns": []string{"name", "phone"}}), "exportLeads", "id")
	if rows := exportRows(t, w, a, id); len(rows) != len(all) {
		t.Errorf("analyst export has %d rows, want %d", len(rows), len(all))
	}
}

// exportRows waits for export job id and returns its CSV rows (header
// dropped), checking each has its phone masked.
func exportRows(t *testing.T, w *roleWorld, token, id string) []string {
	t.Helper()
	j := waitJob(t, w.api, token, id)
	if j.Status != "SUCCEEDED" || j.ResultURL == nil {
		t.Fatalf("export = %+v", j)
	}
	status, _, body := w.api.Get(token, *j.ResultURL)
	rows := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(body), "\ufeff")), "\n")
	if status != 200 || len(rows) < 1 {
		t.Fatalf("export %d: %q", status, body)
	}
	for _, row := range rows[1:] {
		if !strings.Contains(row, "****") {
			t.Errorf("export row %q is not masked", row)
		}
	}
	return rows[1:]
}

// roleCase is one refused request: the contract operation, its variables
// and the error it must get (field "" when the refusal names no input).
type roleCase struct {
	name, op    string
	vars        map[string]any
	code, field string
}

// runCases sends each case as token and checks it is refused as said, writing nothing.
func (w *roleWorld) runCases(t *testing.T, token string, cases []roleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := w.leadRowsDigest(t)
			w.refused(t, c.op, w.do(t, token, c.op, c.vars), c.code, c.field, before)
		})
	}
}

// TestAcceptanceRep: a rep sees its own leads and the pool, edits only its
// own, claims from the pool and releases only its own; another's task or
// job is as one that does not exist.
func TestAcceptanceRep(t *testing.T) {
	w := newRoleWorld(t)
	rep := w.tok["rep"]

	w.expectListed(t, rep, w.leadsOf(0, 1, 2, 3), false)
	j := w.must(t, w.do(t, w.tok["analyst"], "CreateJourney", map[string]any{"input": map[string]any{"name": "j",
		"trigger": map[string]any{"manual": map[string]any{}}, "steps": []any{map[string]any{"wait": map[string]any{"days": 1}}}}}), "createJourney", "id")
	w.nodeRefused(t, rep, map[gid.Type]string{gid.User: w.ids["rep2"], gid.Journey: j})
	ghost := gid.Encode(gid.New(gid.Lead))
	if a, b := answerOf(w.do(t, rep, "Lead", map[string]any{"id": w.leads[4]})), answerOf(w.do(t, rep, "Lead", map[string]any{"id": ghost})); a != b {
		t.Errorf("another rep's lead answers %s, a missing one %s", a, b)
	}

	w.runCases(t, rep, []roleCase{
		{"update a pool lead", "UpdateLead", map[string]any{"id": w.leads[0], "input": map[string]any{"company": "x"}}, "FORBIDDEN", "id"},
		{"tag a pool lead", "TagLeads", map[string]any{"leadIDs": []string{w.leads[3], w.leads[0]}, "tagIDs": []string{w.ids["tag"]}}, "FORBIDDEN", "leadIDs[1]"},
		{"stage of another's lead", "MoveLeadStage", map[string]any{"id": w.leads[4], "stageID": w.stage(t, "contacted")}, "FORBIDDEN", "id"},
		{"follow up a pool lead", "CreateFollowUp", map[string]any{"input": map[string]any{"leadID": w.leads[0], "kind": "NOTE", "content": "x"}}, "FORBIDDEN", "input.leadID"},
		{"assign", "AssignLeads", map[string]any{"ids": w.leads[3:4], "ownerID": w.ids["rep2"]}, "FORBIDDEN", ""},
		{"export", "ExportLeads", map[string]any{}, "FORBIDDEN", ""},
		{"enrol", "EnrollLeads", map[string]any{"journeyID": gid.Encode(gid.New(gid.Journey)), "leadIDs": w.leads[3:4]}, "FORBIDDEN", ""},
	})

	t.Run("claim and release", func(t *testing.T) {
		d := w.data(t, w.do(t, rep, "ClaimLeads", map[string]any{"ids": []string{w.leads[0], w.leads[4]}}))
		claimed := dig(d, "claimLeads", "claimed").([]any)
		failures := dig(d, "claimLeads", "failures").([]any)
		if len(claimed) != 1 || dig(claimed[0], "id") != w.leads[0] || dig(claimed[0], "owner", "id") != w.ids["rep"] {
			t.Errorf("claimed = %v", claimed)
		}
		if len(failures) != 1 || dig(failures[0], "leadID") != w.leads[4] || dig(failures[0], "code") != "NOT_FOUND" {
			t.Errorf("claim of another rep's lead: failures %v", failures)
		}
		before := w.leadRowsDigest(t)
		d = w.data(t, w.do(t, rep, "ReleaseLeads", map[string]any{"ids": []string{w.leads[5], w.leads[1]}, "reason": "x"}))
		if dig(d, "releaseLeads", "released") != 0.0 || w.leadRowsDigest(t) != before {
			t.Errorf("rep released another rep's lead: %v", d)
		}
		d = w.data(t, w.do(t, rep, "ReleaseLeads", map[string]any{"ids": []string{w.leads[0]}, "reason": "x"}))
		if dig(d, "releaseLeads", "released") != 1.0 {
			t.Errorf("release of an own lead = %v", d)
		}
		// Per lead: one already owned, then the daily limit of a rep allowed one claim a day.
		in := map[string]any{"name": "rep3", "email": "rep3@acme.test", "password": "rep3-password", "roles": []string{"rep"}, "dailyClaimLimit": 1}
		w.must(t, w.do(t, w.admin, "CreateUser", map[string]any{"input": in}), "createUser", "id")
		rep3 := w.api.Login("acme", "rep3@acme.test", "rep3-password")
		d = w.data(t, w.do(t, rep3, "ClaimLeads", map[string]any{"ids": []string{w.leads[3], w.leads[1], w.leads[2]}}))
		var codes []string
		for _, f := range dig(d, "claimLeads", "failures").([]any) {
			codes = append(codes, fmt.Sprint(dig(f, "code")))
		}
		if n := len(dig(d, "claimLeads", "claimed").([]any)); n != 1 || !slices.Equal(codes, []string{"NOT_FOUND", "DAILY_LIMIT"}) {
			t.Errorf("rep3 claims %d, failures %v; want 1 and [NOT_FOUND DAILY_LIMIT]", n, codes)
		}
		// The limit is given apart from the English message, for the client's own words.
		var again struct {
			ClaimLeads struct {
				Failures []struct {
					Code  string
					Limit *int
					Pool  *string
					Until *string
				}
			}
		}
		w.api.MustDo(rep3, `mutation($ids: [ID!]!) { claimLeads(ids: $ids) { failures { code limit pool until } } }`, map[string]any{"ids": []string{w.leads[2]}}, &again)
		if f := again.ClaimLeads.Failures; len(f) != 1 || f[0].Code != "DAILY_LIMIT" || f[0].Limit == nil || *f[0].Limit != 1 || f[0].Pool != nil || f[0].Until != nil {
			t.Errorf("rep3's second claim: failures %+v; want DAILY_LIMIT with limit 1, no pool, no until", f)
		}
	})

	t.Run("tasks", func(t *testing.T) {
		due := w.api.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		give := `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`
		var mine, theirs struct{ CreateTask struct{ ID string } }
		w.api.MustDo(w.admin, give, map[string]any{"input": map[string]any{"title": "call", "dueAt": due, "assigneeID": w.ids["rep"], "leadID": w.leads[3]}}, &mine)
		w.api.MustDo(w.admin, give, map[string]any{"input": map[string]any{"title": "visit", "dueAt": due, "assigneeID": w.ids["rep2"], "leadID": w.leads[4]}}, &theirs)
		for _, tok := range []string{rep, w.tok["rep2"]} {
			d := w.data(t, w.do(t, tok, "MyTasks", map[string]any{"first": 50}))
			edges := dig(d, "myTasks", "edges").([]any)
			want := mine.CreateTask.ID
			if tok != rep {
				want = theirs.CreateTask.ID
			}
			if len(edges) != 1 || dig(edges[0], "node", "id") != want || dig(d, "myTasks", "totalCount") != 1.0 {
				t.Errorf("myTasks = %v, want only %s", d, want)
			}
		}
		ghost := gid.Encode(gid.New(gid.Task))
		before := w.leadRowsDigest(t)
		other := w.do(t, rep, "CompleteTask", map[string]any{"id": theirs.CreateTask.ID, "note": "done"})
		w.refused(t, "completeTask of another's task", other, "NOT_FOUND", "id", before)
		if a, b := answerOf(other), answerOf(w.do(t, rep, "CompleteTask", map[string]any{"id": ghost})); a != b {
			t.Errorf("another's task answers %s, a missing one %s", a, b)
		}
		d := w.data(t, w.do(t, rep, "CompleteTask", map[string]any{"id": mine.CreateTask.ID, "note": "done"}))
		if dig(d, "completeTask", "status") != "DONE" {
			t.Errorf("completeTask = %v", d)
		}
	})

	t.Run("jobs", func(t *testing.T) {
		id := w.must(t, w.do(t, w.admin, "ExportLeads", map[string]any{"columns": []string{"name"}}), "exportLeads", "id")
		waitJob(t, w.api, w.admin, id)
		ghost := gid.Encode(gid.New(gid.Job))
		for _, op := range []string{"Job", "CancelJob"} {
			a, b := answerOf(w.do(t, rep, op, map[string]any{"id": id})), answerOf(w.do(t, rep, op, map[string]any{"id": ghost}))
			if a != b || !strings.Contains(a, "NOT_FOUND") {
				t.Errorf("%s of the admin's job answers %s, of a missing job %s; want NOT_FOUND for both", op, a, b)
			}
		}
		if status, _, _ := w.api.Get(rep, "/v1/jobs/"+id+"/result"); status != 404 {
			t.Errorf("the admin's export downloads for a rep: %d", status)
		}
	})
}

// TestAcceptanceBadInput: each bad input gets a code and the input path and
// writes nothing.
func TestAcceptanceBadInput(t *testing.T) {
	w := newRoleWorld(t)
	long := strings.Repeat("长", 5000)
	terr := w.ids["east"]
	lead := w.leads[3]
	seg := w.must(t, w.do(t, w.admin, "CreateSegment", map[string]any{"input": map[string]any{"name": "pool", "kind": "DYNAMIC",
		"rule": map[string]any{"owner": map[string]any{"public": true}}}}), "createSegment", "id")
	w.data(t, w.do(t, w.admin, "ConfigureChannel", map[string]any{"key": "webhook", "config": map[string]any{"url": "https://hooks.example.com/scrm", "secret": contractHookSecret}}))
	var task struct{ CreateTask struct{ ID string } }
	w.api.MustDo(w.admin, `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`,
		map[string]any{"input": map[string]any{"title": "call", "dueAt": w.api.Clock.Now().Add(time.Hour).Format(time.RFC3339)}}, &task)
	w.runCases(t, w.admin, []roleCase{
		{"lead id of another type", "UpdateLead", map[string]any{"id": terr, "input": map[string]any{"company": "x"}}, "NOT_FOUND", "id"},
		{"empty id", "UpdateLead", map[string]any{"id": "", "input": map[string]any{"company": "x"}}, "BAD_USER_INPUT", "id"},
		{"garbage id", "UpdateLead", map[string]any{"id": "not-an-id", "input": map[string]any{"company": "x"}}, "BAD_USER_INPUT", "id"},
		{"too long company", "UpdateLead", map[string]any{"id": lead, "input": map[string]any{"company": long}}, "BAD_USER_INPUT", "input.company"},
		{"too long name", "UpdateLead", map[string]any{"id": lead, "input": map[string]any{"name": long}}, "BAD_USER_INPUT", "input.name"},
		{"empty territory name", "CreateTerritory", map[string]any{"input": map[string]any{"name": ""}}, "BAD_USER_INPUT", "input.name"},
		{"too long territory name", "CreateTerritory", map[string]any{"input": map[string]any{"name": long}}, "BAD_USER_INPUT", "input.name"},
		{"negative page", "Leads", map[string]any{"first": -1}, "BAD_USER_INPUT", "first"},
		{"unknown enum", "Leads", map[string]any{"orderBy": map[string]any{"field": "PHONE", "direction": "ASC"}}, "GRAPHQL_VALIDATION_FAILED", "orderBy.field"},
		{"unknown follow-up kind", "CreateFollowUp", map[string]any{"input": map[string]any{"leadID": lead, "kind": "PIGEON", "content": "x"}}, "GRAPHQL_VALIDATION_FAILED", "input.kind"},
		{"tag id of another type", "TagLeads", map[string]any{"leadIDs": []string{lead}, "tagIDs": []string{lead}}, "NOT_FOUND", "tagIDs[0]"},
		{"lead id of another type in a list", "TagLeads", map[string]any{"leadIDs": []string{lead, terr}, "tagIDs": []string{w.ids["tag"]}}, "NOT_FOUND", "leadIDs[1]"},
		{"empty id in a list", "TagLeads", map[string]any{"leadIDs": []string{lead, ""}, "tagIDs": []string{w.ids["tag"]}}, "BAD_USER_INPUT", "leadIDs[1]"},
		{"stage id of another type", "MoveLeadStage", map[string]any{"id": lead, "stageID": terr}, "NOT_FOUND", "stageID"},
		{"owner id of another type", "AssignLeads", map[string]any{"ids": []string{lead}, "ownerID": terr}, "NOT_FOUND|BAD_USER_INPUT", "ownerID"},
		{"empty follow-up lead", "CreateFollowUp", map[string]any{"input": map[string]any{"leadID": "", "kind": "NOTE", "content": "x"}}, "BAD_USER_INPUT", "input.leadID"},
		{"empty follow-up", "CreateFollowUp", map[string]any{"input": map[string]any{"leadID": lead, "kind": "NOTE", "content": " "}}, "BAD_USER_INPUT", "input.content"},
		{"two keys in a rule node", "CreateSegment", map[string]any{"input": map[string]any{"name": "s", "kind": "DYNAMIC", "rule": map[string]any{
			"owner": map[string]any{"public": true}, "stage": map[string]any{"in": []string{}}}}}, "BAD_USER_INPUT", "input.rule"},
		{"empty segment name", "CreateSegment", map[string]any{"input": map[string]any{"name": " ", "kind": "DYNAMIC", "rule": map[string]any{
			"owner": map[string]any{"public": true}}}}, "BAD_USER_INPUT", "input.name"},
		{"negative pool limit", "CreatePool", map[string]any{"input": map[string]any{"name": "p", "dailyClaimLimit": -1}}, "BAD_USER_INPUT", "input.dailyClaimLimit"},
		{"negative capacity", "CreateUser", map[string]any{"input": map[string]any{"name": "u", "email": "u@acme.test", "password": "u-password-1", "roles": []string{"rep"}, "capacity": -5}}, "BAD_USER_INPUT", "input.capacity"},
		{"empty email", "CreateUser", map[string]any{"input": map[string]any{"name": "u", "email": "", "password": "u-password-1", "roles": []string{"rep"}}}, "BAD_USER_INPUT", "input.email"},
		{"negative member page", "Segment", map[string]any{"id": seg, "first": -1}, "BAD_USER_INPUT", "first"},
		{"negative enrolment page", "Journey", map[string]any{"id": gid.Encode(gid.New(gid.Journey)), "first": -5}, "BAD_USER_INPUT", "first"},
		{"negative task page", "MyTasks", map[string]any{"first": -1}, "BAD_USER_INPUT", "first"},
		{"unknown task status", "MyTasks", map[string]any{"status": "SOMEDAY"}, "GRAPHQL_VALIDATION_FAILED", "status"},
		{"task id of another type", "CompleteTask", map[string]any{"id": lead}, "NOT_FOUND", "id"},
		{"job id of another type", "CancelJob", map[string]any{"id": lead}, "NOT_FOUND", "id"},
		{"journey id of another type", "EnrollLeads", map[string]any{"journeyID": lead, "leadIDs": []string{lead}}, "NOT_FOUND", "journeyID"},
		{"unknown journey status", "SetJourneyStatus", map[string]any{"id": gid.Encode(gid.New(gid.Journey)), "status": "PAUSED_FOREVER"}, "GRAPHQL_VALIDATION_FAILED", "status"},
		{"unknown funnel group", "Funnel", map[string]any{"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "groupBy": "PLANET"}, "GRAPHQL_VALIDATION_FAILED", "groupBy"},
		{"funnel upside down", "Funnel", map[string]any{"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "BAD_USER_INPUT", "to"},
		{"empty contact way", "CreateContactWay", map[string]any{"input": map[string]any{"name": "", "userIDs": []string{}}}, "BAD_USER_INPUT", "input.name"},
		{"too long follow-up", "CreateFollowUp", map[string]any{"input": map[string]any{"leadID": lead, "kind": "NOTE", "content": strings.Repeat(long, 20)}}, "BAD_USER_INPUT", "input.content"},
		{"too long stage reason", "MoveLeadStage", map[string]any{"id": lead, "stageID": w.stage(t, "contacted"), "reason": long}, "BAD_USER_INPUT", "reason"},
		{"too long release reason", "ReleaseLeads", map[string]any{"ids": []string{lead}, "reason": long}, "BAD_USER_INPUT", "reason"},
		{"empty claim id", "ClaimLeads", map[string]any{"ids": []string{""}}, "BAD_USER_INPUT", "ids[0]"},
		{"negative deal", "CreateDeal", map[string]any{"input": map[string]any{"leadID": lead, "amount": -5}}, "BAD_USER_INPUT", "input.amount"},
		{"unknown currency", "CreateDeal", map[string]any{"input": map[string]any{"leadID": lead, "amount": 5, "currency": "ZZZZ"}}, "BAD_USER_INPUT", "input.currency"},
		{"empty partner", "CreatePartner", map[string]any{"input": map[string]any{"name": " "}}, "BAD_USER_INPUT", "input.name"},
		{"too long partner", "CreatePartner", map[string]any{"input": map[string]any{"name": long}}, "BAD_USER_INPUT", "input.name"},
		{"empty team", "CreateTeam", map[string]any{"input": map[string]any{"name": ""}}, "BAD_USER_INPUT", "input.name"},
		{"too long tag group", "CreateTagGroup", map[string]any{"input": map[string]any{"name": long}}, "BAD_USER_INPUT", "input.name"},
		{"empty tag", "CreateTag", map[string]any{"input": map[string]any{"name": "", "groupID": w.ids["tagGroup"]}}, "BAD_USER_INPUT", "input.name"},
		{"too long segment name", "CreateSegment", map[string]any{"input": map[string]any{"name": long, "kind": "DYNAMIC", "rule": map[string]any{
			"owner": map[string]any{"public": true}}}}, "BAD_USER_INPUT", "input.name"},
		{"negative refresh", "CreateSegment", map[string]any{"input": map[string]any{"name": "s", "kind": "DYNAMIC", "refreshEveryMinutes": -1, "rule": map[string]any{
			"owner": map[string]any{"public": true}}}}, "BAD_USER_INPUT", "input.refreshEveryMinutes"},
		{"negative recycle days", "CreatePool", map[string]any{"input": map[string]any{"name": "p", "recycleNoFollowUpDays": -1}}, "BAD_USER_INPUT", "input.recycleNoFollowUpDays"},
		{"empty pool name", "CreatePool", map[string]any{"input": map[string]any{"name": ""}}, "BAD_USER_INPUT", "input.name"},
		{"negative daily limit", "CreateUser", map[string]any{"input": map[string]any{"name": "u", "email": "u@acme.test", "password": "u-password-1", "roles": []string{"rep"}, "dailyClaimLimit": -1}}, "BAD_USER_INPUT", "input.dailyClaimLimit"},
		{"too long user name", "CreateUser", map[string]any{"input": map[string]any{"name": long, "email": "u@acme.test", "password": "u-password-1", "roles": []string{"rep"}}}, "BAD_USER_INPUT", "input.name"},
		{"empty grant role", "GrantPermission", map[string]any{"role": "", "resource": "lead", "action": "read"}, "BAD_USER_INPUT", "role"},
		{"empty grant resource", "GrantPermission", map[string]any{"role": "rep", "resource": "", "action": "read"}, "BAD_USER_INPUT", "resource"},
		{"too long field label", "CreateFieldDefinition", map[string]any{"input": map[string]any{"entity": "LEAD", "key": "k1", "label": long, "type": "TEXT"}}, "BAD_USER_INPUT", "input.label"},
		{"negative field position", "CreateFieldDefinition", map[string]any{"input": map[string]any{"entity": "LEAD", "key": "k2", "label": "x", "type": "TEXT", "position": -1}}, "BAD_USER_INPUT", "input.position"},
		{"field moved to a negative position", "UpdateFieldDefinition", map[string]any{"id": w.ids["field"], "input": map[string]any{"position": -1}}, "BAD_USER_INPUT", "input.position"},
		{"bad field key", "CreateFieldDefinition", map[string]any{"input": map[string]any{"entity": "LEAD", "key": "Bad Key", "label": "x", "type": "TEXT"}}, "BAD_USER_INPUT", "input.key"},
		{"negative broadcast rate", "CreateBroadcast", map[string]any{"input": map[string]any{"name": "b", "segmentID": seg, "channel": "webhook", "template": "hi", "ratePerSecond": -1}}, "BAD_USER_INPUT", "input.ratePerSecond"},
		{"empty broadcast name", "CreateBroadcast", map[string]any{"input": map[string]any{"name": "", "segmentID": seg, "channel": "webhook", "template": "hi"}}, "BAD_USER_INPUT", "input.name"},
		{"broadcast to a lead id", "CreateBroadcast", map[string]any{"input": map[string]any{"name": "b", "segmentID": lead, "channel": "webhook", "template": "hi"}}, "NOT_FOUND", "input.segmentID"},
		{"too long task note", "CompleteTask", map[string]any{"id": task.CreateTask.ID, "note": strings.Repeat(long, 20)}, "BAD_USER_INPUT", "note"},
		{"negative wait", "CreateJourney", map[string]any{"input": map[string]any{"name": "j", "trigger": map[string]any{"manual": map[string]any{}},
			"steps": []any{map[string]any{"wait": map[string]any{"days": -1}}}}}, "BAD_USER_INPUT", "input.steps[0].wait.days"},
		{"too long journey name", "CreateJourney", map[string]any{"input": map[string]any{"name": long, "trigger": map[string]any{"manual": map[string]any{}},
			"steps": []any{map[string]any{"wait": map[string]any{"days": 1}}}}}, "BAD_USER_INPUT", "input.name"},
		{"empty channel key", "ConfigureChannel", map[string]any{"key": "", "config": map[string]any{}}, "BAD_USER_INPUT", "key"},
		{"unknown channel", "ConfigureChannel", map[string]any{"key": "pigeon", "config": map[string]any{}}, "BAD_USER_INPUT|NOT_FOUND", "key"},
		{"too long WeCom user id", "LinkWeComUser", map[string]any{"id": w.ids["rep"], "wecomUserID": long}, "BAD_USER_INPUT", "input.wecomUserID"},
		{"WeCom link of a lead id", "LinkWeComUser", map[string]any{"id": lead, "wecomUserID": "zhangsan"}, "NOT_FOUND", "id"},
		{"contact way for a lead id", "CreateContactWay", map[string]any{"input": map[string]any{"name": "c", "userIDs": []string{lead}}}, "NOT_FOUND|BAD_USER_INPUT", "input.userIDs[0]"},
		{"contact way with an unknown strategy", "CreateContactWay", map[string]any{"input": map[string]any{"name": "c", "userIDs": []string{w.ids["rep"]}, "strategy": "RANDOM"}}, "GRAPHQL_VALIDATION_FAILED", "input.strategy"},
		{"task step for a lead id", "CreateJourney", map[string]any{"input": map[string]any{"name": "j", "trigger": map[string]any{"manual": map[string]any{}},
			"steps": []any{map[string]any{"createTask": map[string]any{"title": "t", "assignee": "USER", "userID": lead}}}}}, "NOT_FOUND|BAD_USER_INPUT", "input.steps[0].createTask.userID"},
		{"two keys in a step", "CreateJourney", map[string]any{"input": map[string]any{"name": "j", "trigger": map[string]any{"manual": map[string]any{}},
			"steps": []any{map[string]any{"wait": map[string]any{"days": 1}, "addTags": map[string]any{"tagIDs": []string{w.ids["tag"]}}}}}}, "BAD_USER_INPUT", "input.steps[0]"},
		{"trigger on a lead id", "CreateJourney", map[string]any{"input": map[string]any{"name": "j", "trigger": map[string]any{"tagAdded": map[string]any{"tagID": lead}},
			"steps": []any{map[string]any{"wait": map[string]any{"days": 1}}}}}, "NOT_FOUND|BAD_USER_INPUT", "input.trigger.tagAdded.tagID"},
		{"field definition of a lead id", "UpdateFieldDefinition", map[string]any{"id": lead, "input": map[string]any{"label": "x"}}, "NOT_FOUND", "id"},
		{"archive a lead id", "ArchiveFieldDefinition", map[string]any{"id": lead}, "NOT_FOUND", "id"},
		{"refresh a lead id", "RefreshSegment", map[string]any{"id": lead}, "NOT_FOUND", "id"},
		{"cancel a lead id", "CancelBroadcast", map[string]any{"id": lead}, "NOT_FOUND", "id"},
		{"journey status of a lead id", "SetJourneyStatus", map[string]any{"id": lead, "status": "ACTIVE"}, "NOT_FOUND", "id"},
		{"enrol in a missing journey", "EnrollLeads", map[string]any{"journeyID": gid.Encode(gid.New(gid.Journey)), "leadIDs": []string{lead}}, "NOT_FOUND", "journeyID"},
		{"stage of a territory id", "MoveLeadStage", map[string]any{"id": terr, "stageID": w.stage(t, "contacted")}, "NOT_FOUND", "id"},
		{"merge a territory id", "MergeLeads", map[string]any{"primaryID": lead, "duplicateIDs": []string{terr}}, "NOT_FOUND", "duplicateIDs[0]"},
		{"deal on a territory id", "CreateDeal", map[string]any{"input": map[string]any{"leadID": terr, "amount": 1}}, "NOT_FOUND", "input.leadID"},
		{"suppress a territory id", "Suppress", map[string]any{"input": map[string]any{"kind": "DND", "leadID": terr}}, "NOT_FOUND", "input.leadID"},
		{"partner in a lead id's territory", "CreatePartner", map[string]any{"input": map[string]any{"name": "p", "territoryIDs": []string{lead}}}, "NOT_FOUND", "input.territoryIDs[0]"},
		{"team managed by a lead id", "CreateTeam", map[string]any{"input": map[string]any{"name": "t", "managerID": lead}}, "NOT_FOUND|BAD_USER_INPUT", "input.managerID"},
		{"territory under a lead id", "CreateTerritory", map[string]any{"input": map[string]any{"name": "t", "parentID": lead}}, "NOT_FOUND", "input.parentID"},
		{"tag in a lead id's group", "CreateTag", map[string]any{"input": map[string]any{"name": "t", "groupID": lead}}, "NOT_FOUND", "input.groupID"},
		{"no leads to ingest", "IngestLeads", map[string]any{"input": map[string]any{"leads": []any{}}}, "BAD_USER_INPUT", "input.leads"},
		{"no events", "TrackEvents", map[string]any{"events": []any{}}, "BAD_USER_INPUT", "events"},
		{"preview of a lead id segment", "PreviewSegment", map[string]any{"rule": map[string]any{"segment": lead}}, "NOT_FOUND", "rule.segment"},
		{"preview of a lead id tag", "PreviewSegment", map[string]any{"rule": map[string]any{"tag": map[string]any{"any": []string{lead}}}}, "NOT_FOUND", "rule.tag.any[0]"},
		{"preview of a lead id stage", "PreviewSegment", map[string]any{"rule": map[string]any{"stage": map[string]any{"in": []string{lead}}}}, "NOT_FOUND", "rule.stage.in[0]"},
		{"preview of a negative window", "PreviewSegment", map[string]any{"rule": map[string]any{"event": map[string]any{"name": "x", "withinDays": -1}}}, "BAD_USER_INPUT", "rule.event.withinDays"},
		{"preview of an empty event", "PreviewSegment", map[string]any{"rule": map[string]any{"event": map[string]any{"name": ""}}}, "BAD_USER_INPUT", "rule.event.name"},
		{"preview of one child", "PreviewSegment", map[string]any{"rule": map[string]any{"union": []any{map[string]any{"owner": map[string]any{"public": true}}}}}, "BAD_USER_INPUT", "rule.union"},
		{"preview of an empty node", "PreviewSegment", map[string]any{"rule": map[string]any{}}, "BAD_USER_INPUT", "rule"},
		{"bad scoring condition", "CreateScoringRule", map[string]any{"input": map[string]any{"name": "s", "condition": "lead.score >", "points": 5}}, "BAD_USER_INPUT", "input.condition"},
		{"negative decay", "CreateScoringRule", map[string]any{"input": map[string]any{"name": "s", "condition": "true", "points": 5, "decayDays": -1}}, "BAD_USER_INPUT", "input.decayDays"},
		{"assignment to a lead id", "CreateAssignmentRule", map[string]any{"input": map[string]any{"name": "a", "priority": 1, "condition": "true", "strategy": "ROUND_ROBIN",
			"targets": []any{map[string]any{"userID": lead, "weight": 1}}}}, "NOT_FOUND", "input.targets[0].userID"},
		{"empty funnel period", "Funnel", map[string]any{"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "BAD_USER_INPUT", "to"},
		{"empty journey", "CreateJourney", map[string]any{"input": map[string]any{"name": "", "trigger": map[string]any{"manual": map[string]any{}}, "steps": []any{}}}, "BAD_USER_INPUT", "input.name"},
	})
	// A page above the maximum is capped, as the contract says, not refused.
	big := w.data(t, w.do(t, w.admin, "Leads", map[string]any{"first": 5000}))
	if n := len(dig(big, "leads", "edges").([]any)); n == 0 || n > 1000 {
		t.Errorf("leads(first: 5000) answered %d edges; want the workspace's leads, at most 1000", n)
	}
}

// stage is the id of the default pipeline's stage key.
func (w *roleWorld) stage(t *testing.T, key string) string {
	t.Helper()
	for _, p := range w.data(t, w.do(t, w.admin, "Pipelines", nil))["pipelines"].([]any) {
		for _, st := range dig(p, "stages").([]any) {
			if dig(p, "isDefault") == true && dig(st, "key") == key {
				return dig(st, "id").(string)
			}
		}
	}
	t.Fatalf("no stage %s", key)
	return ""
}

// nodeRefused checks that node(id:) of each id, a type token may not list,
// is FORBIDDEN and answers as node(id:) of an id of that type that does not
// exist, so it tells nothing about the row.
func (w *roleWorld) nodeRefused(t *testing.T, token string, ids map[gid.Type]string) {
	t.Helper()
	const q = `query($id: ID!) { node(id: $id) { id ... on User { email } ... on Segment { name } ... on Territory { name } ... on Journey { name } } }`
	for typ, id := range ids {
		got := answerOf(w.api.Do(token, q, map[string]any{"id": id}))
		ghost := answerOf(w.api.Do(token, q, map[string]any{"id": gid.Encode(gid.New(typ))}))
		if got != ghost || !strings.Contains(got, "FORBIDDEN") {
			t.Errorf("node(%s) = %s, of a missing %s %s; want FORBIDDEN for both", typ, got, typ, ghost)
		}
	}
}

// TestAcceptanceManager: a manager of a team (rep) with the west territory
// sees its team's leads, its territory's and the pool, unmasked; it edits
// the first two but not a lead it sees only in the pool; it assigns pool
// leads to its rep, and a lead outside its scope fails as one that does not
// exist; it gives tasks to its team only; its funnel and export count what
// it sees; it cannot change the workspace's setup.
func TestAcceptanceManager(t *testing.T) {
	w := newRoleWorld(t)
	in := map[string]any{"name": "mgr", "email": "mgr@acme.test", "password": "mgr-password", "roles": []string{"manager"},
		"territoryIDs": []string{w.ids["west"]}}
	w.ids["mgr"] = w.must(t, w.do(t, w.admin, "CreateUser", map[string]any{"input": in}), "createUser", "id")
	w.must(t, w.do(t, w.admin, "CreateTeam", map[string]any{"input": map[string]any{"name": "东区一组",
		"managerID": w.ids["mgr"], "memberIDs": []string{w.ids["rep"]}}}), "createTeam", "id")
	mgr := w.api.Login("acme", "mgr@acme.test", "mgr-password")

	// Pool (0, 1, 2), the team's rep (3), the west territory (2, 4); not rep2's east lead 5.
	seen := w.leadsOf(0, 1, 2, 3, 4)
	w.expectListed(t, mgr, seen, false)
	if a, b := answerOf(w.do(t, mgr, "Lead", map[string]any{"id": w.leads[5]})), answerOf(w.do(t, mgr, "Lead", map[string]any{"id": gid.Encode(gid.New(gid.Lead))})); a != b {
		t.Errorf("a lead outside the manager's scope answers %s, a missing one %s", a, b)
	}
	for _, i := range []int{3, 4} {
		d := w.data(t, w.do(t, mgr, "UpdateLead", map[string]any{"id": w.leads[i], "input": map[string]any{"company": "管理员改"}}))
		if dig(d, "updateLead", "company") != "管理员改" {
			t.Errorf("manager's update of lead %d = %v", i, d)
		}
	}
	due := w.api.Clock.Now().Add(time.Hour).Format(time.RFC3339)
	w.runCases(t, mgr, []roleCase{
		{"update a lead seen only in the pool", "UpdateLead", map[string]any{"id": w.leads[0], "input": map[string]any{"company": "x"}}, "FORBIDDEN", "id"},
		{"update a lead outside the scope", "UpdateLead", map[string]any{"id": w.leads[5], "input": map[string]any{"company": "x"}}, "FORBIDDEN", "id"},
		{"tag a pool lead", "TagLeads", map[string]any{"leadIDs": []string{w.leads[3], w.leads[1]}, "tagIDs": []string{w.ids["tag"]}}, "FORBIDDEN", "leadIDs[1]"},
		{"create a territory", "CreateTerritory", map[string]any{"input": map[string]any{"name": "north"}}, "FORBIDDEN", ""},
		{"create a user", "CreateUser", map[string]any{"input": map[string]any{"name": "x", "email": "x@acme.test", "password": "x-password-1", "roles": []string{"rep"}}}, "FORBIDDEN", ""},
		{"grant a permission", "GrantPermission", map[string]any{"role": "rep", "resource": "lead", "action": "assign"}, "FORBIDDEN", ""},
		{"create a scoring rule", "CreateScoringRule", map[string]any{"input": map[string]any{"name": "r", "condition": "true", "points": 1}}, "FORBIDDEN", ""},
		{"configure a channel", "ConfigureChannel", map[string]any{"key": "webhook", "config": map[string]any{"url": "https://example.com/h"}}, "FORBIDDEN", ""},
	})
	t.Run("task for an outsider", func(t *testing.T) {
		before := w.leadRowsDigest(t)
		r := w.api.Do(mgr, `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`,
			map[string]any{"input": map[string]any{"title": "visit", "dueAt": due, "assigneeID": w.ids["rep2"]}})
		w.refused(t, "createTask for rep2", r, "FORBIDDEN", "input.assigneeID", before)
	})

	t.Run("assign", func(t *testing.T) {
		d := w.data(t, w.do(t, mgr, "AssignLeads", map[string]any{"ids": []string{w.leads[0], w.leads[5]}, "ownerID": w.ids["rep"]}))
		failures := dig(d, "assignLeads", "failures").([]any)
		if dig(d, "assignLeads", "assigned") != 1.0 || len(failures) != 1 || dig(failures[0], "leadID") != w.leads[5] ||
			dig(failures[0], "code") != "NOT_FOUND" {
			t.Errorf("assignLeads(pool lead, outside lead) = %v; want one assigned and lead 5 NOT_FOUND", d)
		}
		var owner struct {
			Node struct{ Owner *struct{ ID string } }
		}
		w.api.MustDo(mgr, `query($id:ID!){ node(id:$id){ ... on Lead { owner { id } } } }`, map[string]any{"id": w.leads[0]}, &owner)
		if owner.Node.Owner == nil || owner.Node.Owner.ID != w.ids["rep"] {
			t.Errorf("lead 0's owner after the assignment: %+v", owner.Node.Owner)
		}
		// Now the team's, the manager may tag it.
		d = w.data(t, w.do(t, mgr, "TagLeads", map[string]any{"leadIDs": []string{w.leads[0]}, "tagIDs": []string{w.ids["tag"]}}))
		if len(d) == 0 {
			t.Error("tagging an assigned lead answered nothing")
		}
	})

	t.Run("task for the team", func(t *testing.T) {
		var made struct{ CreateTask struct{ ID string } }
		w.api.MustDo(mgr, `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`,
			map[string]any{"input": map[string]any{"title": "call", "dueAt": due, "assigneeID": w.ids["rep"], "leadID": w.leads[3]}}, &made)
		d := w.data(t, w.do(t, w.tok["rep"], "MyTasks", map[string]any{"first": 10}))
		edges := dig(d, "myTasks", "edges").([]any)
		if len(edges) != 1 || dig(edges[0], "node", "id") != made.CreateTask.ID {
			t.Errorf("rep's tasks after the manager gave one: %v", d)
		}
	})

	t.Run("funnel and export", func(t *testing.T) {
		d := w.data(t, w.do(t, mgr, "Funnel", w.funnelVars()))
		if c := dig(dig(d["funnel"].([]any)[0], "steps").([]any)[0], "count"); c != float64(len(seen)) {
			t.Errorf("manager's funnel LISTED = %v, want %d", c, len(seen))
		}
		id := w.must(t, w.do(t, mgr, "ExportLeads", map[string]any{"columns": []string{"name", "phone"}}), "exportLeads", "id")
		j := waitJob(t, w.api, mgr, id)
		if j.Status != "SUCCEEDED" || j.ResultURL == nil {
			t.Fatalf("export = %+v", j)
		}
		_, _, body := w.api.Get(mgr, *j.ResultURL)
		rows := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(body), "\ufeff")), "\n")[1:]
		if len(rows) != len(seen) {
			t.Errorf("manager's export has %d rows, want %d: %q", len(rows), len(seen), body)
		}
		for _, row := range rows {
			if strings.Contains(row, "****") {
				t.Errorf("manager's export row %q is masked", row)
			}
		}
	})
}
