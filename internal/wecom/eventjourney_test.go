package wecom_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

// TestWeComEventsTriggerJourneys: the events the WeCom callbacks record go
// through the same recorder as tracked events, so a journey triggered by
// the event wecom.lost (or wecom.added) enrols the customer's lead when the
// fake WeCom sends del_follow_user (add_external_contact), in the
// callback's transaction; a journey on another event enrols nobody.
func TestWeComEventsTriggerJourneys(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	now := api.Clock.Now

	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation { createUser(input:{name: "张三", email: "zhangsan@acme.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {wecomUserID: "zhangsan"}) { id } }`,
		map[string]any{"id": u.CreateUser.ID}, nil)

	journeyOn := func(event string) uuid.UUID {
		t.Helper()
		var j struct{ CreateJourney struct{ ID string } }
		api.MustDo(admin, `mutation($i: CreateJourneyInput!){ createJourney(input: $i){ id } }`, map[string]any{"i": map[string]any{
			"name": "on " + event, "trigger": map[string]any{"event": map[string]any{"name": event}},
			"steps": []any{map[string]any{"wait": map[string]any{"days": 1}}}}}, &j)
		api.MustDo(admin, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ACTIVE){ id } }`, map[string]any{"id": j.CreateJourney.ID}, nil)
		id, err := gid.Decode(j.CreateJourney.ID)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	added, lost, other := journeyOn("wecom.added"), journeyOn("wecom.lost"), journeyOn("wecom.removed")
	enrolled := func(journey uuid.UUID) []uuid.UUID {
		t.Helper()
		rows, err := api.DB.DB.Query(`SELECT lead_id FROM enrollments WHERE journey_id = $1 ORDER BY lead_id`, journey)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []uuid.UUID
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}

	add := fake.Add(customer{ExternalUserID: "wmJ0000000000000001", Name: "客户甲"}, "zhangsan", "", []string{"13800138001"}, now())
	if resp, body := post(t, cbURL, add); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "APPLIED" {
		t.Fatalf("add = %d %s %s", resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"), body)
	}
	var lead uuid.UUID
	if err := api.DB.DB.QueryRow(`SELECT lead_id FROM wecom_contacts WHERE external_user_id = 'wmJ0000000000000001'`).Scan(&lead); err != nil {
		t.Fatal(err)
	}
	if got := enrolled(added); len(got) != 1 || got[0] != lead {
		t.Errorf("journey on wecom.added enrolled %v, want the new lead %s", got, lead)
	}
	if got := enrolled(lost); len(got) != 0 {
		t.Errorf("journey on wecom.lost enrolled %v before any churn", got)
	}

	if resp, body := post(t, cbURL, fake.Event(now(), "zhangsan", "wmJ0000000000000001", "del_follow_user", "")); resp.StatusCode != 200 ||
		resp.Header.Get("X-Scrm-Outcome") != "APPLIED" {
		t.Fatalf("del_follow_user = %d %s %s", resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"), body)
	}
	if got := enrolled(lost); len(got) != 1 || got[0] != lead {
		t.Errorf("journey on wecom.lost enrolled %v, want the churned lead %s", got, lead)
	}
	if got := enrolled(other); len(got) != 0 {
		t.Errorf("journey on wecom.removed enrolled %v, want nobody", got)
	}
}
