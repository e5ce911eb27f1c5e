package journey_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/plugins/webhook"
)

// TestWebhookStep: a journey's webhook step POSTs each enrolled lead once,
// signed with the webhook channel's secret, with the enrolment and step as
// its Idempotency-Key, and only to the channel's host.
func TestWebhookStep(t *testing.T) {
	const secret = "journey-webhook-secret-01"
	var mu sync.Mutex
	got := map[string]map[string]any{} // Idempotency-Key -> body
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/journey" || webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		got[r.Header.Get("Idempotency-Key")] = m
		mu.Unlock()
	}))
	defer srv.Close()

	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	create := `mutation($i: CreateJourneyInput!){ createJourney(input: $i){ id } }`
	input := func(url string) map[string]any {
		return map[string]any{"i": map[string]any{"name": "回调", "trigger": map[string]any{"manual": map[string]any{}},
			"steps": []any{map[string]any{"webhook": map[string]any{"url": url}}}}}
	}
	// Without the webhook channel, and to another host, the step is refused.
	if r := api.Do(admin, create, input(srv.URL+"/journey")); len(r.Errors) != 1 || r.Errors[0].Field() != "input.steps[0].webhook.url" {
		t.Fatalf("a webhook step without the channel: %+v", r.Errors)
	}
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "webhook", config: $c){ key } }`,
		map[string]any{"c": map[string]any{"url": srv.URL + "/broadcasts", "secret": secret}}, nil)
	if r := api.Do(admin, create, input("https://elsewhere.example.com/journey")); len(r.Errors) != 1 ||
		r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "input.steps[0].webhook.url" {
		t.Fatalf("a webhook step to another host: %+v", r.Errors)
	}
	var j struct{ CreateJourney struct{ ID string } }
	api.MustDo(admin, create, input(srv.URL+"/journey"), &j)
	api.MustDo(admin, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ACTIVE){ id } }`, map[string]any{"id": j.CreateJourney.ID}, nil)
	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(admin, `mutation { ingestLeads(input: {source: "web", leads: [{name: "甲", phone: "13900000001"}, {name: "乙", phone: "13900000002"}]}) { results { lead { id } } } }`, nil, &in)
	leads := []string{in.IngestLeads.Results[0].Lead.ID, in.IngestLeads.Results[1].Lead.ID}
	api.MustDo(admin, `mutation($j: ID!, $l: [ID!]!){ enrollLeads(journeyID: $j, leadIDs: $l){ enrolled } }`,
		map[string]any{"j": j.CreateJourney.ID, "l": leads}, nil)
	api.WaitIdle()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("the receiver got %d webhooks, want one per lead: %v", len(got), got)
	}
	names := map[string]bool{}
	for key, m := range got {
		var step map[string]any
		_ = json.Unmarshal([]byte(m["body"].(string)), &step)
		if step["event"] != "journey.step" || step["step"] != 0.0 || step["journey"] != "回调" || key != step["enrollmentId"].(string)+":0" {
			t.Errorf("webhook %s = %v", key, m)
		}
		names[m["recipient"].(map[string]any)["name"].(string)] = true
	}
	if !names["甲"] || !names["乙"] {
		t.Errorf("recipients %v", names)
	}
}

