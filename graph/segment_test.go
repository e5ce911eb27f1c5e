package graph_test

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

// TestSegmentsRespectRowScope: previews and member lists show each role only
// the leads its row scope lets it see; the saved segment itself holds the
// whole workspace's members.
func TestSegmentsRespectRowScope(t *testing.T) {
	api := apitest.New(t)
	r := rand.New(rand.NewPCG(8, 8))
	w := buildWorld(t, api, "segscope", r, 150, []string{"rep", "rep", "manager", "partner", "analyst"})
	admin := api.Login("segscope", "admin@segscope.test", "password-a")
	for _, role := range []string{"rep", "manager", "partner"} {
		api.MustDo(admin, `mutation($r:String!){ grantPermission(role:$r, resource:"segment", action:"read") }`, map[string]any{"r": role}, nil)
	}
	// Every active lead created in the last hundred years: the whole universe.
	rule := map[string]any{"attribute": map[string]any{"key": "createdAt", "op": "GT", "value": "1990-01-01"}}
	var created struct{ CreateSegment struct{ ID string } }
	api.MustDo(admin, `mutation($r:SegmentRuleInput!){ createSegment(input:{name:"all", rule:$r}){ id } }`, map[string]any{"r": rule}, &created)
	segID := created.CreateSegment.ID
	waitStatus(t, api, segID, "READY")

	var active []string
	for _, l := range w.leads {
		if l.Status == lead.StatusACTIVE {
			active = append(active, gid.Encode(l.ID))
		}
	}
	for _, u := range w.users {
		t.Run(u.role+" "+u.email, func(t *testing.T) {
			var want []string
			for _, id := range w.expected(u) {
				if slices.Contains(active, id) {
					want = append(want, id)
				}
			}
			token := api.Login("segscope", u.email, "user-password")
			var p struct {
				PreviewSegment struct{ Count int }
			}
			api.MustDo(token, `query($r:SegmentRuleInput!){ previewSegment(rule:$r){ count } }`, map[string]any{"r": rule}, &p)
			if p.PreviewSegment.Count != len(want) {
				t.Errorf("preview count %d, want %d", p.PreviewSegment.Count, len(want))
			}
			var m struct {
				Node struct {
					MemberCount int
					Members     struct {
						TotalCount int
						Edges      []struct{ Node struct{ ID string } }
					}
				}
			}
			api.MustDo(token, `query($id:ID!){ node(id:$id){ ... on Segment { memberCount members(first: 1000) { totalCount edges { node { id } } } } } }`,
				map[string]any{"id": segID}, &m)
			var got []string
			for _, e := range m.Node.Members.Edges {
				got = append(got, e.Node.ID)
			}
			sort.Strings(got)
			if m.Node.Members.TotalCount != len(want) || !slices.Equal(got, want) {
				t.Errorf("members %d (total %d), want %d", len(got), m.Node.Members.TotalCount, len(want))
			}
			if m.Node.MemberCount != len(active) {
				t.Errorf("memberCount %d, want the workspace's %d", m.Node.MemberCount, len(active))
			}
			// The leads list narrowed to the segment: its members the
			// caller reads (the active ones; the list alone has the others too).
			var l struct {
				Leads struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID string } }
				}
			}
			api.MustDo(token, `query($s: ID!){ leads(first: 1000, where: {inSegment: $s}) { totalCount edges { node { id } } } }`,
				map[string]any{"s": segID}, &l)
			got = got[:0]
			for _, e := range l.Leads.Edges {
				got = append(got, e.Node.ID)
			}
			sort.Strings(got)
			if l.Leads.TotalCount != len(want) || !slices.Equal(got, want) {
				t.Errorf("leads in the segment %d (total %d), want %d", len(got), l.Leads.TotalCount, len(want))
			}
		})
	}
	// An empty segment matches nothing; others' ids, a deleted or unknown
	// segment are NOT_FOUND at the path.
	var none struct{ CreateSegment struct{ ID string } }
	api.MustDo(admin, `mutation($r:SegmentRuleInput!){ createSegment(input:{name:"none", rule:$r}){ id } }`,
		map[string]any{"r": map[string]any{"attribute": map[string]any{"key": "createdAt", "op": "LT", "value": "1990-01-01"}}}, &none)
	waitStatus(t, api, none.CreateSegment.ID, "READY")
	var all struct{ Leads struct{ TotalCount int } }
	api.MustDo(admin, `query($s: ID!){ leads(where: {inSegment: $s}) { totalCount } }`, map[string]any{"s": none.CreateSegment.ID}, &all)
	if all.Leads.TotalCount != 0 {
		t.Errorf("leads in an empty segment: %d", all.Leads.TotalCount)
	}
	api.MustDo(admin, `query($s: ID!){ leads(where: {statusIn: [ACTIVE], inSegment: $s}) { totalCount } }`, map[string]any{"s": segID}, &all)
	if all.Leads.TotalCount != len(active) {
		t.Errorf("the admin's leads in the segment: %d, want %d", all.Leads.TotalCount, len(active))
	}
	for _, id := range []string{gid.Encode(gid.New(gid.Segment)), gid.Encode(w.leads[0].ID)} {
		res := api.Do(admin, `query($s: ID!){ leads(where: {or: [{inSegment: $s}]}) { totalCount } }`, map[string]any{"s": id})
		if len(res.Errors) != 1 || res.Errors[0].Code() != "NOT_FOUND" || res.Errors[0].Field() != "where.or[0].inSegment" {
			t.Errorf("leads in segment %s: %+v; want NOT_FOUND at where.or[0].inSegment", id, res.Errors)
		}
	}

	// A rep without the grant cannot read segments at all.
	api.MustDo(admin, `mutation { revokePermission(role:"rep", resource:"segment", action:"read") }`, nil, nil)
	rep := api.Login("segscope", w.users[0].email, "user-password")
	if res := api.Do(rep, `query($r:SegmentRuleInput!){ previewSegment(rule:$r){ count } }`, map[string]any{"r": rule}); len(res.Errors) == 0 || res.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("preview without segment read: %+v", res.Errors)
	}
	if res := api.Do(rep, `query($s: ID!){ leads(where: {inSegment: $s}) { totalCount } }`, map[string]any{"s": segID}); len(res.Errors) != 1 ||
		res.Errors[0].Code() != "FORBIDDEN" || res.Errors[0].Field() != "where.inSegment" {
		t.Errorf("leads in a segment without segment read: %+v", res.Errors)
	}
}

