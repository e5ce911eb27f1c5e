package frontend

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

var app = fstest.MapFS{
	"index.html":              {Data: []byte(`<!doctype html><div id="root"></div><script src="/assets/index-abc123.js"></script>`)},
	"assets/index-abc123.js":  {Data: []byte("console.log('app');" + strings.Repeat(" ", 4096))},
	"assets/index-abc123.css": {Data: []byte("body{margin:0}")},
	"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
}

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSPA(t *testing.T) {
	t.Parallel()
	h, err := newHandler(app)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		status             int
		body               string // a substring of the body
		cache              string // Cache-Control
		ctype              string // prefix of Content-Type
	}{
		{"root is the app", "GET", "/", 200, `id="root"`, "no-cache", "text/html"},
		{"index.html itself", "GET", "/index.html", 200, `id="root"`, "no-cache", "text/html"},
		{"client route falls back to index", "GET", "/leads", 200, `id="root"`, "no-cache", "text/html"},
		{"deep client route", "GET", "/leads/TGVhZDox/edit", 200, `id="root"`, "no-cache", "text/html"},
		{"settings route", "GET", "/settings/fields", 200, `id="root"`, "no-cache", "text/html"},
		{"hashed asset is immutable", "GET", "/assets/index-abc123.js", 200, "console.log", "public, max-age=31536000, immutable", "text/javascript"},
		{"hashed css", "GET", "/assets/index-abc123.css", 200, "margin", "public, max-age=31536000, immutable", "text/css"},
		{"unhashed file revalidates", "GET", "/favicon.svg", 200, "<svg", "no-cache", "image/svg+xml"},
		{"missing asset is a 404, not the app", "GET", "/assets/index-old999.js", 404, "not found", "", "text/plain"},
		{"missing file with an extension is a 404", "GET", "/robots.txt", 404, "not found", "", "text/plain"},
		{"HEAD works", "HEAD", "/leads", 200, "", "no-cache", "text/html"},
		{"POST is refused", "POST", "/leads", 405, "method not allowed", "", "text/plain"},
		{"dot segments stay inside the app", "GET", "/../../etc/passwd", 200, `id="root"`, "no-cache", "text/html"},
		{"dot segments to a missing asset", "GET", "/assets/../../x.js", 404, "not found", "", "text/plain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.method, tc.path, nil)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d (body %q)", rec.Code, tc.status, rec.Body.String())
			}
			if !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body %q does not contain %q", rec.Body.String(), tc.body)
			}
			if got := rec.Header().Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, tc.ctype) {
				t.Errorf("Content-Type %q, want %s...", got, tc.ctype)
			}
		})
	}
}

func TestIndexHeaders(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(app)
	rec := get(t, h, "GET", "/pool", nil)
	for _, k := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "ETag"} {
		if rec.Header().Get(k) == "" {
			t.Errorf("index has no %s header", k)
		}
	}
	// Revalidation: the same ETag answers 304 without a body.
	again := get(t, h, "GET", "/", map[string]string{"If-None-Match": rec.Header().Get("ETag")})
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("revalidation answered %d with %d bytes, want 304 and none", again.Code, again.Body.Len())
	}
}

func TestGzip(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(app)
	rec := get(t, h, "GET", "/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip, br"})
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("a 4 KiB script was not gzipped: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != string(app["assets/index-abc123.js"].Data) {
		t.Error("gzipped body does not decompress to the file")
	}
	if tag := rec.Header().Get("ETag"); !strings.HasSuffix(tag, `-gz"`) {
		t.Errorf("gzipped ETag %q is the same as the plain one", tag)
	}
	// Small files and clients that refuse gzip get the plain bytes.
	for _, c := range []struct{ path, enc string }{{"/assets/index-abc123.css", "gzip"}, {"/assets/index-abc123.js", "gzip;q=0"}, {"/assets/index-abc123.js", ""}} {
		rec := get(t, h, "GET", c.path, map[string]string{"Accept-Encoding": c.enc})
		if rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s with Accept-Encoding %q was compressed", c.path, c.enc)
		}
	}
}

