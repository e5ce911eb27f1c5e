package graph_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestUnauthenticated sends every root field without credentials (and with a
// forged token): all but login answer UNAUTHENTICATED.
func TestUnauthenticated(t *testing.T) {
	api := apitest.New(t)
	api.Workspace("acme")
	for field := range rootFields(t) {
		if field == "Mutation.login" {
			continue
		}
		tc, ok := crossTenantCases[field]
		if !ok {
			continue // TestCrossTenant reports the missing case
		}
		for _, token := range []string{"", "not-a-token", "eyJhbGciOiJIUzI1NiJ9.e30.forged", "scrm_unknownkey.secret"} {
			r := tc.call(api, token, map[string]string{"lead": "x", "user": "x", "territory": "x", "team": "x", "apiKey": "x"})
			if len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
				t.Errorf("%s with token %q: errors %+v, want UNAUTHENTICATED", field, token, r.Errors)
			}
		}
	}
}

func init() {
	// Cases without variables get an empty map so the loop above can call them.
	for k, c := range crossTenantCases {
		if c.vars == nil {
			c.vars = func(map[string]string) map[string]any { return nil }
			crossTenantCases[k] = c
		}
	}
}

func TestLogin(t *testing.T) {
	api := apitest.New(t)
	api.Workspace("acme")
	const q = `mutation($w:String!,$e:String!,$p:String!){ login(input:{workspace:$w,email:$e,password:$p}){ token } }`
	for name, vars := range map[string]map[string]any{
		"wrong password": {"w": "acme", "e": "admin@acme.test", "p": "wrong-password"},
		"unknown email":  {"w": "acme", "e": "nobody@acme.test", "p": "password-acme"},
		"unknown slug":   {"w": "nope", "e": "admin@acme.test", "p": "password-acme"},
		"empty password": {"w": "acme", "e": "admin@acme.test", "p": ""},
	} {
		r := api.Do("", q, vars)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || r.Errors[0].Message != "invalid workspace, email or password" {
			t.Errorf("%s: %+v", name, r.Errors)
		}
	}
	// Email and slug are case-insensitive, as people type them.
	if tok := api.Login("ACME", "Admin@Acme.Test", "password-acme"); tok == "" {
		t.Error("login with different case failed")
	}
}

