package wecom_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
	"github.com/scrmhq/scrm/internal/workspace"
)

// TestMassSendEndToEnd: a broadcast on the wecom channel of a corp with the
// customer-contact secret becomes one mass-send template per sending member
// (the lead's owner) with that member's customers; WeCom's answer to the
// first template is lost, and the next pass finds the template instead of
// making a second one; the members send, and every delivery is marked from
// WeCom's results.
func TestMassSendEndToEnd(t *testing.T) {
	api, admin, fake, created, cbURL, seg := massSendFixture(t)
	now := api.Clock.Now

	// The first template's answer is lost.
	fake.LoseNextTemplateAnswer = true
	var bc struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(admin, `mutation($s: ID!){ createBroadcast(input: {name: "新品", segmentID: $s, channel: "wecom", template: "新品上市，欢迎咨询"}) { id } }`,
		map[string]any{"s": seg.CreateSegment.ID}, &bc)
	api.WaitIdle()
	id := mustDecode(t, bc.CreateBroadcast.ID)
	ctx := tenant.NewContext(context.Background(), created.Workspace.ID)
	pass := func() {
		t.Helper()
		api.Clock.Advance(2 * 60e9) // past the poll interval
		if err := api.Services.Broadcasts.Send(ctx, id); err != nil {
			t.Fatalf("send pass: %v", err)
		}
	}
	pass()
	msgs := fake.GroupMsgs()
	if len(msgs) != 2 || fake.Count("/cgi-bin/externalcontact/add_msg_template") != 2 {
		t.Fatalf("templates %+v after %d add_msg_template calls; want one per member, no second for the lost answer",
			msgs, fake.Count("/cgi-bin/externalcontact/add_msg_template"))
	}
	for _, m := range msgs {
		var got []string
		for ext := range m.Results {
			got = append(got, ext)
		}
		slices.Sort(got)
		want := map[string][]string{"zhangsan": {"wmMS-a", "wmMS-b", "wmMS-e"}, "lisi": {"wmMS-c", "wmMS-f"}}[m.Sender]
		if !slices.Equal(got, want) || m.Content != "新品上市，欢迎咨询" {
			t.Errorf("template of %s: %v %q, want %v", m.Sender, got, m.Content, want)
		}
	}
	if st := stats(t, api, admin, bc.CreateBroadcast.ID); st["unreachable"] != 1 || st["sent"] != 0 {
		t.Errorf("before the members send: %v", st)
	}

	// zhangsan sends; f deletes lisi, then lisi sends.
	fake.Confirm("zhangsan")
	if resp, _ := post(t, cbURL, fake.Lose("wmMS-f", "lisi", now())); resp.StatusCode != 200 {
		t.Fatal("del_follow_user")
	}
	pass()
	if st := status(t, api, id); st != "SENDING" {
		t.Errorf("with lisi's template unsent the broadcast is %s, want SENDING", st)
	}
	fake.Confirm("lisi")
	pass()
	pass() // nothing left: no more calls
	want := map[string]string{"wmMS-a": "SENT", "wmMS-b": "SENT", "wmMS-c": "SENT", "wmMS-e": "FAILED", "wmMS-f": "FAILED"}
	rows, err := api.DB.DB.Query(`SELECT w.external_user_id, d.status FROM deliveries d JOIN wecom_contacts w ON w.lead_id = d.lead_id
		WHERE d.broadcast_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ext, st string
		_ = rows.Scan(&ext, &st)
		if want[ext] != st {
			t.Errorf("delivery to %s = %s, want %s", ext, st, want[ext])
		}
	}
	rows.Close()
	if st := status(t, api, id); st != "DONE" {
		t.Errorf("broadcast %s, want DONE", st)
	}
	if st := stats(t, api, admin, bc.CreateBroadcast.ID); st["sent"] != 3 || st["failed"] != 2 || st["unreachable"] != 1 {
		t.Errorf("stats %v", st)
	}
	if n := fake.Count("/cgi-bin/externalcontact/add_msg_template"); n != 2 {
		t.Errorf("add_msg_template called %d times in all, want 2", n)
	}
}

// TestMassSendCancel: cancelling a mass send stops its templates in WeCom
// (cancel_groupmsg_send, by the send task queued with the cancellation):
// what a member already sent stays SENT, a member who had not sent can no
// longer, and those deliveries fail saying why.
func TestMassSendCancel(t *testing.T) {
	api, admin, fake, created, _, seg := massSendFixture(t)
	var bc struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(admin, `mutation($s: ID!){ createBroadcast(input: {name: "撤回", segmentID: $s, channel: "wecom", template: "限时活动"}) { id } }`,
		map[string]any{"s": seg.CreateSegment.ID}, &bc)
	api.WaitIdle()
	id := mustDecode(t, bc.CreateBroadcast.ID)
	if msgs := fake.GroupMsgs(); len(msgs) != 2 {
		t.Fatalf("templates %+v, want one per member", msgs)
	}
	fake.Confirm("zhangsan")
	api.MustDo(admin, `mutation($id: ID!){ cancelBroadcast(id: $id) { status } }`, map[string]any{"id": bc.CreateBroadcast.ID}, nil)
	api.WaitIdle()
	for _, m := range fake.GroupMsgs() {
		if m.Sender == "lisi" && !m.Cancelled {
			t.Errorf("lisi's unsent template was not cancelled in WeCom")
		}
	}
	if n := fake.Confirm("lisi"); n != 0 {
		t.Errorf("lisi could still send %d templates after the cancel", n)
	}
	want := map[string]string{"wmMS-a": "SENT", "wmMS-b": "SENT", "wmMS-e": "FAILED", "wmMS-c": "FAILED", "wmMS-f": "FAILED"}
	rows, err := api.DB.DB.Query(`SELECT w.external_user_id, d.status, coalesce(d.error, '') FROM deliveries d
		JOIN wecom_contacts w ON w.lead_id = d.lead_id WHERE d.broadcast_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ext, st, why string
		_ = rows.Scan(&ext, &st, &why)
		if want[ext] != st {
			t.Errorf("delivery to %s = %s, want %s", ext, st, want[ext])
		}
		if (ext == "wmMS-c" || ext == "wmMS-f") && why != "the broadcast was cancelled before the member sent the mass message" {
			t.Errorf("delivery to %s failed with %q", ext, why)
		}
	}
	rows.Close()
	var groups string
	_ = api.DB.DB.QueryRow(`SELECT string_agg(sender || ':' || status, ',' ORDER BY sender) FROM wecom_group_msgs WHERE broadcast_id = $1`, id).Scan(&groups)
	if groups != "lisi:CANCELLED,zhangsan:DONE" {
		t.Errorf("templates %s, want lisi:CANCELLED,zhangsan:DONE", groups)
	}
	// Another pass (the resume pass, a retried task) changes nothing.
	ctx := tenant.NewContext(context.Background(), created.Workspace.ID)
	calls := fake.Count("/cgi-bin/externalcontact/cancel_groupmsg_send")
	if err := api.Services.Broadcasts.Send(ctx, id); err != nil || fake.Count("/cgi-bin/externalcontact/cancel_groupmsg_send") != calls {
		t.Errorf("a second pass: %v, %d more cancel calls", err, fake.Count("/cgi-bin/externalcontact/cancel_groupmsg_send")-calls)
	}
	if st := status(t, api, id); st != "CANCELLED" {
		t.Errorf("broadcast %s, want CANCELLED", st)
	}
}