// TestSegmentLifecycleThroughTheAPI: errors name the input path and write
// nothing; a refresh keeps the old members readable until the new version is
// ready; a referenced segment cannot be deleted.
func TestSegmentLifecycleThroughTheAPI(t *testing.T) {
	api := apitest.New(t)
	created, token := api.Workspace("seglife")
	seedLeads(t, api, created, 4)
	var tags struct {
		CreateTagGroup struct{ Tags []struct{ ID string } }
	}
	api.MustDo(token, `mutation { createTagGroup(input:{name:"g", tags:["a"]}){ tags { id } } }`, nil, &tags)
	tag := tags.CreateTagGroup.Tags[0].ID

	bad := []struct {
		rule  map[string]any
		code  string
		field string
	}{
		{map[string]any{}, "BAD_USER_INPUT", "input.rule"},
		{map[string]any{"and": []any{map[string]any{"attribute": map[string]any{"key": "nope", "op": "EQ", "value": 1}}}}, "BAD_USER_INPUT", "input.rule.and[0].attribute.key"},
		{map[string]any{"tag": map[string]any{"any": []string{tag}}, "stage": map[string]any{"in": []string{tag}}}, "BAD_USER_INPUT", "input.rule"},
		{map[string]any{"stage": map[string]any{"in": []string{tag}}}, "NOT_FOUND", "input.rule.stage.in[0]"},
		{map[string]any{"union": []any{map[string]any{"tag": map[string]any{"any": []string{tag}}}}}, "BAD_USER_INPUT", "input.rule.union"},
	}
	for _, b := range bad {
		res := api.Do(token, `mutation($r:SegmentRuleInput!){ createSegment(input:{name:"bad", rule:$r}){ id } }`, map[string]any{"r": b.rule})
		if len(res.Errors) == 0 || res.Errors[0].Code() != b.code || res.Errors[0].Field() != b.field {
			t.Errorf("rule %v: %+v, want %s at %s", b.rule, res.Errors, b.code, b.field)
		}
	}
	var n int
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM segments`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused creates wrote %d segments (%v)", n, err)
	}

	var a, b struct{ CreateSegment struct{ ID string } }
	api.MustDo(token, `mutation($t:ID!){ createSegment(input:{name:"tagged", rule:{tag:{any:[$t]}}}){ id } }`, map[string]any{"t": tag}, &a)
	api.MustDo(token, `mutation($s:ID!){ createSegment(input:{name:"not tagged", kind: STATIC, rule:{not:{segment:$s}}}){ id } }`, map[string]any{"s": a.CreateSegment.ID}, &b)
	waitStatus(t, api, a.CreateSegment.ID, "READY")
	waitStatus(t, api, b.CreateSegment.ID, "READY")
	res := api.Do(token, `mutation($id:ID!){ deleteSegment(id:$id) }`, map[string]any{"id": a.CreateSegment.ID})
	if len(res.Errors) == 0 || res.Errors[0].Code() != "CONFLICT" || !strings.Contains(res.Errors[0].Message, "not tagged") {
		t.Errorf("deleting a referenced segment: %+v", res.Errors)
	}
	var rule struct {
		Node struct {
			Rule map[string]any
		}
	}
	api.MustDo(token, `query($id:ID!){ node(id:$id){ ... on Segment { rule } } }`, map[string]any{"id": b.CreateSegment.ID}, &rule)
	if dig(rule.Node.Rule, "not", "segment") != a.CreateSegment.ID {
		t.Errorf("rule read back = %v", rule.Node.Rule)
	}
	res = api.Do(token, `mutation($id:ID!){ updateSegment(id:$id, input:{refreshEveryMinutes: 10}){ id } }`, map[string]any{"id": b.CreateSegment.ID})
	if len(res.Errors) == 0 || res.Errors[0].Field() != "input.refreshEveryMinutes" {
		t.Errorf("a schedule on a STATIC segment: %+v", res.Errors)
	}
	api.MustDo(token, `mutation($id:ID!){ deleteSegment(id:$id) }`, map[string]any{"id": b.CreateSegment.ID}, nil)
	api.MustDo(token, `mutation($id:ID!){ deleteSegment(id:$id) }`, map[string]any{"id": a.CreateSegment.ID}, nil)
	if err := api.DB.DB.QueryRow(`SELECT (SELECT count(*) FROM segments) + (SELECT count(*) FROM segment_versions)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after deletes %d rows remain (%v)", n, err)
	}
}

func waitStatus(t *testing.T, api *apitest.API, id, want string) {
	t.Helper()
	raw, _ := gid.Decode(id)
	var status string
	for range 200 {
		if err := api.DB.DB.QueryRow(`SELECT status FROM segments WHERE id = $1`, raw).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("segment %s is %s, want %s", id, status, want)
}
