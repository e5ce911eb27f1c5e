package graph_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/scrmhq/scrm/internal/apitest"
)

// contractRun is one contract operation sent as written, with variables, and
// the check of what it must do.
type contractRun struct {
	vars  func(s *scenario) map[string]any
	check func(t *testing.T, s *scenario, data map[string]any)
}

// scenario is the shared state the runs build on, in contract order.
type scenario struct {
	api   *apitest.API
	token string
	ids   map[string]string
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
	"Pipelines": {
		check: func(t *testing.T, s *scenario, d map[string]any) {
			ps := d["pipelines"].([]any)
			if len(ps) != 1 || dig(ps[0], "isDefault") != true {
				t.Fatalf("pipelines = %v", ps)
			}
			var keys []string
			for _, st := range dig(ps[0], "stages").([]any) {
				keys = append(keys, dig(st, "key").(string))
			}
			if !slices.Equal(keys, []string{"new", "contacted", "intent", "negotiating", "won", "lost"}) {
				t.Errorf("default stages = %v", keys)
			}
		},
	},
	"Leads": {
		vars: func(*scenario) map[string]any {
			return map[string]any{"first": 10, "orderBy": map[string]any{"field": "CREATED_AT", "direction": "DESC"}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "leads", "totalCount").(float64) != 0 || dig(d, "leads", "pageInfo", "hasNextPage") != false {
				t.Errorf("leads of a new workspace = %v", d)
			}
		},
	},
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
	_, token := api.Workspace("acme")
	s := &scenario{api: api, token: token, ids: map[string]string{}}
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
			var vars map[string]any
			if run.vars != nil {
				vars = run.vars(s)
			}
			tok := s.token
			if op.Name == "Login" {
				tok = ""
			}
			r := api.Do(tok, sourceOf(doc, op), vars)
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