func TestTokenExpiresAndUserDeactivation(t *testing.T) {
	api := apitest.New(t)
	created, token := api.Workspace("acme")
	api.MustDo(token, `{ me { id } }`, nil, nil)

	// A custom field: an operation naming it validates only against the workspace's schema.
	api.MustDo(token, `mutation{ createFieldDefinition(input:{entity: LEAD, key:"budget", label:"Budget", type: NUMBER}){ id } }`, nil, nil)
	const typedList = `{ leads(first: 1) { edges { node { id budget } } } }`
	api.MustDo(token, typedList, nil, nil)

	api.Clock.Advance(13 * time.Hour)
	if r := api.Do(token, `{ me { id } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("expired token: %+v", r.Errors)
	}
	// Naming a custom field with an expired token is the sign-in's refusal,
	// not a validation error against the schema without custom fields.
	if r := api.Do(token, typedList, nil); r.Status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("expired token, typed query: status %d, %+v", r.Status, r.Errors)
	}
	// The refused sign-in comes first, also for a query wrong in any schema.
	if r := api.Do(token, `{ leads(first: 1) { edges { node { nosuch } } } }`, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("expired token, wrong query: %+v", r.Errors)
	}
	// Signing in again with the stale token still in the header works.
	var again struct{ Login struct{ Token string } }
	api.MustDo(token, `mutation{ login(input:{workspace:"acme", email:"admin@acme.test", password:"password-acme"}){ token } }`, nil, &again)
	if again.Login.Token == "" {
		t.Error("login with a stale token in the header gave no token")
	}
	token = api.Login("acme", "admin@acme.test", "password-acme")
	var out struct{ CreateUser struct{ ID string } }
	api.MustDo(token, `mutation { createUser(input:{name:"R", email:"r@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, &out)
	repToken := api.Login("acme", "r@acme.test", "rep-password")
	api.MustDo(repToken, `{ me { id } }`, nil, nil)
	api.MustDo(token, `mutation($id:ID!){ updateUser(id:$id, input:{active:false}){ id } }`, map[string]any{"id": out.CreateUser.ID}, nil)
	if r := api.Do(repToken, `{ me { id } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("deactivated user's token still works: %+v", r.Errors)
	}
	_ = created
}

func TestAPIKeys(t *testing.T) {
	api := apitest.New(t)
	_, token := api.Workspace("acme")
	var out struct {
		CreateAPIKey struct {
			Key    string
			APIKey struct{ ID, Prefix string }
		}
	}
	api.MustDo(token, `mutation { createAPIKey(input:{name:"crm sync", roles:["admin"]}){ key apiKey { id prefix } } }`, nil, &out)
	key := out.CreateAPIKey.Key
	if !strings.HasPrefix(key, out.CreateAPIKey.APIKey.Prefix+".") {
		t.Fatalf("key %q does not start with its prefix %q", key, out.CreateAPIKey.APIKey.Prefix)
	}
	// The key works as a bearer token and through X-API-Key.
	api.MustDo(key, `{ pipelines { id } }`, nil, nil)
	req, _ := http.NewRequest(http.MethodPost, api.URL+"/graphql", strings.NewReader(`{"query":"{ pipelines { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("X-API-Key: %v %v", res, err)
	}
	res.Body.Close()
	// Only the hash is stored.
	var stored int
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM api_keys WHERE encode(secret_hash, 'escape') LIKE '%' || $1 || '%'`, key[len(key)-20:]).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("plaintext found at rest: %d %v", stored, err)
	}
	// A tampered secret with the right prefix is refused.
	if r := api.Do(key[:len(key)-2]+"xx", `{ pipelines { id } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("tampered key: %+v", r.Errors)
	}
	api.MustDo(token, `mutation($id:ID!){ revokeAPIKey(id:$id){ revokedAt } }`, map[string]any{"id": out.CreateAPIKey.APIKey.ID}, nil)
	if r := api.Do(key, `{ pipelines { id } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("revoked key still works: %+v", r.Errors)
	}
}

// TestBadRequestsAndLimits: malformed, oversized and too-deep requests get a
// clear error, and the server keeps answering.
func TestBadRequestsAndLimits(t *testing.T) {
	api := apitest.New(t)
	_, token := api.Workspace("acme")
	huge := append([]byte(`{"query":"{ me { id } }","variables":{"pad":"`), bytes.Repeat([]byte("x"), 10<<20)...)
	huge = append(huge, `"}}`...)
	cases := []struct {
		name, contentType string
		body              []byte
		status            int
		code, message     string
	}{
		{"not json", "application/json", []byte(`{"query": "{ me { id } }"`), 400, "BAD_REQUEST", "not valid JSON"},
		{"binary", "application/json", []byte{0xff, 0x00, 0x13}, 400, "BAD_REQUEST", "not valid JSON"},
		{"10 MB", "application/json", huge, 413, "LIMIT_EXCEEDED", "too large"},
		{"syntax", "application/json", []byte(`{"query":"{ me { id "}`), 422, "GRAPHQL_PARSE_FAILED", ""},
		{"unknown field", "application/json", []byte(`{"query":"{ me { password } }"}`), 422, "GRAPHQL_VALIDATION_FAILED", "password"},
		{"too deep", "application/json", []byte(`{"query":"{ me ` + strings.Repeat("{ team { members ", 7) + "{ id }" + strings.Repeat(" } }", 7) + ` }"}`), 200, "LIMIT_EXCEEDED", "nested"},
		{"too complex", "application/json", []byte(`{"query":"{ ` + tooComplex() + ` }"}`), 200, "LIMIT_EXCEEDED", "complexity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := api.Raw(token, tc.contentType, tc.body)
			if r.Status != tc.status || len(r.Errors) == 0 || r.Errors[0].Code() != tc.code || !strings.Contains(r.Errors[0].Message, tc.message) {
				t.Errorf("status %d errors %+v; want %d %s %q", r.Status, r.Errors, tc.status, tc.code, tc.message)
			}
			if strings.Contains(r.Errors[0].Message, "xxxxxxxx") {
				t.Error("error echoes the request body")
			}
			api.MustDo(token, `{ me { id } }`, nil, nil) // still serving
		})
	}
}

func TestHealthAndMetrics(t *testing.T) {
	api := apitest.New(t)
	for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"postgres":"ok"`, "/metrics": "scrm_http_request_duration_seconds"} {
		api.Do("", `{ me { id } }`, nil) // one request so the histogram has a sample
		res, err := http.Get(api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(b.String(), want) {
			t.Errorf("%s: %d %s", path, res.StatusCode, b.String())
		}
	}
}

// tooComplex is a shallow selection whose cost passes the complexity limit:
// 30 pages of 1000 leads with 10 fields each.
func tooComplex() string {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "p%d: leads(first: 1000) { edges { node { id name phone email company source score createdAt updatedAt } } } ", i)
	}
	return b.String()
}
