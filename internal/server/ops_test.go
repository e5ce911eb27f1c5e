package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// The Asynq queues dashboard at /ops/queues is for the admins of the
// operators' workspace: with a bearer token, or with the cookie that POST
// /ops/session sets for the web app's pages; other roles and the admins of
// other workspaces (the queues hold every workspace's tasks) get 403, no
// credentials 401, and none of them sees any of the dashboard.
func TestQueuesDashboard(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace(apitest.OpsWorkspace)
	api.MustDo(admin, `mutation { createUser(input:{name:"R", email:"r@ops.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, nil)
	rep := api.Login(apitest.OpsWorkspace, "r@ops.test", "rep-password")
	_, tenantAdmin := api.Workspace("acme")

	do := func(method, path, token string, header map[string]string) (*http.Response, string) {
		t.Helper()
		resp, body := send(t, method, api.URL+path, token, header, nil)
		return resp, string(body)
	}

	cases := []struct {
		name, method, path, token string
		header                    map[string]string
		status                    int
		body                      string
	}{
		{"admin: the dashboard", "GET", "/ops/queues", admin, nil, 200, "Asynq - Monitoring"},
		{"admin: a client route of the dashboard", "GET", "/ops/queues/queues/default", admin, nil, 200, "Asynq - Monitoring"},
		{"admin: the dashboard's API", "GET", "/ops/queues/api/queues", admin, nil, 200, `"queues"`},
		{"rep", "GET", "/ops/queues", rep, nil, 403, "FORBIDDEN"},
		{"another workspace's admin", "GET", "/ops/queues", tenantAdmin, nil, 403, "FORBIDDEN"},
		{"another workspace's admin: the API", "GET", "/ops/queues/api/queues", tenantAdmin, nil, 403, "FORBIDDEN"},
		{"another workspace's admin: no cookie", "POST", "/ops/session", tenantAdmin, nil, 403, "FORBIDDEN"},
		{"rep: the API", "GET", "/ops/queues/api/queues", rep, nil, 403, "FORBIDDEN"},
		{"anonymous", "GET", "/ops/queues", "", nil, 401, "UNAUTHENTICATED"},
		{"anonymous: the API", "GET", "/ops/queues/api/queues", "", nil, 401, "UNAUTHENTICATED"},
		{"bad token", "GET", "/ops/queues", "nope", nil, 401, "UNAUTHENTICATED"},
		{"rep: no cookie for them", "POST", "/ops/session", rep, nil, 403, "FORBIDDEN"},
		{"anonymous: no cookie", "POST", "/ops/session", "", nil, 401, "UNAUTHENTICATED"},
		{"admin: a change from another site", "POST", "/ops/queues/api/queues/default:pause", admin,
			map[string]string{"Origin": "https://evil.example"}, 403, "FORBIDDEN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(c.method, c.path, c.token, c.header)
			if resp.StatusCode != c.status || !strings.Contains(body, c.body) {
				t.Fatalf("%s %s: %d %.200q, want %d with %q", c.method, c.path, resp.StatusCode, body, c.status, c.body)
			}
			if c.status != 200 && strings.Contains(body, "Asynq") {
				t.Fatalf("%s %s: refused, but the body shows the dashboard: %.200q", c.method, c.path, body)
			}
		})
	}

	t.Run("the page loads nothing from elsewhere", func(t *testing.T) {
		resp, body := do("GET", "/ops/queues", admin, nil)
		if refs := regexp.MustCompile(`(?i)<(script|link)\b[^>]*(src|href)="(https?:)?//`).FindAllString(body, -1); len(refs) > 0 {
			t.Errorf("the dashboard references other servers: %q", refs)
		}
		if !strings.Contains(body, `src="/ops/queues/static/js/`) {
			t.Errorf("the dashboard's scripts are not under /ops/queues/static/: %.600q", body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
		for _, src := range regexp.MustCompile(`src="(/ops/queues/static/[^"]+)"`).FindAllStringSubmatch(body, -1) {
			if r, _ := do("GET", src[1], admin, nil); r.StatusCode != 200 {
				t.Errorf("GET %s: %d", src[1], r.StatusCode)
			}
		}
	})

	t.Run("the web app's cookie", func(t *testing.T) {
		resp, _ := do("POST", "/ops/session", admin, nil)
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "scrm_ops" {
				cookie = c
			}
		}
		if resp.StatusCode != 204 || cookie == nil || !cookie.HttpOnly || cookie.Path != "/ops/" || cookie.SameSite != http.SameSiteStrictMode {
			t.Fatalf("POST /ops/session: %d, cookie %+v", resp.StatusCode, cookie)
		}
		withCookie := map[string]string{"Cookie": "scrm_ops=" + cookie.Value}
		if r, body := do("GET", "/ops/queues/api/queues", "", withCookie); r.StatusCode != 200 {
			t.Fatalf("GET the API with the cookie: %d %.200q", r.StatusCode, body)
		}
		if r, _ := do("POST", "/ops/queues/api/queues/default:pause", "", map[string]string{
			"Cookie": "scrm_ops=" + cookie.Value, "Origin": "https://evil.example",
		}); r.StatusCode != 403 {
			t.Fatalf("a change from another site with the cookie: %d, want 403", r.StatusCode)
		}
		repCookie := map[string]string{"Cookie": "scrm_ops=" + rep}
		if r, _ := do("GET", "/ops/queues", "", repCookie); r.StatusCode != 403 {
			t.Fatalf("a rep's token as the cookie: %d, want 403", r.StatusCode)
		}
		resp, _ = do("DELETE", "/ops/session", "", nil)
		if len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
			t.Fatalf("DELETE /ops/session: %d %+v, want the cookie cleared", resp.StatusCode, resp.Cookies())
		}
	})
}