// The app is mounted at "/" beside the API: it must never answer an API path,
// including sub-paths the API has no handler for.
func TestAPIPathsNotShadowed(t *testing.T) {
	t.Parallel()
	spa, _ := newHandler(app)
	for _, h := range []http.Handler{spa, notBuilt()} {
		mux := http.NewServeMux()
		api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "api:"+r.URL.Path) })
		for _, p := range []string{"/graphql", "/graphiql", "/v1/leads:ingest", "/v1/events", "/healthz", "/readyz", "/metrics"} {
			mux.Handle(p, api)
		}
		mux.Handle("/", h)
		for _, p := range []string{"/graphql", "/graphiql", "/v1/leads:ingest", "/v1/events", "/healthz", "/readyz", "/metrics"} {
			if rec := get(t, mux, "GET", p, nil); rec.Body.String() != "api:"+p {
				t.Errorf("GET %s answered %q, not the API", p, rec.Body.String())
			}
		}
		for _, p := range []string{"/graphql/x", "/v1/unknown", "/v1/", "/healthz/x", "/metrics/x", "/ops/queues", "/graphiql/x"} {
			rec := get(t, mux, "GET", p, nil)
			if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "<html") || strings.Contains(rec.Body.String(), `id="root"`) {
				t.Errorf("GET %s answered %d %q, want a plain 404", p, rec.Code, rec.Body.String())
			}
		}
	}
}

func TestReserved(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"/graphql": true, "/graphql/": true, "/graphiql": true, "/v1/events": true, "/v1": true, "/healthz": true,
		"/readyz": true, "/metrics": true, "/ops/queues": true,
		"/": false, "/leads": false, "/graphqlx": false, "/v10": false, "/settings/metrics": false,
	} {
		if got := Reserved(p); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestNotBuilt(t *testing.T) {
	t.Parallel()
	rec := get(t, notBuilt(), "GET", "/leads", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "without the web app") {
		t.Errorf("not-built page: %d %q", rec.Code, rec.Body.String())
	}
	if _, err := newHandler(fstest.MapFS{}); err == nil {
		t.Error("a build without index.html was accepted")
	}
}

func TestInlineScriptHash(t *testing.T) {
	t.Parallel()
	// index.html's inline script is allowed by its hash, and only it: a
	// policy without the hash (or with 'unsafe-inline') would block the
	// early request or allow any injected script.
	script := `window.x=1;`
	page := fstest.MapFS{"index.html": {Data: []byte(`<!doctype html><head><script>` + script + `</script></head><div id="root"></div>`)}}
	h, err := newHandler(page)
	if err != nil {
		t.Fatal(err)
	}
	csp := get(t, h, "GET", "/leads", nil).Header().Get("Content-Security-Policy")
	sum := sha256.Sum256([]byte(script))
	want := "script-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
	if !strings.Contains(csp, want) {
		t.Errorf("CSP %q does not allow exactly the inline script (want %q)", csp, want)
	}
	// Without inline scripts the policy is 'self' only.
	plain, _ := newHandler(app)
	if csp := get(t, plain, "GET", "/", nil).Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("CSP %q of a page without inline scripts", csp)
	}
	// The WeCom sidebar, and it alone, may load WeCom's JS-SDK.
	if csp := get(t, h, "GET", "/wecom/sidebar", nil).Header().Get("Content-Security-Policy"); !strings.Contains(csp,
		"script-src 'self' https://res.wx.qq.com https://open.work.weixin.qq.com 'sha256-") {
		t.Errorf("CSP %q of the WeCom sidebar does not allow the JS-SDK", csp)
	}
	if strings.Contains(csp, "weixin") {
		t.Errorf("CSP %q of another page allows WeCom's scripts", csp)
	}
}
