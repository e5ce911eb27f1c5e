package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
	"github.com/scrmhq/scrm/plugins/webhook"
)

// contractRun is one contract operation sent as written, with variables, and
// the check of what it must do.
type contractRun struct {
	vars func(s *scenario) map[string]any
	// files, when set, are uploaded with the operation (a multipart
	// request), each in place of the variable it is keyed by.
	files func(s *scenario) map[string]apitest.File
	check func(t *testing.T, s *scenario, data map[string]any)
}

// scenario is the shared state the runs build on, in contract order.
type scenario struct {
	t     testing.TB
	api   *apitest.API
	token string
	ids   map[string]string
	leads []string
	hook  *hookReceiver
	wecom *wecomfake.Server
}

const contractHookSecret = "contract-webhook-secret-01"

// hookReceiver is a webhook endpoint on loopback: it counts the messages
// whose signature verifies.
type hookReceiver struct {
	mu  sync.Mutex
	ok  int
	srv *httptest.Server
}

func newHookReceiver() *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhook.Verify(contractHookSecret, r.Header, body, time.Now(), 5*time.Minute) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.mu.Lock()
		h.ok++
		h.mu.Unlock()
	}))
	return h
}

func (h *hookReceiver) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ok
}

// contractRuns must cover every contract operation that validates; the test
// fails for a validating operation without one.
var contractRuns = map[string]contractRun{
	"Login": {
		vars: func(*scenario) map[string]any {
			return map[string]any{"workspace": "acme", "email": "admin@acme.test", "password": "password-acme"}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			login := d["login"].(map[string]any)
			if login["token"] == "" || dig(login, "user", "email") != "admin@acme.test" {
				t.Errorf("login = %v", login)
			}
			if roles := dig(login, "user", "roles").([]any); len(roles) != 1 || roles[0] != "admin" {
				t.Errorf("roles = %v", roles)
			}
		},
	},
	"Me": {
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "me", "workspace", "slug") != "acme" || dig(d, "me", "email") != "admin@acme.test" {
				t.Errorf("me = %v", d["me"])
			}
			s.ids["me"], _ = dig(d, "me", "id").(string)
		},
	},
	"CreateTerritory": {
		vars: func(*scenario) map[string]any { return map[string]any{"input": map[string]any{"name": "华东"}} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			s.ids["territory"] = dig(d, "createTerritory", "id").(string)
			if dig(d, "createTerritory", "name") != "华东" || dig(d, "createTerritory", "parent") != nil {
				t.Errorf("createTerritory = %v", d)
			}
		},
	},
	"CreatePartner": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"name": "渠道A", "territoryIDs": []string{s.ids["territory"]}}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			s.ids["partner"] = dig(d, "createPartner", "id").(string)
			if ts := dig(d, "createPartner", "territories").([]any); len(ts) != 1 || dig(ts[0], "id") != s.ids["territory"] {
				t.Errorf("createPartner = %v", d)
			}
		},
	},
	"CreateUser": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{
				"name": "Rep One", "email": "Rep1@Acme.test", "password": "rep-password", "roles": []string{"rep"},
				"territoryIDs": []string{s.ids["territory"]}, "capacity": 30, "dailyClaimLimit": 5,
			}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			u := d["createUser"].(map[string]any)
			s.ids["rep"] = u["id"].(string)
			if u["email"] != "rep1@acme.test" || u["capacity"].(float64) != 30 || u["partner"] != nil {
				t.Errorf("createUser = %v", u)
			}
			if ts := u["territories"].([]any); len(ts) != 1 {
				t.Errorf("territories = %v", ts)
			}
			// The new user can sign in.
			if tok := s.api.Login("acme", "rep1@acme.test", "rep-password"); tok == "" {
				t.Error("new user cannot log in")
			}
		},
	},
	"CreateTeam": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"name": "一组", "managerID": s.ids["rep"]}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "createTeam", "manager", "id") != s.ids["rep"] {
				t.Errorf("createTeam = %v", d)
			}
		},
	},
	"GrantPermission": {
		vars: func(*scenario) map[string]any {
			return map[string]any{"role": "analyst", "resource": "lead.contact", "action": "read"}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if d["grantPermission"] != true {
				t.Errorf("grantPermission = %v", d)
			}
		},
	},
	"RevokePermission": {
		vars: func(*scenario) map[string]any {
			return map[string]any{"role": "rep", "resource": "lead", "action": "delete"}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if d["revokePermission"] != true {
				t.Errorf("revokePermission = %v", d)
			}
		},
	},
	"Permissions": {
		vars: func(*scenario) map[string]any { return map[string]any{"role": "analyst"} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			found := false
			for _, p := range d["permissions"].([]any) {
				if dig(p, "resource") == "lead.contact" && dig(p, "action") == "read" && dig(p, "role") == "analyst" {
					found = true
				}
			}
			if !found {
				t.Errorf("granted permission missing from %v", d["permissions"])
			}
		},
	},
	"CreateFieldDefinition": {
		vars: func(*scenario) map[string]any {
			return map[string]any{"input": map[string]any{"entity": "LEAD", "key": "budget", "label": "预算", "type": "NUMBER", "min": 0, "position": 1}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			f := d["createFieldDefinition"].(map[string]any)
			s.ids["field"] = f["id"].(string)
			if f["key"] != "budget" || f["type"] != "NUMBER" || f["archived"] != false || f["indexed"] != false {
				t.Errorf("createFieldDefinition = %v", f)
			}
		},
	},
	"UpdateFieldDefinition": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"id": s.ids["field"], "input": map[string]any{"label": "预算 (元)", "position": 0}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "updateFieldDefinition", "label") != "预算 (元)" || dig(d, "updateFieldDefinition", "position").(float64) != 0 {
				t.Errorf("updateFieldDefinition = %v", d)
			}
		},
	},
	"ArchiveFieldDefinition": {
		vars: func(s *scenario) map[string]any {
			var out struct{ CreateFieldDefinition struct{ ID string } }
			s.api.MustDo(s.token, `mutation { createFieldDefinition(input:{key:"legacy_code", label:"Legacy", type: TEXT}) { id } }`, nil, &out)
			s.ids["legacy"] = out.CreateFieldDefinition.ID
			return map[string]any{"id": out.CreateFieldDefinition.ID}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "archiveFieldDefinition", "archived") != true {
				t.Errorf("archiveFieldDefinition = %v", d)
			}
		},
	},
	"FieldDefinitions": {
		vars: func(*scenario) map[string]any { return map[string]any{"entity": "LEAD", "includeArchived": true} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			var keys []string
			for _, f := range d["fieldDefinitions"].([]any) {
				keys = append(keys, fmt.Sprintf("%s:%v", dig(f, "key"), dig(f, "archived")))
			}
			if !slices.Equal(keys, []string{"budget:false", "legacy_code:true"}) {
				t.Errorf("fieldDefinitions = %v", keys)
			}
		},
	},
	"CreatePipeline": {
		vars: func(*scenario) map[string]any {
			return map[string]any{"input": map[string]any{"name": "续费", "stages": []map[string]any{
				{"key": "due", "name": "待续费", "kind": "OPEN", "probability": 20, "rotDays": 7, "funnelStep": "LISTED"},
				{"key": "renewed", "name": "已续费", "kind": "WON", "probability": 100, "funnelStep": "REPURCHASE"},
				{"key": "churned", "name": "流失", "kind": "LOST"},
			}}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			p := d["createPipeline"].(map[string]any)
			st := p["stages"].([]any)
			if p["isDefault"] != false || len(st) != 3 || dig(st[1], "key") != "renewed" || dig(st[1], "position").(float64) != 1 || dig(st[0], "rotDays").(float64) != 7 {
				t.Errorf("createPipeline = %v", p)
			}
		},
	},
	"CreateTagGroup": {
		vars: func(*scenario) map[string]any {
			return map[string]any{"input": map[string]any{"name": "意向", "exclusive": true, "tags": []string{"高意向", "低意向"}}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			g := d["createTagGroup"].(map[string]any)
			s.ids["group"] = g["id"].(string)
			tags := g["tags"].([]any)
			if g["exclusive"] != true || len(tags) != 2 {
				t.Fatalf("createTagGroup = %v", g)
			}
			for _, tg := range tags {
				s.ids["tag:"+dig(tg, "name").(string)] = dig(tg, "id").(string)
			}
		},
	},
	"CreateTag": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"name": "VIP", "color": "gold"}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			s.ids["tag:VIP"] = dig(d, "createTag", "id").(string)
			if dig(d, "createTag", "name") != "VIP" || dig(d, "createTag", "group") != nil {
				t.Errorf("createTag = %v", d)
			}
		},
	},
	"IngestLeads": {
		vars: func(*scenario) map[string]any { return ingestVars() },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			p := d["ingestLeads"].(map[string]any)
			res := p["results"].([]any)
			if p["created"] != 1.0 || p["merged"] != 1.0 || p["rejected"] != 1.0 || len(res) != 3 {
				t.Fatalf("ingestLeads = %v", p)
			}
			if dig(res[0], "status") != "MERGED" || dig(res[0], "lead", "id") != s.leads[0] {
				t.Errorf("duplicate of a seeded lead: %v", res[0])
			}
			if dig(res[1], "status") != "CREATED" || dig(res[1], "lead", "id") == nil {
				t.Errorf("new lead: %v", res[1])
			}
			errs := dig(res[2], "errors").([]any)
			if dig(res[2], "status") != "REJECTED" || dig(res[2], "lead") != nil || len(errs) != 1 || dig(errs[0], "field") != "phone" || dig(errs[0], "code") != "INVALID_VALUE" {
				t.Errorf("bad row: %v", res[2])
			}
			s.ids["ingested"] = dig(res[1], "lead", "id").(string)
			// The same key again: the first answer, nothing written.
			var n int
			_ = s.api.DB.DB.QueryRow(`SELECT count(*) FROM leads`).Scan(&n)
			var again struct{ IngestLeads struct{ Created, Merged int } }
			s.api.MustDo(s.token, `mutation($input: IngestLeadsInput!) { ingestLeads(input: $input) { created merged } }`, ingestVars(), &again)
			var m int
			_ = s.api.DB.DB.QueryRow(`SELECT count(*) FROM leads`).Scan(&m)
			if again.IngestLeads.Created != 1 || again.IngestLeads.Merged != 1 || m != n {
				t.Errorf("replay = %+v, leads %d -> %d", again, n, m)
			}
		},
	},
	"Lead": {
		vars: func(s *scenario) map[string]any { return map[string]any{"id": s.leads[0]} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			n := d["node"].(map[string]any)
			if n["id"] != s.leads[0] || dig(n, "stage", "key") != "new" || n["followUps"] == nil {
				t.Errorf("lead = %v", n)
			}
			var tags []string
			for _, tg := range n["tags"].([]any) {
				tags = append(tags, dig(tg, "name").(string))
			}
			if !slices.Contains(tags, "展会") {
				t.Errorf("tags from the merged duplicate = %v", tags)
			}
		},
	},
	"MergeLeads": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"primaryID": s.leads[1], "duplicateIDs": []string{s.ids["ingested"]}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			m := d["mergeLeads"].(map[string]any)
			if m["id"] != s.leads[1] || dig(m, "attributes", "budget") != 5000.0 {
				t.Errorf("mergeLeads = %v", m)
			}
			var status string
			id, _ := gid.Decode(s.ids["ingested"])
			if err := s.api.DB.DB.QueryRow(`SELECT status FROM leads WHERE id = $1`, id).Scan(&status); err != nil || status != "MERGED" {
				t.Errorf("duplicate status %q %v", status, err)
			}
		},
	},
	"CreateFollowUp": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"leadID": s.leads[0], "kind": "CALL", "content": "聊了十分钟", "outcome": "CONNECTED", "nextFollowUpAt": "2099-01-01T00:00:00Z"}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			f := d["createFollowUp"].(map[string]any)
			if f["kind"] != "CALL" || dig(f, "lead", "id") != s.leads[0] || dig(f, "lead", "lastFollowUpAt") == nil {
				t.Errorf("createFollowUp = %v", f)
			}
		},
	},
	"CreateDeal": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"leadID": s.leads[0], "amount": 19999.5, "currency": "cny"}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			dl := d["createDeal"].(map[string]any)
			if dl["amount"] != 19999.5 || dig(dl, "lead", "id") != s.leads[0] || dl["owner"] != nil {
				t.Errorf("createDeal = %v", dl)
			}
		},
	},
	"CreatePool": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{
				"name": "华东公海", "territoryIDs": []string{s.ids["territory"]}, "recycleNoFollowUpDays": 7,
				"recycleNoDealDays": 30, "remindBeforeDays": 2, "cooldownDays": 5, "protectionDays": 2, "dailyClaimLimit": 10,
			}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			p := d["createPool"].(map[string]any)
			if p["name"] != "华东公海" || p["isDefault"] != false || p["recycleNoFollowUpDays"] != 7.0 || p["cooldownDays"] != 5.0 ||
				p["protectionDays"] != 2.0 || p["dailyClaimLimit"] != 10.0 || p["remindBeforeDays"] != 2.0 {
				t.Errorf("createPool = %v", p)
			}
			// A reminder at or past the recycle day is refused, naming the field.
			r := s.api.Do(s.token, `mutation($input: CreatePoolInput!){ createPool(input:$input){ id } }`,
				map[string]any{"input": map[string]any{"name": "bad", "recycleNoFollowUpDays": 3, "remindBeforeDays": 3}})
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "input.remindBeforeDays" {
				t.Errorf("bad pool: %+v", r.Errors)
			}
		},
	},
	"ClaimLeads": {
		vars: func(s *scenario) map[string]any { return map[string]any{"ids": []string{s.leads[1], s.leads[1]}} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			claimed := dig(d, "claimLeads", "claimed").([]any)
			if len(claimed) != 1 || dig(claimed[0], "id") != s.leads[1] || dig(claimed[0], "owner", "id") != s.ids["me"] ||
				dig(claimed[0], "claimedAt") == nil || dig(claimed[0], "protectedUntil") == nil {
				t.Errorf("claimLeads = %v", d)
			}
			// Claiming it again fails for that lead, with a code.
			var again struct {
				ClaimLeads struct {
					Failures []struct{ LeadID, Code string }
				}
			}
			s.api.MustDo(s.token, `mutation($ids:[ID!]!){ claimLeads(ids:$ids){ failures { leadID code } } }`, map[string]any{"ids": []string{s.leads[1]}}, &again)
			if f := again.ClaimLeads.Failures; len(f) != 1 || f[0].LeadID != s.leads[1] || f[0].Code != "ALREADY_OWNED" {
				t.Errorf("second claim failures = %+v", f)
			}
		},
	},
	"ReleaseLeads": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"ids": []string{s.leads[1]}, "reason": "不是我的区域"}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "releaseLeads", "released") != 1.0 {
				t.Errorf("releaseLeads = %v", d)
			}
			var out struct {
				Node struct {
					Owner        *struct{ ID string }
					OwnerChanges []struct{ Kind, Reason string }
				}
			}
			s.api.MustDo(s.token, `query($id:ID!){ node(id:$id){ ... on Lead { owner { id } ownerChanges { kind reason } } } }`, map[string]any{"id": s.leads[1]}, &out)
			if out.Node.Owner != nil || len(out.Node.OwnerChanges) != 2 || out.Node.OwnerChanges[1].Kind != "RELEASE" || out.Node.OwnerChanges[1].Reason != "不是我的区域" {
				t.Errorf("after release: %+v", out.Node)
			}
		},
	},
	"AssignLeads": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"ids": []string{s.leads[1], s.leads[2]}, "ownerID": s.ids["rep"]}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "assignLeads", "assigned") != 2.0 || len(dig(d, "assignLeads", "failures").([]any)) != 0 {
				t.Errorf("assignLeads = %v", d)
			}
			var out struct {
				Node struct{ Owner struct{ ID string } }
			}
			s.api.MustDo(s.token, `query($id:ID!){ node(id:$id){ ... on Lead { owner { id } } } }`, map[string]any{"id": s.leads[2]}, &out)
			if out.Node.Owner.ID != s.ids["rep"] {
				t.Errorf("lead 2 owner = %v, want the rep", out.Node.Owner)
			}
		},
	},
	"CreateAssignmentRule": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{
				"name": "官网线索", "priority": 10, "condition": `lead.source == "web" && attributes.budget > 1000.0`,
				"strategy": "WEIGHTED", "targets": []any{map[string]any{"userID": s.ids["rep"], "weight": 2}}, "dailyCap": 20,
			}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			r := d["createAssignmentRule"].(map[string]any)
			if r["name"] != "官网线索" || r["priority"] != 10.0 || r["strategy"] != "WEIGHTED" || r["enabled"] != true {
				t.Errorf("createAssignmentRule = %v", r)
			}
			// A condition naming a field the workspace does not have is refused at the condition.
			bad := s.api.Do(s.token, `mutation($input: CreateAssignmentRuleInput!){ createAssignmentRule(input:$input){ id } }`,
				map[string]any{"input": map[string]any{"name": "bad", "condition": `attributes.nosuch > 1`, "strategy": "ROUND_ROBIN",
					"targets": []any{map[string]any{"userID": s.ids["rep"]}}}})
			if len(bad.Errors) != 1 || bad.Errors[0].Code() != "BAD_USER_INPUT" || bad.Errors[0].Field() != "input.condition" {
				t.Errorf("bad rule: %+v", bad.Errors)
			}
		},
	},
	"CreateScoringRule": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"name": "高意向", "condition": `"高意向" in tags`, "points": 30, "decayDays": 30}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			r := d["createScoringRule"].(map[string]any)
			if r["name"] != "高意向" || r["points"] != 30.0 || r["condition"] != `"高意向" in tags` {
				t.Errorf("createScoringRule = %v", r)
			}
		},
	},
	"RecyclePools": {
		vars: func(s *scenario) map[string]any {
			// Assigned ten days ago and never followed up: the default pool
			// recycles leads 1 and 2.
			for _, id := range s.leads[1:] {
				raw, _ := gid.Decode(id)
				if _, err := s.api.DB.DB.Exec(`UPDATE leads SET claimed_at = claimed_at - interval '10 days', protected_until = NULL WHERE id = $1`, raw); err != nil {
					panic(err)
				}
			}
			return map[string]any{"dryRun": true}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			ids := dig(d, "recyclePools", "leadIDs").([]any)
			if dig(d, "recyclePools", "recycled") != 2.0 || len(ids) != 2 || !slices.Contains(ids, any(s.leads[1])) || !slices.Contains(ids, any(s.leads[2])) {
				t.Errorf("recyclePools(dryRun) = %v", d)
			}
			var out struct {
				Node struct{ Owner *struct{ ID string } }
			}
			s.api.MustDo(s.token, `query($id:ID!){ node(id:$id){ ... on Lead { owner { id } } } }`, map[string]any{"id": s.leads[2]}, &out)
			if out.Node.Owner == nil {
				t.Error("a dry run recycled lead 2")
			}
		},
	},
	"PreviewSegment": {
		vars: func(s *scenario) map[string]any { return map[string]any{"rule": segmentContractRule(s)} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			want := segmentContractCount(t, s)
			if dig(d, "previewSegment", "count") != float64(want) || want < 2 {
				t.Errorf("previewSegment = %v, want count %d (≥ 2)", d, want)
			}
			sample := dig(d, "previewSegment", "sample").([]any)
			if len(sample) != min(want, 10) || dig(sample[0], "name") == nil {
				t.Errorf("sample = %v", sample)
			}
		},
	},
	"CreateSegment": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"name": "高意向客户", "rule": segmentContractRule(s), "kind": "DYNAMIC", "refreshEveryMinutes": 60}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			seg := d["createSegment"].(map[string]any)
			s.ids["segment"], _ = seg["id"].(string)
			if seg["name"] != "高意向客户" || seg["kind"] != "DYNAMIC" || !slices.Contains([]any{"PENDING", "COMPUTING", "READY"}, seg["status"]) {
				t.Errorf("createSegment = %v", seg)
			}
			waitSegmentReady(t, s)
		},
	},
	"RefreshSegment": {
		vars: func(s *scenario) map[string]any { return map[string]any{"id": s.ids["segment"]} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "refreshSegment", "id") != s.ids["segment"] || dig(d, "refreshSegment", "status") != "PENDING" {
				t.Errorf("refreshSegment = %v", d)
			}
			waitSegmentReady(t, s)
		},
	},
	"Segment": {
		vars: func(s *scenario) map[string]any { return map[string]any{"id": s.ids["segment"], "first": 2} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			want := float64(segmentContractCount(t, s))
			n := d["node"].(map[string]any)
			if n["status"] != "READY" || n["memberCount"] != want || n["computedAt"] == nil || n["error"] != nil {
				t.Errorf("segment = %v, want READY with %v members", n, want)
			}
			if dig(n, "members", "totalCount") != want || len(dig(n, "members", "edges").([]any)) != 2 ||
				dig(n, "members", "pageInfo", "hasNextPage") != (want > 2) {
				t.Errorf("members page 1 = %v", n["members"])
			}
			// The next page continues after the cursor.
			var out struct {
				Node struct {
					Members struct {
						Edges []struct{ Node struct{ ID string } }
					}
				}
			}
			s.api.MustDo(s.token, `query($id:ID!,$after:Cursor){ node(id:$id){ ... on Segment { members(first: 100, after: $after) { edges { node { id } } } } } }`,
				map[string]any{"id": s.ids["segment"], "after": dig(n, "members", "pageInfo", "endCursor")}, &out)
			first := dig(n, "members", "edges").([]any)
			if len(out.Node.Members.Edges) != int(want)-2 {
				t.Errorf("page 2 has %d members, want %v", len(out.Node.Members.Edges), want-2)
			}
			for _, e := range out.Node.Members.Edges {
				for _, f := range first {
					if dig(f, "node", "id") == e.Node.ID {
						t.Errorf("lead %s on both pages", e.Node.ID)
					}
				}
			}
		},
	},
	"ConfigureChannel": {
		vars: func(s *scenario) map[string]any {
			s.hook = newHookReceiver()
			return map[string]any{"key": "webhook", "config": map[string]any{"url": s.hook.srv.URL, "secret": contractHookSecret}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "configureChannel", "key") != "webhook" || dig(d, "configureChannel", "enabled") != true {
				t.Errorf("configureChannel = %v", d)
			}
			var stored string
			if err := s.api.DB.DB.QueryRow(`SELECT config::text || encode(secrets, 'escape') FROM channels`).Scan(&stored); err != nil ||
				strings.Contains(stored, contractHookSecret) {
				t.Errorf("the secret is stored in clear (%v)", err)
			}
		},
	},
	"CreateBroadcast": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"name": "双十二预热", "segmentID": s.ids["segment"], "channel": "webhook",
				"template": "{{.name}}，您好", "frequencyCap": map[string]any{"max": 3, "days": 7}, "ratePerSecond": 100}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			s.ids["broadcast"], _ = dig(d, "createBroadcast", "id").(string)
			if dig(d, "createBroadcast", "scheduledAt") == nil || !slices.Contains([]any{"SCHEDULED", "PLANNING", "SENDING", "DONE"}, dig(d, "createBroadcast", "status")) {
				t.Errorf("createBroadcast = %v", d)
			}
		},
	},
	"CancelBroadcast": {
		vars: func(s *scenario) map[string]any {
			var out struct{ CreateBroadcast struct{ ID string } }
			s.api.MustDo(s.token, `mutation($s:ID!){ createBroadcast(input:{name:"later", segmentID:$s, channel:"webhook", template:"x", scheduledAt:"2099-01-01T00:00:00Z"}){ id } }`,
				map[string]any{"s": s.ids["segment"]}, &out)
			s.ids["later"] = out.CreateBroadcast.ID
			return map[string]any{"id": out.CreateBroadcast.ID}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "cancelBroadcast", "id") != s.ids["later"] || dig(d, "cancelBroadcast", "status") != "CANCELLED" {
				t.Errorf("cancelBroadcast = %v", d)
			}
		},
	},
	"Broadcast": {
		vars: func(s *scenario) map[string]any {
			id, _ := gid.Decode(s.ids["broadcast"])
			for range 300 {
				var status string
				if err := s.api.DB.DB.QueryRow(`SELECT status FROM broadcasts WHERE id = $1`, id).Scan(&status); err == nil && status == "DONE" {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			return map[string]any{"id": s.ids["broadcast"]}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			defer s.hook.srv.Close()
			n := d["node"].(map[string]any)
			st := n["stats"].(map[string]any)
			members := float64(segmentContractCount(t, s))
			got := s.hook.count()
			if n["status"] != "DONE" || n["startedAt"] == nil || n["finishedAt"] == nil || st["targeted"] != members {
				t.Errorf("broadcast = %v, want DONE targeting %v", n, members)
			}
			suppressed := st["suppressedDnd"].(float64) + st["suppressedBlacklist"].(float64) + st["suppressedCap"].(float64) + st["unreachable"].(float64)
			if st["sent"] != float64(got) || st["delivered"] != float64(got) || float64(got)+suppressed != members || got == 0 {
				t.Errorf("stats %v, the receiver got %d", st, got)
			}
		},
	},
	"CreateJourney": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{
				"name":    "新客培育",
				"trigger": map[string]any{"manual": map[string]any{}},
				"steps": []any{
					map[string]any{"addTags": map[string]any{"tagIDs": []string{s.ids["tag:VIP"]}}},
					map[string]any{"wait": map[string]any{"days": 1, "atLocalTime": "10:00"}},
					map[string]any{"condition": map[string]any{"rule": map[string]any{"tag": map[string]any{"any": []string{s.ids["tag:VIP"]}}}}},
				},
			}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			s.ids["journey"], _ = dig(d, "createJourney", "id").(string)
			if dig(d, "createJourney", "status") != "DRAFT" || dig(d, "createJourney", "version") != 1.0 || dig(d, "createJourney", "name") != "新客培育" {
				t.Errorf("createJourney = %v", d)
			}
			// A bad step is refused with its path, and writes nothing.
			r := s.api.Do(s.token, `mutation($i: CreateJourneyInput!){ createJourney(input: $i){ id } }`, map[string]any{"i": map[string]any{
				"name": "bad", "trigger": map[string]any{"manual": map[string]any{}},
				"steps": []any{map[string]any{"wait": map[string]any{"hours": 1}}, map[string]any{"wait": map[string]any{"atLocalTime": "25:00"}}},
			}})
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "input.steps[1].wait.atLocalTime" {
				t.Errorf("bad step: %+v", r.Errors)
			}
		},
	},
	"SetJourneyStatus": {
		vars: func(s *scenario) map[string]any { return map[string]any{"id": s.ids["journey"], "status": "ACTIVE"} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "setJourneyStatus", "id") != s.ids["journey"] || dig(d, "setJourneyStatus", "status") != "ACTIVE" {
				t.Errorf("setJourneyStatus = %v", d)
			}
		},
	},
	"EnrollLeads": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"journeyID": s.ids["journey"], "leadIDs": append([]string{s.ids["ingested"]}, s.leads...)}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			enrolled, _ := dig(d, "enrollLeads", "enrolled").(float64)
			skipped, _ := dig(d, "enrollLeads", "skipped").(float64)
			var active int
			_ = s.api.DB.DB.QueryRow(`SELECT count(*) FROM leads WHERE status = 'ACTIVE' AND id = ANY($1::uuid[])`,
				pq.StringArray(rawIDs(t, append([]string{s.ids["ingested"]}, s.leads...)))).Scan(&active)
			if enrolled != float64(active) || enrolled+skipped != float64(1+len(s.leads)) || enrolled == 0 {
				t.Errorf("enrollLeads = %v, want the %d active leads enrolled", d, active)
			}
			s.ids["enrolled"] = strconv.Itoa(int(enrolled))
			// Enrolled again while active: skipped.
			var again struct {
				EnrollLeads struct{ Enrolled, Skipped int }
			}
			s.api.MustDo(s.token, `mutation($j: ID!, $l: [ID!]!){ enrollLeads(journeyID: $j, leadIDs: $l){ enrolled skipped } }`,
				map[string]any{"j": s.ids["journey"], "l": []string{s.ids["ingested"]}}, &again)
			if again.EnrollLeads.Enrolled != 0 || again.EnrollLeads.Skipped != 1 {
				t.Errorf("second enrolment = %+v", again)
			}
		},
	},
	"Journey": {
		vars: func(s *scenario) map[string]any { return map[string]any{"id": s.ids["journey"], "first": 2} },
		check: func(t *testing.T, s *scenario, d map[string]any) {
			n, _ := strconv.Atoi(s.ids["enrolled"])
			node := d["node"].(map[string]any)
			want := map[string]any{"enrolled": float64(n), "active": float64(n), "completed": 0.0, "exited": 0.0, "failed": 0.0}
			if !reflect.DeepEqual(node["stats"], want) || node["status"] != "ACTIVE" || node["version"] != 1.0 {
				t.Errorf("journey = %v; want stats %v", node, want)
			}
			// The tag step ran (the scheduler task the enrolment queued) and
			// every lead waits at step 1 until tomorrow 10:00.
			steps := node["steps"].([]any)
			if len(steps) != 3 || dig(steps[0], "kind") != "addTags" || dig(steps[0], "reached") != float64(n) ||
				dig(steps[0], "completed") != float64(n) || dig(steps[1], "reached") != float64(n) || dig(steps[1], "completed") != 0.0 ||
				dig(steps[2], "reached") != 0.0 {
				t.Errorf("steps = %v", steps)
			}
			conn := node["enrollments"].(map[string]any)
			edges := conn["edges"].([]any)
			if conn["totalCount"] != float64(n) || len(edges) != min(2, n) {
				t.Fatalf("enrollments = %v", conn)
			}
			for _, e := range edges {
				if dig(e, "node", "status") != "ACTIVE" || dig(e, "node", "stepIndex") != 1.0 || dig(e, "node", "nextRunAt") == nil ||
					dig(e, "node", "leftAt") != nil || dig(e, "node", "lead", "id") == nil {
					t.Errorf("enrollment = %v", e)
				}
			}
		},
	},
	"CreateContactWay": {
		vars: func(s *scenario) map[string]any {
			// The workspace's corp is a fake WeCom; a rep is linked to its member.
			fake := wecomfake.New(s.t, "wwcontract0000001", "contract-contact-secret", "ContractToken01", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
			s.wecom = fake
			s.api.MustDo(s.token, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
				"corpId": fake.CorpID, "contactSecret": fake.Secret, "agentId": 1000002, "callbackToken": fake.Token,
				"encodingAESKey": fake.AESKey, "baseUrl": fake.Srv.URL}}, nil)
			var u struct{ CreateUser struct{ ID string } }
			s.api.MustDo(s.token, `mutation { createUser(input:{name: "活码成员", email: "member@contract.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
			s.api.MustDo(s.token, `mutation($id: ID!){ updateUser(id: $id, input: {wecomUserID: "member01"}) { id } }`, map[string]any{"id": u.CreateUser.ID}, nil)
			s.ids["member"] = u.CreateUser.ID
			return map[string]any{"input": map[string]any{"name": "官网活码", "userIDs": []string{u.CreateUser.ID}, "source": "website",
				"tagIDs": []string{s.ids["tag:VIP"]}, "welcomeMessage": "您好{{.name}}"}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			s.ids["contactWay"], _ = dig(d, "createContactWay", "id").(string)
			state, _ := dig(d, "createContactWay", "state").(string)
			code := s.wecom.ByState(state)
			if dig(d, "createContactWay", "name") != "官网活码" || code == nil || code.Type != 1 || code.Users[0] != "member01" ||
				dig(d, "createContactWay", "qrCodeURL") != code.QRCode {
				t.Errorf("createContactWay = %v; WeCom's code %+v", d, code)
			}
		},
	},
	"ContactWays": {
		check: func(t *testing.T, s *scenario, d map[string]any) {
			list := d["contactWays"].([]any)
			if len(list) != 1 || dig(list[0], "id") != s.ids["contactWay"] || dig(list[0], "source") != "website" ||
				dig(list[0], "qrCodeURL") == "" || dig(list[0], "state") == "" {
				t.Fatalf("contactWays = %v", list)
			}
			users := dig(list[0], "users").([]any)
			want := map[string]any{"added": 0.0, "lost": 0.0, "leadsCreated": 0.0, "leadsMerged": 0.0, "deals": 0.0}
			if len(users) != 1 || dig(users[0], "id") != s.ids["member"] || !reflect.DeepEqual(dig(list[0], "stats"), want) {
				t.Errorf("contactWays[0] = %v", list[0])
			}
			// The code's pool, as the edit form shows it: none, set, cleared.
			type codes struct {
				ContactWays []struct{ Pool *struct{ ID, Name string } }
			}
			var out codes
			s.api.MustDo(s.token, `{ contactWays { pool { id name } } }`, nil, &out)
			if len(out.ContactWays) != 1 || out.ContactWays[0].Pool != nil {
				t.Fatalf("a code without a pool: %+v", out)
			}
			var pools struct{ Pools []struct{ ID, Name string } }
			s.api.MustDo(s.token, `{ pools { id name } }`, nil, &pools)
			if len(pools.Pools) == 0 {
				t.Fatal("the workspace has no pool")
			}
			s.api.MustDo(s.token, `mutation($id: ID!, $p: ID!){ updateContactWay(id: $id, input: {poolID: $p}){ id } }`,
				map[string]any{"id": s.ids["contactWay"], "p": pools.Pools[0].ID}, nil)
			out = codes{}
			s.api.MustDo(s.token, `{ contactWays { pool { id name } } }`, nil, &out)
			if p := out.ContactWays[0].Pool; p == nil || p.ID != pools.Pools[0].ID || p.Name != pools.Pools[0].Name {
				t.Errorf("the code's pool after updateContactWay(poolID) = %+v, want %+v", p, pools.Pools[0])
			}
			s.api.MustDo(s.token, `mutation($id: ID!){ updateContactWay(id: $id, input: {clearPool: true}){ id } }`,
				map[string]any{"id": s.ids["contactWay"]}, nil)
			out = codes{}
			s.api.MustDo(s.token, `{ contactWays { pool { id } } }`, nil, &out)
			if out.ContactWays[0].Pool != nil {
				t.Errorf("the code's pool after clearPool = %+v", out.ContactWays[0].Pool)
			}
		},
	},
	"MyTasks": {
		vars: func(s *scenario) map[string]any {
			// A journey gives the caller a call task for a lead: its
			// createTask step runs in the worker once the lead is enrolled.
			var me struct{ Me struct{ ID string } }
			s.api.MustDo(s.token, `{ me { id } }`, nil, &me)
			var j struct{ CreateJourney struct{ ID string } }
			s.api.MustDo(s.token, `mutation($i: CreateJourneyInput!){ createJourney(input: $i){ id } }`, map[string]any{"i": map[string]any{
				"name": "回访计划", "trigger": map[string]any{"manual": map[string]any{}},
				"steps": []any{map[string]any{"createTask": map[string]any{"title": "回访", "description": "问报价",
					"assignee": "USER", "userID": me.Me.ID, "dueInHours": 0}}},
			}}, &j)
			s.ids["taskJourney"] = j.CreateJourney.ID
			s.api.MustDo(s.token, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ACTIVE){ id } }`, map[string]any{"id": j.CreateJourney.ID}, nil)
			s.api.MustDo(s.token, `mutation($j: ID!, $l: [ID!]!){ enrollLeads(journeyID: $j, leadIDs: $l){ enrolled } }`,
				map[string]any{"j": j.CreateJourney.ID, "l": []string{s.leads[1]}}, nil)
			s.api.WaitIdle()
			return map[string]any{"status": "OPEN", "first": 10}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			conn := d["myTasks"].(map[string]any)
			edges := conn["edges"].([]any)
			if conn["totalCount"] != float64(len(edges)) || len(edges) == 0 {
				t.Fatalf("myTasks = %v", conn)
			}
			last := ""
			for _, e := range edges {
				n := dig(e, "node").(map[string]any)
				if n["status"] != "OPEN" || n["dueAt"].(string) < last {
					t.Errorf("task %v: not OPEN or not oldest due first", n)
				}
				last = n["dueAt"].(string)
				if n["title"] == "回访" && dig(n, "journey", "id") == s.ids["taskJourney"] && dig(n, "lead", "id") == s.leads[1] {
					s.ids["task"] = n["id"].(string)
				}
			}
			if s.ids["task"] == "" {
				t.Fatalf("the journey's task is not in myTasks: %v", edges)
			}
		},
	},
	"CompleteTask": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"id": s.ids["task"], "note": "已回访，下周报价"}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "completeTask", "id") != s.ids["task"] || dig(d, "completeTask", "status") != "DONE" || dig(d, "completeTask", "completedAt") == nil {
				t.Errorf("completeTask = %v", d)
			}
			// The note is a follow-up on the lead; a second completion is a CONFLICT.
			var n int
			id, _ := gid.Decode(s.leads[1])
			if err := s.api.DB.DB.QueryRow(`SELECT count(*) FROM follow_ups WHERE lead_id = $1 AND content = '已回访，下周报价'`, id).Scan(&n); err != nil || n != 1 {
				t.Errorf("follow-ups with the note: %d (%v), want 1", n, err)
			}
			r := s.api.Do(s.token, `mutation($id: ID!){ completeTask(id: $id){ id } }`, map[string]any{"id": s.ids["task"]})
			if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" {
				t.Errorf("second completion: %+v", r.Errors)
			}
		},
	},
	"Funnel": {
		vars: func(s *scenario) map[string]any {
			now := s.api.Clock.Now()
			return map[string]any{"from": now.Add(-24 * time.Hour).Format(time.RFC3339), "to": now.Add(time.Hour).Format(time.RFC3339), "groupBy": "SOURCE"}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			// LISTED per source, counted independently.
			want := map[string]float64{}
			rows, err := s.api.DB.DB.Query(`SELECT CASE WHEN source = '' THEN '(none)' ELSE source END, count(*) FROM leads WHERE status <> 'MERGED' GROUP BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var src string
				var n float64
				_ = rows.Scan(&src, &n)
				want[src] = n
			}
			rows.Close()
			groups := d["funnel"].([]any)
			if len(groups) != len(want) || len(groups) == 0 {
				t.Fatalf("funnel = %v, want groups %v", groups, want)
			}
			for _, g := range groups {
				steps := dig(g, "steps").([]any)
				if len(steps) != 6 || dig(steps[0], "step") != "LISTED" || dig(steps[0], "rate") != nil || dig(steps[5], "step") != "REPURCHASE" {
					t.Errorf("steps = %v", steps)
				}
				if dig(steps[0], "count") != want[dig(g, "group").(string)] {
					t.Errorf("group %v listed %v, want %v", dig(g, "group"), dig(steps[0], "count"), want[dig(g, "group").(string)])
				}
				for i := 1; i < 6; i++ {
					if dig(steps[i], "count").(float64) > dig(steps[i-1], "count").(float64) {
						t.Errorf("the funnel grows at %v", dig(steps[i], "step"))
					}
				}
			}
		},
	},
	"TrackEvents": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"events": []any{
				map[string]any{"leadID": s.leads[0], "name": "viewed_ad", "properties": map[string]any{"campaign": "618"}},
				map[string]any{"phone": "137 0000 0002", "name": "rode_metro", "occurredAt": "2026-11-01T08:00:00Z"},
				map[string]any{"phone": "13999999999", "name": "viewed_ad"},
			}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			p := d["trackEvents"].(map[string]any)
			errs := p["errors"].([]any)
			if p["accepted"] != 2.0 || p["rejected"] != 1.0 || len(errs) != 1 || dig(errs[0], "index") != 2.0 || dig(errs[0], "code") != "LEAD_NOT_FOUND" {
				t.Errorf("trackEvents = %v", p)
			}
			// A retry with the same idempotencyKey gets the first answer and writes nothing.
			retry := `mutation($events: [EventInput!]!, $key: String) { trackEvents(events: $events, idempotencyKey: $key) { accepted rejected errors { index code message } } }`
			vars := map[string]any{"key": "contract-events-1", "events": []any{
				map[string]any{"leadID": s.leads[0], "name": "retried_call"},
				map[string]any{"phone": "13999999999", "name": "retried_call"},
			}}
			var first, second map[string]any
			s.api.MustDo(s.token, retry, vars, &first)
			s.api.MustDo(s.token, retry, vars, &second)
			if dig(first, "trackEvents", "accepted") != 1.0 || fmt.Sprint(first) != fmt.Sprint(second) {
				t.Errorf("trackEvents retried: %v, first %v", second, first)
			}
			var n int
			if err := s.api.DB.DB.QueryRow(`SELECT count(*) FROM events WHERE name = 'retried_call'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("%d retried events stored (%v), want 1", n, err)
			}
		},
	},
	"UpdateLead": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"id": s.leads[0], "input": map[string]any{"name": " 张 三 ", "email": "Zhang@Example.COM", "company": "华远", "attributes": map[string]any{"budget": "150000"}}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			u := d["updateLead"].(map[string]any)
			if u["name"] != "张 三" || u["email"] != "zhang@example.com" || dig(u, "attributes", "budget") != 150000.0 {
				t.Errorf("updateLead = %v", u)
			}
		},
	},
	"TagLeads": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"leadIDs": s.leads, "tagIDs": []string{s.ids["tag:高意向"], s.ids["tag:VIP"]}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "tagLeads", "affected").(float64) != float64(2*len(s.leads)) {
				t.Errorf("tagLeads = %v", d)
			}
		},
	},
	"UntagLeads": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"leadIDs": s.leads[:1], "tagIDs": []string{s.ids["tag:VIP"]}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "untagLeads", "affected").(float64) != 1 {
				t.Errorf("untagLeads = %v", d)
			}
		},
	},
	"MoveLeadStage": {
		vars: func(s *scenario) map[string]any {
			var out struct {
				Pipelines []struct {
					IsDefault bool
					Stages    []struct{ ID, Key string }
				}
			}
			s.api.MustDo(s.token, `{ pipelines { isDefault stages { id key } } }`, nil, &out)
			for _, p := range out.Pipelines {
				for _, st := range p.Stages {
					if p.IsDefault && st.Key == "contacted" {
						return map[string]any{"id": s.leads[0], "stageID": st.ID, "reason": "first call"}
					}
				}
			}
			return nil
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "moveLeadStage", "stage", "key") != "contacted" {
				t.Errorf("moveLeadStage = %v", d)
			}
			var out struct {
				Node struct {
					StageChanges []struct {
						To struct{ Key string }
						By struct{ ID string }
					}
				}
			}
			s.api.MustDo(s.token, `query($id:ID!){ node(id:$id){ ... on Lead { stageChanges { to { key } by { id } } } } }`, map[string]any{"id": s.leads[0]}, &out)
			if len(out.Node.StageChanges) != 1 || out.Node.StageChanges[0].To.Key != "contacted" || out.Node.StageChanges[0].By.ID == "" {
				t.Errorf("stage history = %+v", out.Node.StageChanges)
			}
			// To a LOST stage: a reason naming a lost reason is linked, any
			// other text kept as it is; only an empty one is refused.
			stages := map[string]string{}
			var ps struct {
				Pipelines []struct {
					IsDefault bool
					Stages    []struct{ ID, Key string }
				}
				LostReasons []struct{ ID, Name string }
			}
			s.api.MustDo(s.token, `{ pipelines { isDefault stages { id key } } lostReasons { id name } }`, nil, &ps)
			for _, p := range ps.Pipelines {
				for _, st := range p.Stages {
					if p.IsDefault {
						stages[st.Key] = st.ID
					}
				}
			}
			move := `mutation($id: ID!, $stageID: ID!, $reason: String) { moveLeadStage(id: $id, stageID: $stageID, reason: $reason) { id stage { id key } } }`
			if r := s.api.Do(s.token, move, map[string]any{"id": s.leads[0], "stageID": stages["lost"], "reason": " "}); len(r.Errors) != 1 ||
				r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "reason" {
				t.Errorf("to LOST without a reason: %+v", r.Errors)
			}
			for _, reason := range []string{"客户暂停采购", ps.LostReasons[0].Name} {
				s.api.MustDo(s.token, move, map[string]any{"id": s.leads[0], "stageID": stages["lost"], "reason": reason}, nil)
				var last struct {
					Node struct {
						StageChanges []struct {
							To         struct{ Key string }
							Reason     string
							LostReason *struct{ ID string }
						}
					}
				}
				s.api.MustDo(s.token, `query($id:ID!){ node(id:$id){ ... on Lead { stageChanges { to { key } reason lostReason { id } } } } }`,
					map[string]any{"id": s.leads[0]}, &last)
				var found int
				for _, sc := range last.Node.StageChanges {
					if sc.To.Key != "lost" || sc.Reason != reason {
						continue
					}
					found++
					named := reason == ps.LostReasons[0].Name
					if named != (sc.LostReason != nil) || (named && sc.LostReason.ID != ps.LostReasons[0].ID) {
						t.Errorf("reason %q recorded with lost reason %+v", reason, sc.LostReason)
					}
				}
				if found != 1 {
					t.Errorf("move to lost with reason %q: history %+v", reason, last.Node.StageChanges)
				}
				s.api.MustDo(s.token, move, map[string]any{"id": s.leads[0], "stageID": stages["contacted"], "reason": "back"}, nil)
			}
		},
	},
	"Suppress": {
		vars: func(s *scenario) map[string]any {
			return map[string]any{"input": map[string]any{"kind": "BLACKLIST", "phone": "138 0013 8000", "reason": "投诉", "until": "2099-01-01T00:00:00Z"}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "suppress", "kind") != "BLACKLIST" || dig(d, "suppress", "id") == nil {
				t.Errorf("suppress = %v", d)
			}
			var phone string
			if err := s.api.DB.DB.QueryRow(`SELECT phone FROM suppressions`).Scan(&phone); err != nil || phone != "+8613800138000" {
				t.Errorf("stored phone = %q, %v; want E.164", phone, err)
			}
		},
	},
	"Pipelines": {
		check: func(t *testing.T, s *scenario, d map[string]any) {
			var def any
			for _, p := range d["pipelines"].([]any) {
				if dig(p, "isDefault") == true {
					if def != nil {
						t.Fatal("two default pipelines")
					}
					def = p
				}
			}
			var keys []string
			for _, st := range dig(def, "stages").([]any) {
				keys = append(keys, dig(st, "key").(string))
			}
			if !slices.Equal(keys, []string{"new", "contacted", "intent", "negotiating", "won", "lost"}) {
				t.Errorf("default stages = %v", keys)
			}
		},
	},
	"Leads": {
		vars: func(*scenario) map[string]any {
			return map[string]any{"first": 10, "orderBy": map[string]any{"field": "CREATED_AT", "direction": "DESC"},
				"where": map[string]any{"attributes": []map[string]any{{"key": "budget", "op": "GTE", "value": 100000}}}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			edges := dig(d, "leads", "edges").([]any)
			if dig(d, "leads", "totalCount").(float64) != 1 || len(edges) != 1 || dig(edges[0], "node", "id") != s.leads[0] {
				t.Errorf("leads with budget >= 100000 = %v", d)
			}
			if dig(edges[0], "node", "stage", "key") != "new" || dig(edges[0], "node", "attributes", "budget") != 150000.0 {
				t.Errorf("lead fields = %v", edges[0])
			}
		},
	},
}

