package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

func post(t *testing.T, api *apitest.API, path, token, contentType, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	h := map[string]string{"Content-Type": contentType}
	for k, v := range header {
		h[k] = v
	}
	resp, raw := send(t, http.MethodPost, api.URL+path, token, h, strings.NewReader(body))
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s answered %d with non-JSON %q", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func TestIngestEndpoint(t *testing.T) {
	api := apitest.New(t)
	_, token := api.Workspace("acme")

	// A JSON array, with an idempotency key.
	body := `[{"name":"张三","phone":"138 0000 0001","tags":["web"]},{"phone":"13800000001","email":"ZS@example.com"},{"phone":"x"}]`
	status, out := post(t, api, "/v1/leads:ingest?source=h5", token, "application/json", body, map[string]string{"Idempotency-Key": "k1"})
	if status != 200 || out["created"] != 1.0 || out["merged"] != 1.0 || out["rejected"] != 1.0 || out["replayed"] != false {
		t.Fatalf("ingest = %d %v", status, out)
	}
	res := out["results"].([]any)
	first := res[0].(map[string]any)
	if _, err := gid.DecodeAs(first["leadID"].(string), gid.Lead); err != nil || res[1].(map[string]any)["leadID"] != first["leadID"] {
		t.Fatalf("results %v", res)
	}
	if errs := res[2].(map[string]any)["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "phone" {
		t.Fatalf("bad row %v", res[2])
	}
	status, again := post(t, api, "/v1/leads:ingest?source=h5", token, "application/json", body, map[string]string{"Idempotency-Key": "k1"})
	if status != 200 || again["replayed"] != true || again["created"] != 1.0 {
		t.Fatalf("replay = %d %v", status, again)
	}
	var source string
	if err := api.DB.DB.QueryRow(`SELECT source FROM leads WHERE phone = '+8613800000001'`).Scan(&source); err != nil || source != "h5" {
		t.Fatalf("source %q %v", source, err)
	}

	// JSON lines and the object form.
	status, out = post(t, api, "/v1/leads:ingest", token, "application/x-ndjson", "{\"phone\":\"13800000002\"}\n\n{\"email\":\"a@b.co\"}\n", nil)
	if status != 200 || out["created"] != 2.0 {
		t.Fatalf("ndjson = %d %v", status, out)
	}
	status, out = post(t, api, "/v1/leads:ingest", token, "application/json", `{"source":"ads","leads":[{"phone":"13800000003"}]}`, nil)
	if status != 200 || out["created"] != 1.0 {
		t.Fatalf("object form = %d %v", status, out)
	}

	// Refusals: clear errors, nothing written, no body echoed.
	var before int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM leads`).Scan(&before)
	for _, tc := range []struct {
		name, token, ctype, body string
		status                   int
		code                     string
	}{
		{"no credentials", "", "application/json", `[{"phone":"13800000009"}]`, 401, "UNAUTHENTICATED"},
		{"bad token", "nope", "application/json", `[{"phone":"13800000009"}]`, 401, "UNAUTHENTICATED"},
		{"malformed JSON", token, "application/json", `[{"phone":"13800000009"`, 400, "BAD_USER_INPUT"},
		{"wrong shape", token, "application/json", `[{"phone":138}]`, 400, "BAD_USER_INPUT"},
		{"bad ndjson line", token, "application/x-ndjson", "{\"phone\":\"13800000009\"}\nnot json\n", 400, "BAD_USER_INPUT"},
		{"bad territory id", token, "application/json", `[{"phone":"13800000009","territoryID":"zzz"}]`, 400, "BAD_USER_INPUT"},
		{"empty", token, "application/json", `[]`, 400, "BAD_USER_INPUT"},
		{"too many", token, "application/json", "[" + strings.Repeat(`{"phone":"1"},`, 5000) + `{"phone":"1"}]`, 413, "LIMIT_EXCEEDED"},
		{"too big", token, "application/json", `[{"name":"` + strings.Repeat("x", 17<<20) + `"}]`, 413, "LIMIT_EXCEEDED"},
	} {
		status, out := post(t, api, "/v1/leads:ingest", tc.token, tc.ctype, tc.body, nil)
		errs, _ := out["errors"].([]any)
		if status != tc.status || len(errs) != 1 {
			t.Errorf("%s: %d %v, want %d", tc.name, status, out, tc.status)
			continue
		}
		e := errs[0].(map[string]any)
		if code := e["extensions"].(map[string]any)["code"]; code != tc.code || strings.Contains(e["message"].(string), "13800000009") {
			t.Errorf("%s: %v, want %s without the body", tc.name, e, tc.code)
		}
	}
	var after int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM leads`).Scan(&after)
	if after != before {
		t.Fatalf("refused requests wrote %d leads", after-before)
	}

	// An analyst may not write leads.
	api.MustDo(token, `mutation { createUser(input:{name:"an", email:"an@acme.test", password:"password-an", roles:["analyst"]}) { id } }`, nil, nil)
	status, _ = post(t, api, "/v1/leads:ingest", api.Login("acme", "an@acme.test", "password-an"), "application/json", `[{"phone":"13800000009"}]`, nil)
	if status != 403 {
		t.Fatalf("analyst ingest: %d, want 403", status)
	}
	req, _ := http.NewRequest(http.MethodGet, api.URL+"/v1/leads:ingest", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 405 {
		t.Fatalf("GET: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestEventsEndpointAndDuplicateNotification(t *testing.T) {
	api := apitest.New(t)
	c, token := api.Workspace("acme")
	_, out := post(t, api, "/v1/leads:ingest", token, "application/json", `[{"phone":"13800000001","externalID":"crm-1","name":"张三"}]`, nil)
	leadID := out["results"].([]any)[0].(map[string]any)["leadID"].(string)

	body := fmt.Sprintf(`[{"leadID":%q,"name":"viewed_ad","properties":{"ad":"a1"}},{"externalID":"crm-1","name":"paid","occurredAt":"2026-11-01T00:00:00Z"},{"phone":"13800000001","name":"rode_metro"},{"name":"orphan"}]`, leadID)
	status, out := post(t, api, "/v1/events", token, "application/json", body, nil)
	if status != 200 || out["accepted"] != 3.0 || out["rejected"] != 1.0 {
		t.Fatalf("events = %d %v", status, out)
	}
	var n int
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM events WHERE tenant_id = $1 AND name IN ('viewed_ad','paid','rode_metro')`, c.Workspace.ID).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d events stored (%v)", n, err)
	}
	// A retry with the Idempotency-Key header gets the first answer and writes nothing.
	retry := fmt.Sprintf(`[{"leadID":%q,"name":"retried"},{"name":"orphan"}]`, leadID)
	key := map[string]string{"Idempotency-Key": "ev-1"}
	_, first := post(t, api, "/v1/events", token, "application/json", retry, key)
	status, second := post(t, api, "/v1/events", token, "application/json", retry, key)
	if status != 200 || first["accepted"] != 1.0 || fmt.Sprint(first) != fmt.Sprint(second) {
		t.Fatalf("events retried with a key: %d %v, first %v", status, second, first)
	}
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM events WHERE tenant_id = $1 AND name = 'retried'`, c.Workspace.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d retried events stored (%v), want 1", n, err)
	}
	status, _ = post(t, api, "/v1/events", token, "application/json", `{"events": 3}`, nil)
	if status != 400 {
		t.Fatalf("events of the wrong shape: %d", status)
	}

	// The admin owns the lead inside its protection period; a duplicate
	// arrives through the API; the admin hears about it (delivered by the
	// worker) and keeps the lead.
	id, _ := gid.Decode(leadID)
	if _, err := api.DB.DB.Exec(`UPDATE leads SET owner_id = $1, pool_id = NULL, protected_until = now() + interval '3 days' WHERE id = $2`, c.Admin.ID, id); err != nil {
		t.Fatal(err)
	}
	sub := api.Redis.Client.Subscribe(context.Background(), "scrm:notifications:"+c.Admin.ID.String())
	defer sub.Close()
	if _, err := sub.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, out = post(t, api, "/v1/leads:ingest", token, "application/json", `[{"phone":"+86 138 0000 0001","source":"referral"}]`, nil)
	if r := out["results"].([]any)[0].(map[string]any); r["status"] != "MERGED" || r["leadID"] != leadID {
		t.Fatalf("duplicate: %v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatalf("no notification published: %v", err)
	}
	if !bytes.Contains([]byte(msg.Payload), []byte("张三")) {
		t.Fatalf("notification %s", msg.Payload)
	}
	var got struct {
		Notifications []struct {
			Message string
			Lead    struct{ ID string }
		}
	}
	api.MustDo(token, `{ notifications(unreadOnly: true) { message lead { id } } }`, nil, &got)
	if len(got.Notifications) != 1 || got.Notifications[0].Lead.ID != leadID {
		t.Fatalf("notifications = %+v", got)
	}
	var marked struct{ MarkNotificationsRead int }
	api.MustDo(token, `mutation { markNotificationsRead }`, nil, &marked)
	api.MustDo(token, `{ notifications(unreadOnly: true) { message lead { id } } }`, nil, &got)
	if marked.MarkNotificationsRead != 1 || len(got.Notifications) != 0 {
		t.Fatalf("mark read: %d, left %+v", marked.MarkNotificationsRead, got)
	}
	var owner string
	if err := api.DB.DB.QueryRow(`SELECT owner_id::text FROM leads WHERE id = $1`, id).Scan(&owner); err != nil || owner != c.Admin.ID.String() {
		t.Fatalf("owner after duplicate: %s %v", owner, err)
	}
}
