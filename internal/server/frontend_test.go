package server_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/frontend"
	"github.com/scrmhq/scrm/internal/apitest"
)

// The web app is mounted at "/" of the real server: client routes get the
// app (or, in a nofrontend build, the page saying it was not built), and
// every API path still reaches the API.
func TestWebAppMount(t *testing.T) {
	api := apitest.New(t)
	fetch := func(method, path string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, api.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	app := "<html"
	if !frontend.Built {
		app = "without the web app"
	}
	for _, p := range []string{"/", "/leads", "/leads/TGVhZDox", "/settings/fields"} {
		code, h, body := fetch("GET", p)
		if code != 200 || !strings.Contains(body, app) {
			t.Errorf("GET %s: %d %.80q", p, code, body)
		}
		if h.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", p, h.Get("Cache-Control"))
		}
	}
	checks := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/healthz", 200, `"status":"ok"`},
		{"GET", "/readyz", 200, `"postgres":"ok"`},
		{"GET", "/metrics", 200, "# TYPE scrm_"},
		{"GET", "/graphiql", 200, "graphiql"},
		{"POST", "/graphql", 400, "errors"}, // no body: a GraphQL error, not the app
		{"POST", "/v1/events", 401, "UNAUTHENTICATED"},
		{"GET", "/v1/unknown", 404, "not found"},
		{"GET", "/graphql/x", 404, "not found"},
	}
	for _, c := range checks {
		code, _, body := fetch(c.method, c.path)
		if code != c.status || !strings.Contains(strings.ToLower(body), strings.ToLower(c.body)) || strings.Contains(body, `id="root"`) {
			t.Errorf("%s %s: %d %.120q, want %d with %q", c.method, c.path, code, body, c.status, c.body)
		}
	}
}

// GraphiQL comes from the binary's own assets: every script and stylesheet
// of the page is a path on this server, each of them answers, and the
// page's policy lets it load nothing from elsewhere.
func TestGraphiQLIsSelfHosted(t *testing.T) {
	if !frontend.Built {
		t.Skip("built without the web app (-tags nofrontend): /graphiql is gqlgen's playground")
	}
	api := apitest.New(t)
	resp, err := http.Get(api.URL + "/graphiql")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 200 || !strings.Contains(page, `id="graphiql"`) {
		t.Fatalf("GET /graphiql: %d %.200q", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "connect-src 'self';") {
		t.Errorf("Content-Security-Policy %q: want scripts and requests from this server only", csp)
	}
	refs := regexp.MustCompile(`<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	scripts := 0
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("GET /graphiql references %q: want a path on this server", ref)
			continue
		}
		if strings.HasSuffix(ref, ".js") {
			scripts++
		}
		asset, err := http.Get(api.URL + ref)
		if err != nil {
			t.Fatal(err)
		}
		asset.Body.Close()
		if asset.StatusCode != 200 {
			t.Errorf("GET %s (referenced by /graphiql): %d", ref, asset.StatusCode)
		}
	}
	if scripts == 0 {
		t.Errorf("GET /graphiql: no script found in %.400q", page)
	}
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(page) {
		t.Errorf("GET /graphiql references another origin: %.400q", page)
	}
}