// ingestVars are the IngestLeads variables: a duplicate of seeded lead 0, a
// new lead and a bad row.
func ingestVars() map[string]any {
	return map[string]any{"input": map[string]any{"idempotencyKey": "contract-1", "source": "expo", "leads": []any{
		map[string]any{"phone": "137 0000 0000", "name": "dup of lead 0", "tags": []string{"展会"}},
		map[string]any{"name": " 王五 ", "phone": "139 0000 1111", "email": "WangWu@Example.com", "attributes": map[string]any{"budget": "5000"}},
		map[string]any{"name": "bad", "phone": "12"},
	}}}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// TestContractOperationsRun sends every validating contract operation, as
// written in the contract, to a real server and checks what it did.
func TestContractOperationsRun(t *testing.T) {
	valid, _ := contractStatus(t)
	doc := loadContract(t)
	api := apitest.New(t)
	created, token := api.Workspace("acme")
	s := &scenario{t: t, api: api, token: token, ids: map[string]string{}, leads: seedLeads(t, api, created, 3)}
	// sent keeps the variables each operation was run with, for the roles below.
	sent := map[string]map[string]any{}
	for _, op := range doc.Operations {
		if !slices.Contains(valid, op.Name) {
			continue
		}
		run, ok := contractRuns[op.Name]
		if !ok {
			t.Errorf("%s validates but has no run in contractRuns", op.Name)
			continue
		}
		t.Run(op.Name, func(t *testing.T) {
			// Each operation starts once the tasks of the ones before it
			// (rescoring, assignment) have run, so none holds its leads.
			api.WaitIdle()
			var vars map[string]any
			if run.vars != nil {
				vars = run.vars(s)
			}
			sent[op.Name] = vars
			tok := s.token
			if op.Name == "Login" {
				tok = ""
			}
			var r apitest.Response
			if run.files != nil {
				r = api.Upload(tok, sourceOf(doc, op), vars, run.files(s))
			} else {
				r = api.Do(tok, sourceOf(doc, op), vars)
			}
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			var data map[string]any
			if err := json.Unmarshal(r.Data, &data); err != nil {
				t.Fatal(err)
			}
			run.check(t, s, data)
		})
	}

	// The same operations with every id in their variables replaced by one
	// of the same type that does not exist, then by one of another type;
	// with every other string 5,000 characters long; with every number
	// negative, then past any limit: a coded refusal (or an answer that
	// names nothing), never an internal error.
	swapID := func(to func(gid.Type) gid.Type) func(any) (any, bool) {
		return func(v any) (any, bool) {
			s, _ := v.(string)
			id, err := gid.Decode(s)
			if err != nil {
				return v, false
			}
			typ, ok := gid.TypeOf(id)
			if !ok {
				return v, false
			}
			return gid.Encode(gid.New(to(typ))), true
		}
	}
	number := func(to any) func(any) (any, bool) {
		return func(v any) (any, bool) {
			switch v.(type) {
			case int, int64, float64:
				return to, true
			}
			return v, false
		}
	}
	long := strings.Repeat("长", 5000)
	values := map[string]func(any) (any, bool){
		"ghost ids":      swapID(func(t gid.Type) gid.Type { return t }),
		"wrong-type ids": swapID(func(t gid.Type) gid.Type { return map[bool]gid.Type{true: gid.Lead, false: gid.Tag}[t == gid.Tag] }),
		"long strings": func(v any) (any, bool) {
			s, ok := v.(string)
			if _, err := gid.Decode(s); !ok || err == nil {
				return v, false
			}
			return long, true
		},
		"negative numbers": number(-1),
		"huge numbers":     number(1e15),
	}
	marks := newTableMarks(t, api) // after the admin's run: every table exists by now
	badWrites := 0
	for name, change := range values {
		t.Run(name, func(t *testing.T) {
			for _, op := range doc.Operations {
				vars, ran := sent[op.Name]
				if !ran || op.Name == "Login" || contractRuns[op.Name].files != nil {
					continue
				}
				changed, n := mapValues(vars, change)
				if n == 0 {
					continue
				}
				api.WaitIdle()
				writes := marks.watch(op)
				r := api.Do(s.token, sourceOf(doc, op), changed.(map[string]any))
				noInternalError(t, op.Name+" with "+name, r)
				if writes.refusedWroteNothing(op.Name+" with "+name, r) {
					badWrites++
				}
			}
		})
	}
	checkedRefusals(t, len(sent) > 0, badWrites, "mutations with bad values refused as a whole")

	// The same operations with the same variables as every other built-in
	// role: each answers its data or a refusal with a code a client can act
	// on, never an internal error; a mutation refused as a whole writes to
	// no table (every table of the database is looked at, see tableMarks).
	roles := []string{"manager", "rep", "analyst", "partner"}
	var partner struct{ CreatePartner struct{ ID string } }
	api.WaitIdle()
	wrote := marks.read()
	api.MustDo(s.token, `mutation { createPartner(input: {name: "渠道"}) { id } }`, nil, &partner)
	if changed := marks.changed(wrote); !slices.Contains(changed, "partners") {
		t.Fatalf("creating a partner changed %v, not partners: the check below would see nothing", changed)
	}
	refusedWrites := 0
	for _, role := range roles {
		in := map[string]any{"name": role, "email": role + "-sweep@acme.test", "password": role + "-sweep-password", "roles": []string{role}}
		if role == "partner" {
			in["partnerID"] = partner.CreatePartner.ID
		}
		api.MustDo(s.token, `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`, map[string]any{"in": in}, nil)
		tok := api.Login("acme", role+"-sweep@acme.test", role+"-sweep-password")
		t.Run("as "+role, func(t *testing.T) {
			if len(sent) == 0 {
				t.Skip("the operations ran as the admin first: none did (-run left them out)")
			}
			for _, op := range doc.Operations {
				vars, ran := sent[op.Name]
				if !ran || op.Name == "Login" {
					continue
				}
				api.WaitIdle()
				writes := marks.watch(op)
				var r apitest.Response
				if run := contractRuns[op.Name]; run.files != nil {
					r = api.Upload(tok, sourceOf(doc, op), vars, run.files(s))
				} else {
					r = api.Do(tok, sourceOf(doc, op), vars)
				}
				noInternalError(t, op.Name+" as "+role, r)
				if writes.refusedWroteNothing(op.Name+" as "+role, r) {
					refusedWrites++
				}
			}
		})
	}
	checkedRefusals(t, len(sent) > 0, refusedWrites, "mutations refused as a whole to other roles")
}

// sourceOf prints one operation with the fragments it uses, as a client sends it.
func sourceOf(doc *ast.QueryDocument, op *ast.OperationDefinition) string {
	var b stringsBuilder
	formatter.NewFormatter(&b).FormatQueryDocument(operationDoc(doc, op))
	return b.String()
}

type stringsBuilder struct{ buf []byte }

func (b *stringsBuilder) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	return len(p), nil
}
func (b *stringsBuilder) String() string { return string(b.buf) }

