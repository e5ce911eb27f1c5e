package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestWeComVerifyFile: the domain verification file a workspace's wecom
// channel configures (verifyFileName, verifyFileContent) is served at the
// root of the host as plain text, byte for byte, whatever workspace
// configured it; a name nobody configured, or no WeCom name, is a 404 (not
// the web app); a bad name or content is refused at its key; a file taken
// out of the config is no longer served.
func TestWeComVerifyFile(t *testing.T) {
	api := apitest.New(t)
	_, acme := api.Workspace("acme")
	_, other := api.Workspace("other")
	// configure answers the field the config was refused at ("" for none).
	configure := func(token string, extra map[string]any) string {
		c := map[string]any{"corpId": "wwverify0000000001", "corpSecret": "app-secret-0001", "agentId": 1000002}
		for k, v := range extra {
			c[k] = v
		}
		r := api.Do(token, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": c})
		if len(r.Errors) > 0 {
			return r.Errors[0].Field() + " " + r.Errors[0].Code()
		}
		return ""
	}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	if resp, _ := get("/WW_verify_4ZNaK9fT3FA6ljQH.txt"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("before any config: %d, want 404", resp.StatusCode)
	}
	if err := configure(acme, map[string]any{"verifyFileName": "WW_verify_4ZNaK9fT3FA6ljQH.txt", "verifyFileContent": "4ZNaK9fT3FA6ljQH"}); err != "" {
		t.Fatal(err)
	}
	if err := configure(other, map[string]any{"verifyFileName": "WW_verify_Other01.txt", "verifyFileContent": "Other01Content"}); err != "" {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/WW_verify_4ZNaK9fT3FA6ljQH.txt": "4ZNaK9fT3FA6ljQH", "/WW_verify_Other01.txt": "Other01Content"} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusOK || body != want || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("GET %s: %d %q (%s), want 200 %q as text/plain", path, resp.StatusCode, body, resp.Header.Get("Content-Type"), want)
		}
	}
	for _, path := range []string{"/WW_verify_Unknown.txt", "/WW_verify_4ZNaK9fT3FA6ljQH.html", "/WW_verify_.txt"} {
		if resp, body := get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d %.80q, want 404", path, resp.StatusCode, body)
		}
	}
	// Refused at its key, and the file served stays the one stored.
	for at, bad := range map[string]map[string]any{
		"config.verifyFileName BAD_USER_INPUT":     {"verifyFileName": "index.html", "verifyFileContent": "x"},
		"config.verifyFileContent BAD_USER_INPUT":  {"verifyFileName": "WW_verify_abc.txt"},
		"config.verifyFileContent BAD_USER_INPUT ": {"verifyFileName": "WW_verify_abc.txt", "verifyFileContent": "<html>owned</html> x"},
	} {
		if got := configure(acme, bad); got != strings.TrimSpace(at) {
			t.Errorf("config %v: refused at %q, want %q", bad, got, at)
		}
	}
	if _, body := get("/WW_verify_4ZNaK9fT3FA6ljQH.txt"); body != "4ZNaK9fT3FA6ljQH" {
		t.Errorf("after refused configs: %q", body)
	}
	if err := configure(acme, nil); err != "" {
		t.Fatal(err)
	}
	if resp, _ := get("/WW_verify_4ZNaK9fT3FA6ljQH.txt"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("after the file left the config: %d, want 404", resp.StatusCode)
	}
}
