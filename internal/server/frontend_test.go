package server_test

import (
	"io"
	"net/http"
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