// massSendFixture is a workspace with a WeCom corp (the fake) whose members
// zhangsan and lisi own leads that are their customers — zhangsan's wmMS-a,
// wmMS-b and wmMS-e (who already got a mass message today), lisi's wmMS-c and
// wmMS-f — plus one lead reachable on WeCom that is nobody's customer, all
// in the segment it returns (the tag 群发).
func massSendFixture(t *testing.T) (api *apitest.API, admin string, fake *wecomfake.Server, created *workspace.Created,
	cbURL string, seg struct{ CreateSegment struct{ ID string } }) {
	t.Helper()
	api = apitest.New(t)
	created, admin = api.Workspace("acme")
	fake = newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	cbURL = api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	now := api.Clock.Now
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	var u struct{ CreateUser struct{ ID string } }
	for _, name := range []string{"zhangsan", "lisi"} {
		api.MustDo(admin, `mutation($e: String!, $n: String!){ createUser(input:{name: $n, email: $e, password: "rep-password", roles: ["rep"]}){ id } }`,
			map[string]any{"e": name + "@acme.test", "n": name}, &u)
		api.MustDo(admin, `mutation($id: ID!, $w: String){ updateUser(id: $id, input: {wecomUserID: $w}) { id } }`,
			map[string]any{"id": u.CreateUser.ID, "w": name}, nil)
	}
	// Customers of zhangsan (a, b, e) and of lisi (c, f); e already got a
	// mass message today; f deletes lisi after the template is made.
	members := map[string]string{"wmMS-a": "zhangsan", "wmMS-b": "zhangsan", "wmMS-e": "zhangsan", "wmMS-c": "lisi", "wmMS-f": "lisi"}
	exts := []string{"wmMS-a", "wmMS-b", "wmMS-c", "wmMS-e", "wmMS-f"}
	for _, ext := range exts {
		if resp, body := post(t, cbURL, fake.Add(customer{ExternalUserID: ext, Name: "客户 " + ext}, members[ext], "", nil, now())); resp.StatusCode != 200 {
			t.Fatalf("add %s = %d %s", ext, resp.StatusCode, body)
		}
	}
	fake.AlreadyReceived = []string{"wmMS-e"}
	// A lead reachable on WeCom by unionid whose owner has no relationship with it.
	api.MustDo(admin, `mutation { ingestLeads(input: {source: "web", leads: [{name: "无关系", unionID: "union-none"}]}) { results { lead { id } } } }`, nil, nil)
	var tg struct{ CreateTag struct{ ID string } }
	api.MustDo(admin, `mutation { createTag(input: {name: "群发"}) { id } }`, nil, &tg)
	var all []string
	rows, err := api.DB.DB.Query(`SELECT id FROM leads WHERE tenant_id = $1`, created.Workspace.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		_ = rows.Scan(&id)
		all = append(all, gid.Encode(id))
	}
	rows.Close()
	api.MustDo(admin, `mutation($l: [ID!]!, $t: [ID!]!){ tagLeads(leadIDs: $l, tagIDs: $t) { affected } }`,
		map[string]any{"l": all, "t": []string{tg.CreateTag.ID}}, nil)
	var none uuid.UUID
	_ = api.DB.DB.QueryRow(`SELECT id FROM leads WHERE union_id = 'union-none'`).Scan(&none)
	zhangsan := userID(t, api, "zhangsan")
	if _, err := api.DB.DB.Exec(`UPDATE leads SET owner_id = $2 WHERE id = $1`, none, zhangsan); err != nil {
		t.Fatal(err)
	}
	api.MustDo(admin, `mutation($t: ID!){ createSegment(input: {name: "群发对象", rule: {tag: {any: [$t]}}}) { id } }`, map[string]any{"t": tg.CreateTag.ID}, &seg)
	api.WaitIdle()
	return api, admin, fake, created, cbURL, seg
}

func mustDecode(t *testing.T, id string) uuid.UUID {
	t.Helper()
	u, err := gid.Decode(id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func userID(t *testing.T, api *apitest.API, wecomID string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := api.DB.DB.QueryRow(`SELECT id FROM users WHERE wecom_user_id = $1`, wecomID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func status(t *testing.T, api *apitest.API, id uuid.UUID) string {
	t.Helper()
	var st string
	if err := api.DB.DB.QueryRow(`SELECT status FROM broadcasts WHERE id = $1`, id).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func stats(t *testing.T, api *apitest.API, token, id string) map[string]float64 {
	t.Helper()
	var out struct {
		Node struct{ Stats map[string]float64 }
	}
	api.MustDo(token, `query($id: ID!){ node(id: $id) { ... on Broadcast { stats { targeted unreachable sent delivered failed } } } }`,
		map[string]any{"id": id}, &out)
	return out.Node.Stats
}