// TestSendMessageStep: a journey's sendMessage step sends its template to
// each lead at the step through the broadcast machinery: rendered per lead,
// suppression applied (a lead on the do-not-disturb list gets a
// SUPPRESSED_DND row, not a message), counted in its broadcast's stats.
func TestSendMessageStep(t *testing.T) {
	const secret = "journey-message-secret-01"
	srv, received := messageReceiver(t, secret)
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "webhook", config: $c){ key } }`,
		map[string]any{"c": map[string]any{"url": srv.URL + "/messages", "secret": secret}}, nil)
	create := `mutation($i: CreateJourneyInput!){ createJourney(input: $i){ id } }`
	step := func(tpl string) map[string]any {
		return map[string]any{"i": map[string]any{"name": "欢迎", "trigger": map[string]any{"manual": map[string]any{}},
			"steps": []any{map[string]any{"sendMessage": map[string]any{"channel": "webhook", "template": tpl}}}}}
	}
	if r := api.Do(admin, create, step("您好 {{.nope}}")); len(r.Errors) != 1 || r.Errors[0].Field() != "input.steps[0].sendMessage.template" {
		t.Fatalf("a template naming an unknown field: %+v", r.Errors)
	}
	var j struct{ CreateJourney struct{ ID string } }
	api.MustDo(admin, create, step("您好{{.name}}，欢迎关注"), &j)
	api.MustDo(admin, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ACTIVE){ id } }`, map[string]any{"id": j.CreateJourney.ID}, nil)
	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(admin, `mutation { ingestLeads(input: {source: "web", leads: [{name: "甲", phone: "13900000011"}, {name: "乙", phone: "13900000012"}]}) { results { lead { id } } } }`, nil, &in)
	leads := []string{in.IngestLeads.Results[0].Lead.ID, in.IngestLeads.Results[1].Lead.ID}
	api.MustDo(admin, `mutation($l: ID!){ suppress(input: {kind: DND, leadID: $l, reason: "不要打扰"}) { id } }`, map[string]any{"l": leads[1]}, nil)
	api.MustDo(admin, `mutation($j: ID!, $l: [ID!]!){ enrollLeads(journeyID: $j, leadIDs: $l){ enrolled } }`,
		map[string]any{"j": j.CreateJourney.ID, "l": leads}, nil)
	api.WaitIdle()
	if got := received(); len(got) != 1 || got[0] != "您好甲，欢迎关注" {
		t.Fatalf("messages received: %q, want only 甲's", got)
	}
	var statuses string
	if err := api.DB.DB.QueryRow(`SELECT string_agg(d.status, ',' ORDER BY d.status) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
		WHERE b.journey_id IS NOT NULL`).Scan(&statuses); err != nil || statuses != "DELIVERED,SUPPRESSED_DND" {
		t.Errorf("the step's deliveries: %q (%v)", statuses, err)
	}
	var done int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM step_runs WHERE kind = 'sendMessage' AND outcome = 'COMPLETED'`).Scan(&done)
	if done != 2 {
		t.Errorf("%d completed sendMessage runs, want 2", done)
	}
}

// TestSendMessageStepCapAndQuietHours: a sendMessage step's frequency cap
// and quiet hours are a broadcast's. Bad ones are refused on their field
// with nothing stored; a lead already messaged within the cap's window gets
// SUPPRESSED_CAP (and completes the step) while another is sent to; during
// the step's quiet hours (in the workspace's time zone when it names none)
// its broadcast waits PAUSED with its rows PENDING and nothing sent.
func TestSendMessageStepCapAndQuietHours(t *testing.T) {
	const secret = "journey-message-secret-02"
	srv, received := messageReceiver(t, secret)
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "webhook", config: $c){ key } }`,
		map[string]any{"c": map[string]any{"url": srv.URL + "/messages", "secret": secret}}, nil)
	create := `mutation($i: CreateJourneyInput!){ createJourney(input: $i){ id } }`
	journey := func(name string, msg map[string]any) map[string]any {
		m := map[string]any{"channel": "webhook", "template": name + "{{.name}}"}
		for k, v := range msg {
			m[k] = v
		}
		return map[string]any{"i": map[string]any{"name": name, "trigger": map[string]any{"manual": map[string]any{}},
			"steps": []any{map[string]any{"sendMessage": m}}}}
	}
	for _, bad := range []struct {
		msg   map[string]any
		field string
	}{
		{map[string]any{"frequencyCap": map[string]any{"max": 0, "days": 7}}, "frequencyCap.max"},
		{map[string]any{"frequencyCap": map[string]any{"max": 1, "days": 0}}, "frequencyCap.days"},
		{map[string]any{"quietHours": map[string]any{"start": "25:00", "end": "08:00"}}, "quietHours.start"},
		{map[string]any{"quietHours": map[string]any{"start": "22:00", "end": "22:00"}}, "quietHours.end"},
		{map[string]any{"quietHours": map[string]any{"start": "22:00", "end": "08:00", "timezone": "Mars/Olympus"}}, "quietHours.timezone"},
	} {
		r := api.Do(admin, create, journey("坏的", bad.msg))
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "input.steps[0].sendMessage."+bad.field {
			t.Errorf("%v: %+v, want an error at %s", bad.msg, r.Errors, bad.field)
		}
	}
	var stored int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM journeys`).Scan(&stored)
	if stored != 0 {
		t.Fatalf("%d journeys stored by refused inputs", stored)
	}

	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(admin, `mutation { ingestLeads(input: {source: "web", leads: [{name: "甲", phone: "13900000021"}, {name: "乙", phone: "13900000022"}, {name: "丙", phone: "13900000023"}]}) { results { lead { id } } } }`, nil, &in)
	a, b, c := in.IngestLeads.Results[0].Lead.ID, in.IngestLeads.Results[1].Lead.ID, in.IngestLeads.Results[2].Lead.ID
	run := func(input map[string]any, leads ...string) string {
		t.Helper()
		var j struct{ CreateJourney struct{ ID string } }
		api.MustDo(admin, create, input, &j)
		api.MustDo(admin, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ACTIVE){ id } }`, map[string]any{"id": j.CreateJourney.ID}, nil)
		api.MustDo(admin, `mutation($j: ID!, $l: [ID!]!){ enrollLeads(journeyID: $j, leadIDs: $l){ enrolled } }`,
			map[string]any{"j": j.CreateJourney.ID, "l": leads}, nil)
		api.WaitIdle()
		return j.CreateJourney.ID
	}
	deliveries := func(journeyID string) string {
		t.Helper()
		id, err := gid.Decode(journeyID)
		if err != nil {
			t.Fatal(err)
		}
		var s string
		if err := api.DB.DB.QueryRow(`SELECT string_agg(l.name || ':' || d.status, ',' ORDER BY l.name) FROM deliveries d
			JOIN broadcasts b ON b.id = d.broadcast_id JOIN leads l ON l.id = d.lead_id WHERE b.journey_id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// 甲 is messaged; then a capped step (1 per 7 days) skips 甲 and sends to 乙.
	run(journey("一", nil), a)
	if got := received(); len(got) != 1 || got[0] != "一甲" {
		t.Fatalf("first message: %q", got)
	}
	capped := run(journey("二", map[string]any{"frequencyCap": map[string]any{"max": 1, "days": 7}}), a, b)
	if got := deliveries(capped); got != "乙:DELIVERED,甲:SUPPRESSED_CAP" {
		t.Errorf("the capped step's deliveries: %s", got)
	}
	if got := received(); len(got) != 2 || got[1] != "二乙" {
		t.Errorf("messages after the capped step: %q", got)
	}

	// Quiet hours around now in the workspace's time zone (none named): the
	// step's broadcast is PAUSED with 丙's row PENDING, nothing sent.
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := api.Clock.Now().In(sh)
	quiet := run(journey("三", map[string]any{"quietHours": map[string]any{
		"start": now.Add(-time.Hour).Format("15:04"), "end": now.Add(time.Hour).Format("15:04")}}), c)
	var status, tz string
	quietID, _ := gid.Decode(quiet)
	if err := api.DB.DB.QueryRow(`SELECT status, coalesce(quiet_timezone, '') FROM broadcasts WHERE journey_id = $1`, quietID).Scan(&status, &tz); err != nil {
		t.Fatal(err)
	}
	if status != "PAUSED" || tz != "Asia/Shanghai" {
		t.Errorf("the quiet step's broadcast: %s in %q, want PAUSED in Asia/Shanghai", status, tz)
	}
	if got := deliveries(quiet); got != "丙:PENDING" {
		t.Errorf("the quiet step's deliveries: %s", got)
	}
	if got := received(); len(got) != 2 {
		t.Errorf("sent during quiet hours: %q", got)
	}
	// The definition serves the step as it was given.
	var j struct {
		Node struct{ Definition []map[string]map[string]any }
	}
	api.MustDo(admin, `query($id: ID!){ node(id: $id){ ... on Journey { definition } } }`, map[string]any{"id": capped}, &j)
	if f := j.Node.Definition[0]["sendMessage"]["frequencyCap"]; fmt.Sprint(f) != "map[days:7 max:1]" {
		t.Errorf("definition's frequencyCap: %v", f)
	}
}

// messageReceiver is the webhook channel's receiving end: it keeps the
// bodies of the messages signed with secret, which received returns.
func messageReceiver(t *testing.T, secret string) (srv *httptest.Server, received func() []string) {
	var mu sync.Mutex
	var bodies []string
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		bodies = append(bodies, m["body"].(string))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bodies...)
	}
}

// TestDefinitionRoundTrip: Journey.trigger and Journey.definition give ids
// opaque, as every id the API gives (condition rules as segment rules are
// served), so a client can send the definition back as the steps of
// updateJourney unchanged.
func TestDefinitionRoundTrip(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	var ids struct {
		CreateTag struct{ ID string }
		Me        struct{ ID string }
		Pipelines []struct {
			Stages []struct{ ID string }
		}
	}
	api.MustDo(admin, `mutation { createTag(input: {name: "旅程标签"}) { id } }`, nil, &ids)
	api.MustDo(admin, `{ me { id } pipelines { stages { id } } }`, nil, &ids)
	tagID, stageID := ids.CreateTag.ID, ids.Pipelines[0].Stages[1].ID
	steps := []any{
		map[string]any{"condition": map[string]any{"rule": map[string]any{"tag": map[string]any{"any": []any{tagID}}}, "otherwise": "EXIT"}},
		map[string]any{"addTags": map[string]any{"tagIDs": []any{tagID}}},
		map[string]any{"moveStage": map[string]any{"stageID": stageID}},
		map[string]any{"createTask": map[string]any{"title": "回访", "assignee": "USER", "userID": ids.Me.ID, "dueInHours": 24}},
	}
	var j struct {
		CreateJourney struct {
			ID         string
			Trigger    map[string]map[string]any
			Definition []map[string]map[string]any
		}
	}
	api.MustDo(admin, `mutation($i: CreateJourneyInput!){ createJourney(input: $i){ id trigger definition } }`,
		map[string]any{"i": map[string]any{"name": "往返", "trigger": map[string]any{"tagAdded": map[string]any{"tagID": tagID}}, "steps": steps}}, &j)
	d := j.CreateJourney.Definition
	if got := j.CreateJourney.Trigger["tagAdded"]["tagID"]; got != tagID {
		t.Errorf("trigger's tagID = %v, want %s", got, tagID)
	}
	if len(d) != 4 || fmt.Sprint(d[0]["condition"]["rule"]) != fmt.Sprint(map[string]any{"tag": map[string]any{"any": []any{tagID}}}) ||
		fmt.Sprint(d[1]["addTags"]["tagIDs"]) != fmt.Sprint([]any{tagID}) || d[2]["moveStage"]["stageID"] != stageID ||
		d[3]["createTask"]["userID"] != ids.Me.ID {
		t.Errorf("definition = %v", d)
	}
	var u struct {
		UpdateJourney struct {
			Version    int
			Definition []map[string]map[string]any
		}
	}
	back := make([]any, len(d))
	for i := range d {
		back[i] = d[i]
	}
	api.MustDo(admin, `mutation($id: ID!, $s: [JourneyStepInput!]!){ updateJourney(id: $id, input: {steps: $s}){ version definition } }`,
		map[string]any{"id": j.CreateJourney.ID, "s": back}, &u)
	if fmt.Sprint(u.UpdateJourney.Definition) != fmt.Sprint(d) {
		t.Errorf("the definition sent back came back as %v", u.UpdateJourney.Definition)
	}

	// The trigger changes through updateJourney too: a bad one is refused at
	// its input path, a good one is served back as the trigger.
	upd := `mutation($id: ID!, $t: JourneyTriggerInput!){ updateJourney(id: $id, input: {trigger: $t}){ version trigger } }`
	res := api.Do(admin, upd, map[string]any{"id": j.CreateJourney.ID, "t": map[string]any{"stageEntered": map[string]any{"stageID": ids.Me.ID}}})
	if len(res.Errors) != 1 || res.Errors[0].Code() != "NOT_FOUND" || res.Errors[0].Field() != "input.trigger.stageEntered.stageID" {
		t.Errorf("a user's id as the stage: %+v", res.Errors)
	}
	var tr struct {
		UpdateJourney struct {
			Version int
			Trigger map[string]map[string]any
		}
	}
	api.MustDo(admin, upd, map[string]any{"id": j.CreateJourney.ID, "t": map[string]any{"stageEntered": map[string]any{"stageID": stageID}}}, &tr)
	if tr.UpdateJourney.Trigger["stageEntered"]["stageID"] != stageID || tr.UpdateJourney.Version != u.UpdateJourney.Version {
		t.Errorf("after the trigger change: %+v (version was %d)", tr.UpdateJourney, u.UpdateJourney.Version)
	}
}
