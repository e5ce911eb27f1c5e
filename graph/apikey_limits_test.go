package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
)

// doFrom sends one operation as if from the TCP peer remote ("ip:port"):
// the server's handler is called directly with that RemoteAddr.
func doFrom(t *testing.T, api *apitest.API, remote, token, query string, vars map[string]any) apitest.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.RemoteAddr = remote
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	api.Server.Config.Handler.ServeHTTP(rec, req)
	var r apitest.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", rec.Code, rec.Body.Bytes())
	}
	r.Status = rec.Code
	return r
}

// TestAPIKeyExpiryAndAddresses: createAPIKey's expiresAt and allowedIPs are
// checked at their paths (nothing stored); a key is refused
// (UNAUTHENTICATED, saying why, doing nothing) from an address outside its
// list, including a forwarded-for header's claim, and once it has expired
// by the injected clock; the list shows both, lastUsedAt and expired.
func TestAPIKeyExpiryAndAddresses(t *testing.T) {
	api := apitest.New(t)
	_, token := api.Workspace("acme")
	const create = `mutation($in:CreateAPIKeyInput!){ createAPIKey(input:$in){ key apiKey { id expiresAt allowedIPs expired } } }`
	keys := func() int {
		t.Helper()
		var n int
		if err := api.DB.DB.QueryRow(`SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	now := api.Clock.Now()
	many := make([]any, 51)
	for i := range many {
		many[i] = fmt.Sprintf("10.0.0.%d", i)
	}
	for name, tc := range map[string]struct {
		in    map[string]any
		field string
	}{
		"past expiry":     {map[string]any{"expiresAt": now.Add(-time.Minute)}, "input.expiresAt"},
		"expiry now":      {map[string]any{"expiresAt": now}, "input.expiresAt"},
		"three years":     {map[string]any{"expiresAt": now.Add(3 * 365 * 24 * time.Hour)}, "input.expiresAt"},
		"not an address":  {map[string]any{"allowedIPs": []any{"10.0.0.1", "example.com"}}, "input.allowedIPs[1]"},
		"bad prefix":      {map[string]any{"allowedIPs": []any{"10.0.0.0/33"}}, "input.allowedIPs[0]"},
		"zone":            {map[string]any{"allowedIPs": []any{"fe80::1%eth0"}}, "input.allowedIPs[0]"},
		"twice":           {map[string]any{"allowedIPs": []any{"10.1.0.0/16", "10.1.2.3/16"}}, "input.allowedIPs[1]"},
		"more than fifty": {map[string]any{"allowedIPs": many}, "input.allowedIPs"},
	} {
		tc.in["name"] = "bad " + name
		r := api.Do(token, create, map[string]any{"in": tc.in})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != tc.field {
			t.Errorf("%s: errors %+v, want BAD_USER_INPUT at %s", name, r.Errors, tc.field)
		}
	}
	if n := keys(); n != 0 {
		t.Fatalf("refused keys stored %d rows", n)
	}

	var out struct {
		CreateAPIKey struct {
			Key    string
			APIKey struct {
				ID         string
				ExpiresAt  time.Time
				AllowedIPs []string
				Expired    bool
			}
		}
	}
	exp := now.Add(time.Hour).Truncate(time.Second)
	api.MustDo(token, create, map[string]any{"in": map[string]any{"name": "office", "expiresAt": exp,
		"allowedIPs": []any{" 203.0.113.77/24", "2001:db8::1", "::ffff:198.51.100.7"}}}, &out)
	k := out.CreateAPIKey
	if got := strings.Join(k.APIKey.AllowedIPs, ","); got != "203.0.113.0/24,2001:db8::1,198.51.100.7" ||
		!k.APIKey.ExpiresAt.Equal(exp) || k.APIKey.Expired {
		t.Fatalf("created %+v", k.APIKey)
	}

	const q = `{ pipelines { id } }`
	for _, from := range []string{"203.0.113.9:40000", "[2001:db8::1]:443", "198.51.100.7:1", "[::ffff:198.51.100.7]:2"} {
		if r := doFrom(t, api, from, k.Key, q, nil); len(r.Errors) != 0 {
			t.Errorf("from %s: %+v", from, r.Errors)
		}
	}
	var used struct {
		APIKeys []struct {
			ID         string
			LastUsedAt *time.Time
			Expired    bool
		}
	}
	api.MustDo(token, `{ apiKeys { id lastUsedAt expired } }`, nil, &used)
	if len(used.APIKeys) != 1 || used.APIKeys[0].LastUsedAt == nil || !used.APIKeys[0].LastUsedAt.Equal(api.Clock.Now().Round(time.Microsecond)) {
		t.Fatalf("lastUsedAt after use: %+v", used.APIKeys)
	}

	// Outside the list: refused, saying from where, and nothing is done
	// (the key could make keys). A header claiming an allowed address does
	// not help: the peer is what counts.
	mk := `mutation { createAPIKey(input:{name:"from outside"}){ key } }`
	r := doFrom(t, api, "198.51.100.8:5000", k.Key, mk, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || !strings.Contains(r.Errors[0].Message, "198.51.100.8") {
		t.Errorf("from outside: %+v", r.Errors)
	}
	if r := api.Do(k.Key, mk, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("from the test's own loopback: %+v", r.Errors)
	}
	body, _ := json.Marshal(map[string]any{"query": mk})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.RemoteAddr = "192.0.2.1:1"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", k.Key)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("X-Real-IP", "203.0.113.9")
	rec := httptest.NewRecorder()
	api.Server.Config.Handler.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), "UNAUTHENTICATED") {
		t.Errorf("a forwarded-for header let the key in: %s", rec.Body.String())
	}
	if n := keys(); n != 1 {
		t.Fatalf("refused requests made keys: %d rows", n)
	}

	// Expired by the clock: refused from an allowed address too.
	api.Clock.Advance(time.Hour)
	r = doFrom(t, api, "203.0.113.9:40000", k.Key, q, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || !strings.Contains(r.Errors[0].Message, "expired") {
		t.Errorf("expired key: %+v", r.Errors)
	}
	api.MustDo(token, `{ apiKeys { id lastUsedAt expired } }`, nil, &used)
	if len(used.APIKeys) != 1 || !used.APIKeys[0].Expired {
		t.Fatalf("the list after expiry: %+v", used.APIKeys)
	}

	// A key without limits works from anywhere, and never expires.
	api.MustDo(token, `mutation { createAPIKey(input:{name:"open"}){ key apiKey { id allowedIPs expiresAt expired } } }`, nil, &out)
	if out.CreateAPIKey.APIKey.AllowedIPs == nil || len(out.CreateAPIKey.APIKey.AllowedIPs) != 0 || out.CreateAPIKey.APIKey.Expired {
		t.Fatalf("open key %+v", out.CreateAPIKey.APIKey)
	}
	api.Clock.Advance(3 * 365 * 24 * time.Hour)
	if r := doFrom(t, api, "192.0.2.55:1", out.CreateAPIKey.Key, q, nil); len(r.Errors) != 0 {
		t.Errorf("open key: %+v", r.Errors)
	}
}
