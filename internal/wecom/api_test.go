package wecom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// Two workspaces behind two gateways: the library's calls reach the gateway
// whose gettoken issued the token they carry, also when they run at once; a
// busy WeCom (errcode -1) is retried.
func TestEachCorpCallsItsOwnBaseURL(t *testing.T) {
	var busy atomic.Int32 // the first two calls for wm0 find WeCom busy
	gateway := func(name string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch r.URL.Path {
			case "/cgi-bin/gettoken":
				_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "access_token": name + "-token", "expires_in": 7200})
			case "/cgi-bin/externalcontact/get":
				if r.URL.Query().Get("external_userid") == "wm0" && busy.Add(1) <= 2 {
					_ = json.NewEncoder(w).Encode(map[string]any{"errcode": -1, "errmsg": "system busy"})
					return
				}
				if r.URL.Query().Get("access_token") != name+"-token" {
					_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
					return
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "external_contact": map[string]any{
					"external_userid": r.URL.Query().Get("external_userid"), "name": name}})
			default:
				http.NotFound(w, r)
			}
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := gateway("a"), gateway("b")
	tk := &tokens{now: time.Now, m: map[string]cachedToken{}}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		srv, want := a, "a"
		if i%2 == 1 {
			srv, want = b, "b"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			api := tk.contacts(wecomplug.Config{BaseURL: srv.URL, CorpID: "corp" + want, ContactSecret: "secret-" + want})
			res, err := api.detail(fmt.Sprintf("wm%d", i))
			if err != nil {
				errs <- err
				return
			}
			if res.ExternalContact.Name != want {
				errs <- fmt.Errorf("call for gateway %s answered by %s", want, res.ExternalContact.Name)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if busy.Load() != 3 {
		t.Errorf("wm0 was asked %d times, want 3 (two busy answers, then the contact)", busy.Load())
	}
	for err := range errs {
		t.Error(err)
	}
}
