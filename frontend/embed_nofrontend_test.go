//go:build nofrontend

package frontend

import (
	"strings"
	"testing"
)

func TestNoFrontendBuild(t *testing.T) {
	rec := get(t, Handler(), "GET", "/", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "without the web app") {
		t.Fatalf("GET / answered %d %q", rec.Code, rec.Body.String())
	}
	if rec := get(t, Handler(), "GET", "/graphql/x", nil); rec.Code != 404 {
		t.Errorf("GET /graphql/x answered %d", rec.Code)
	}
}