// segmentContractRule: leads with both tags, or that viewed an ad.
func segmentContractRule(s *scenario) map[string]any {
	return map[string]any{"or": []any{
		map[string]any{"tag": map[string]any{"all": []string{s.ids["tag:高意向"], s.ids["tag:VIP"]}}},
		map[string]any{"event": map[string]any{"name": "viewed_ad", "minCount": 1, "withinDays": 30}},
	}}
}

// segmentContractCount counts segmentContractRule's leads with plain SQL.
func segmentContractCount(t *testing.T, s *scenario) int {
	t.Helper()
	hot, _ := gid.Decode(s.ids["tag:高意向"])
	vip, _ := gid.Decode(s.ids["tag:VIP"])
	var n int
	err := s.api.DB.DB.QueryRow(`SELECT count(*) FROM leads l WHERE l.status = 'ACTIVE' AND (
		(EXISTS (SELECT 1 FROM lead_tags WHERE lead_id = l.id AND tag_id = $1) AND EXISTS (SELECT 1 FROM lead_tags WHERE lead_id = l.id AND tag_id = $2))
		OR EXISTS (SELECT 1 FROM events e WHERE e.lead_id = l.id AND e.name = 'viewed_ad'))`, hot, vip).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitSegmentReady waits for the worker to compute the scenario's segment.
func waitSegmentReady(t *testing.T, s *scenario) {
	t.Helper()
	id, _ := gid.Decode(s.ids["segment"])
	for range 200 {
		var status string
		if err := s.api.DB.DB.QueryRow(`SELECT status FROM segments WHERE id = $1`, id).Scan(&status); err != nil {
			t.Fatal(err)
		}
		switch status {
		case "READY":
			return
		case "FAILED":
			t.Fatal("segment computation failed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("segment not computed within 10s")
}

// rawIDs decodes opaque ids to uuids for SQL.
func rawIDs(t *testing.T, ids []string) []string {
	t.Helper()
	out := make([]string, len(ids))
	for i, id := range ids {
		u, err := gid.Decode(id)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = u.String()
	}
	return out
}

// mapValues copies v with every leaf that change changes changed, and says
// how many it changed.
func mapValues(v any, change func(any) (any, bool)) (any, int) {
	switch v := v.(type) {
	case map[string]any:
		out, n := make(map[string]any, len(v)), 0
		for k, x := range v {
			y, m := mapValues(x, change)
			out[k], n = y, n+m
		}
		return out, n
	case []any:
		out, n := make([]any, len(v)), 0
		for i, x := range v {
			y, m := mapValues(x, change)
			out[i], n = y, n+m
		}
		return out, n
	case []string:
		out, n := make([]any, len(v)), 0
		for i, x := range v {
			y, m := mapValues(x, change)
			out[i], n = y, n+m
		}
		return out, n
	}
	if y, ok := change(v); ok {
		return y, 1
	}
	return v, 0
}

// noInternalError fails t for each error of r without a code a client can
// act on (none, or an internal one).
// tableMarks reads, in one statement, what a committed write to any table
// of the test's database changes: each table's row count and the newest
// transaction id among its rows (an insert or update leaves its id on the
// row, a delete lowers the count; rows of transactions that rolled back are
// not seen). The ids are the cluster's, shared with other tests' databases,
// so only this database's rows are read. The tables are listed once.
type tableMarks struct {
	t     *testing.T
	api   *apitest.API
	query string
}

func newTableMarks(t *testing.T, api *apitest.API) *tableMarks {
	t.Helper()
	rows, err := api.DB.DB.Query(`SELECT quote_literal(table_name), quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for rows.Next() {
		var literal, ident string
		if err := rows.Scan(&literal, &ident); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf(`SELECT %s, count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM %s`, literal, ident))
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(parts) == 0 {
		t.Fatal("no tables to watch")
	}
	return &tableMarks{t: t, api: api, query: strings.Join(parts, " UNION ALL ")}
}

// read maps each table to its mark.
func (m *tableMarks) read() map[string]string {
	m.t.Helper()
	rows, err := m.api.DB.DB.Query(m.query)
	if err != nil {
		m.t.Fatal(err)
	}
	defer rows.Close()
	marks := map[string]string{}
	for rows.Next() {
		var table, mark string
		if err := rows.Scan(&table, &mark); err != nil {
			m.t.Fatal(err)
		}
		marks[table] = mark
	}
	if err := rows.Err(); err != nil {
		m.t.Fatal(err)
	}
	return marks
}

// changed names the tables whose mark differs from before's.
func (m *tableMarks) changed(before map[string]string) []string {
	var out []string
	for table, mark := range m.read() {
		if before[table] != mark {
			out = append(out, table)
		}
	}
	slices.Sort(out)
	return out
}

// writeWatch holds a mutation's marks from before it is sent.
type writeWatch struct {
	marks  *tableMarks
	before map[string]string // nil for queries
}

func (m *tableMarks) watch(op *ast.OperationDefinition) writeWatch {
	w := writeWatch{marks: m}
	if op.Operation == ast.Mutation {
		w.before = m.read()
	}
	return w
}

// refusedWroteNothing checks a mutation's answer r: refused as a whole, it
// must have written to no table. It says whether r was such a refusal.
func (w writeWatch) refusedWroteNothing(what string, r apitest.Response) bool {
	w.marks.t.Helper()
	if w.before == nil || !refusedWhole(r) {
		return false
	}
	if changed := w.marks.changed(w.before); len(changed) > 0 {
		w.marks.t.Errorf("%s: refused (%s), yet it wrote to %v", what, r.Errors[0].Code(), changed)
	}
	return true
}

// checkedRefusals fails a sweep that ran operations (ran) but met no
// refusal to check, and logs how many it checked.
func checkedRefusals(t *testing.T, ran bool, n int, what string) {
	t.Helper()
	if ran && n == 0 {
		t.Errorf("no %s: the check that refusals write nothing checked nothing", what)
	}
	t.Logf("%d %s wrote nothing", n, what)
}

// refusedWhole: the answer has errors and no data at all.
func refusedWhole(r apitest.Response) bool {
	if len(r.Errors) == 0 {
		return false
	}
	var data map[string]json.RawMessage
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return true
	}
	if json.Unmarshal(r.Data, &data) != nil {
		return false
	}
	for _, v := range data {
		if string(v) != "null" {
			return false
		}
	}
	return true
}

func noInternalError(t *testing.T, what string, r apitest.Response) {
	t.Helper()
	for _, e := range r.Errors {
		if c := e.Code(); c == "" || c == "INTERNAL" || c == "INTERNAL_SERVER_ERROR" {
			t.Errorf("%s: %s error %q at %v", what, c, e.Message, e.Path)
		}
	}
}
