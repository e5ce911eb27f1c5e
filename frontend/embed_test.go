//go:build !nofrontend

package frontend

import (
	"io/fs"
	"strings"
	"testing"
)

// The binary serves the real build: index.html at / and every file Vite
// wrote under assets/ with the immutable cache header.
func TestEmbeddedBuild(t *testing.T) {
	h := Handler()
	rec := get(t, h, "GET", "/leads", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("GET /leads answered %d %q; run make frontend", rec.Code, rec.Body.String())
	}
	if strings.Contains(rec.Body.String(), "without the web app") {
		t.Fatal("frontend/dist holds no index.html; run make frontend")
	}
	assets, _ := fs.Glob(dist, "dist/assets/*.js")
	if len(assets) == 0 {
		t.Skip("frontend/dist has no assets (a placeholder build)")
	}
	for _, a := range assets {
		rec := get(t, h, "GET", strings.TrimPrefix(a, "dist"), nil)
		if rec.Code != 200 || rec.Header().Get("Cache-Control") != cacheImmutable {
			t.Errorf("GET %s: %d, Cache-Control %q", a, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
}
