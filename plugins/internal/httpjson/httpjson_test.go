package httpjson

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/egress"
	"github.com/scrmhq/scrm/plugins"
)

func TestDo(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/echo", http.StatusFound)
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Auth", r.Header.Get("Authorization"))
		w.Header().Set("X-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	client, owned := Client(nil)
	if !owned || client.Timeout == 0 {
		t.Errorf("default client: owned %v, timeout %v", owned, client.Timeout)
	}
	resp, err := Do(context.Background(), client, http.MethodPost, srv.URL+"/echo",
		http.Header{"Authorization": {"Bearer t"}}, map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusAccepted || string(resp.Body) != `{"a":"b"}` ||
		resp.Header.Get("X-Auth") != "Bearer t" || resp.Header.Get("X-Type") != "application/json" {
		t.Errorf("response %d %s %v", resp.Status, resp.Body, resp.Header)
	}

	// Redirects come back as they are, with a caller's client too.
	mine := &http.Client{}
	c2, owned := Client(mine)
	if owned || c2 == mine {
		t.Errorf("Client(mine): owned %v, same pointer %v", owned, c2 == mine)
	}
	resp, err = Do(context.Background(), c2, http.MethodGet, srv.URL+"/redirect", nil, nil)
	if err != nil || resp.Status != http.StatusFound {
		t.Errorf("redirect: %v, %v", resp, err)
	}
	if mine.CheckRedirect != nil {
		t.Error("Client changed the caller's client")
	}
}

func TestDoErrorHidesQuery(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	client, _ := Client(nil)
	_, err := Do(context.Background(), client, http.MethodGet, url+"/token?secret=hunter2", nil, nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "/token") {
		t.Errorf("err = %v, want the path without the query", err)
	}
}

func TestReadBodyLimit(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", MaxBody+1)))
	if _, err := ReadBody(r); err == nil {
		t.Error("oversized body accepted")
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("ok"))
	if b, err := ReadBody(r); err != nil || string(b) != "ok" {
		t.Errorf("ReadBody = %q, %v", b, err)
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("长", 100) // 300 bytes, cut inside a character
	if got := Snippet([]byte(long)); !strings.HasSuffix(got, "…") || strings.ContainsRune(got, '\uFFFD') || len(got) > 210 {
		t.Errorf("Snippet = %q", got)
	}
}

// The default client refuses a private address before dialling it, and Do
// reports the refusal as permanent (SMS gateways and WeCom base URLs are
// written by workspace admins); the query, which may carry a token, is not
// repeated.
func TestDoRefusesPrivateAddresses(t *testing.T) {
	client, _ := Client(nil)
	_, err := Do(context.Background(), client, http.MethodGet, "http://192.168.3.4:8080/send?access_token=s3cret", nil, nil)
	if !errors.Is(err, egress.ErrRefused) || !plugins.IsPermanent(err) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Do = %v, want a permanent egress refusal without the query", err)
	}
}
