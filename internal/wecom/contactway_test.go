package wecom_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// TestContactWayEndToEnd: an admin makes a contact-way code (渠道活码) through
// the fake WeCom; customers who add its members become leads with the
// code's source and tags, owned in turn (ROUND_ROBIN), get the welcome
// message inside the 20-second window and enter the code's journey; a known
// customer merges; churn and a deal show in the code's stats.
func TestContactWayEndToEnd(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	fake.Members = []string{"zhangsan", "lisi"}
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	now := api.Clock.Now
	create := `mutation CreateContactWay($input: CreateContactWayInput!) { createContactWay(input: $input) { id name state qrCodeURL } }`

	// Without the channel configured, a code cannot be made.
	var u struct{ CreateUser struct{ ID string } }
	users := map[string]string{}
	for _, name := range []string{"zhangsan", "lisi", "wangwu"} {
		api.MustDo(admin, `mutation($e: String!, $n: String!){ createUser(input:{name: $n, email: $e, password: "rep-password", roles: ["rep"]}){ id } }`,
			map[string]any{"e": name + "@acme.test", "n": name}, &u)
		users[name] = u.CreateUser.ID
	}
	for _, name := range []string{"zhangsan", "lisi"} {
		api.MustDo(admin, `mutation($id: ID!, $w: String){ updateUser(id: $id, input: {wecomUserID: $w}) { id } }`,
			map[string]any{"id": users[name], "w": name}, nil)
	}
	if r := api.Do(admin, create, map[string]any{"input": map[string]any{"name": "x", "userIDs": []string{users["zhangsan"]}}}); len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" {
		t.Fatalf("a code without the wecom channel: %+v", r.Errors)
	}
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	var tg struct{ CreateTag struct{ ID string } }
	api.MustDo(admin, `mutation { createTag(input: {name: "展会"}) { id } }`, nil, &tg)
	expo := tg.CreateTag.ID
	api.MustDo(admin, `mutation { createTag(input: {name: "活码旅程"}) { id } }`, nil, &tg)
	journeyTag := tg.CreateTag.ID

	// Bad inputs are refused at their path and make no code, here or in WeCom.
	for _, c := range []struct {
		input map[string]any
		code  string
		field string
	}{
		{map[string]any{"name": " ", "userIDs": []string{users["zhangsan"]}}, "BAD_USER_INPUT", "input.name"},
		{map[string]any{"name": "x", "userIDs": []string{}}, "BAD_USER_INPUT", "input.userIDs"},
		{map[string]any{"name": "x", "userIDs": []string{users["zhangsan"], users["wangwu"]}}, "BAD_USER_INPUT", "input.userIDs[1]"},
		{map[string]any{"name": "x", "userIDs": []string{users["zhangsan"], users["zhangsan"]}}, "BAD_USER_INPUT", "input.userIDs[1]"},
		{map[string]any{"name": "x", "userIDs": []string{users["zhangsan"]}, "welcomeMessage": "您好 {{.nope}}"}, "BAD_USER_INPUT", "input.welcomeMessage"},
		{map[string]any{"name": "x", "userIDs": []string{users["zhangsan"]}, "tagIDs": []string{gid.Encode(gid.New(gid.Tag))}}, "NOT_FOUND", "input.tagIDs[0]"},
	} {
		r := api.Do(admin, create, map[string]any{"input": c.input})
		if len(r.Errors) != 1 || r.Errors[0].Code() != c.code || r.Errors[0].Field() != c.field {
			t.Errorf("createContactWay(%v) = %+v, want %s at %s", c.input, r.Errors, c.code, c.field)
		}
	}
	if n := fake.Count("/cgi-bin/externalcontact/add_contact_way"); n != 0 {
		t.Fatalf("refused inputs called add_contact_way %d times", n)
	}

	var cw struct {
		CreateContactWay struct{ ID, Name, State, QrCodeURL string }
	}
	api.MustDo(admin, create, map[string]any{"input": map[string]any{"name": "2026 春季展会", "userIDs": []string{users["zhangsan"], users["lisi"]},
		"strategy": "ROUND_ROBIN", "source": "expo-2026", "tagIDs": []string{expo}, "welcomeMessage": "您好{{.name}}，欢迎来到展位！"}}, &cw)
	code := fake.ByState(cw.CreateContactWay.State)
	if code == nil || code.Type != 2 || code.Scene != 2 || !code.SkipVerify || code.Remark != "2026 春季展会" ||
		len(code.Users) != 2 || code.Users[0] != "zhangsan" || code.QRCode != cw.CreateContactWay.QrCodeURL {
		t.Fatalf("WeCom's code %+v for %+v", code, cw)
	}
	var j struct{ CreateJourney struct{ ID string } }
	api.MustDo(admin, `mutation($i: CreateJourneyInput!){ createJourney(input: $i){ id } }`, map[string]any{"i": map[string]any{
		"name": "活码培育", "trigger": map[string]any{"contactWayAdded": map[string]any{"contactWayID": cw.CreateContactWay.ID}},
		"steps": []any{map[string]any{"addTags": map[string]any{"tagIDs": []string{journeyTag}}}}}}, &j)
	api.MustDo(admin, `mutation($id: ID!){ setJourneyStatus(id: $id, status: ACTIVE){ id } }`, map[string]any{"id": j.CreateJourney.ID}, nil)

	// Two new customers add zhangsan through the code: leads with the code's
	// source and tag, owned in turn by zhangsan then lisi.
	var leads []uuid.UUID
	for i, ext := range []string{"wmCW000000000000001", "wmCW000000000000002"} {
		cb := fake.AddThrough(code, customer{ExternalUserID: ext, Name: []string{"客户一", "客户二"}[i]}, "zhangsan", nil, now())
		if resp, body := post(t, cbURL, cb); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "APPLIED" {
			t.Fatalf("add %s = %d %s %s", ext, resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"), body)
		}
		var id, owner uuid.UUID
		var source string
		if err := api.DB.DB.QueryRow(`SELECT l.id, l.owner_id, l.source FROM wecom_contacts w JOIN leads l ON l.id = w.lead_id
			WHERE w.external_user_id = $1`, ext).Scan(&id, &owner, &source); err != nil {
			t.Fatalf("lead of %s: %v", ext, err)
		}
		want, _ := gid.Decode(users[[]string{"zhangsan", "lisi"}[i]])
		if owner != want || source != "expo-2026" || !hasTag(t, api, id, expo) {
			t.Errorf("lead of %s: owner %v (want %v), source %q, tagged %v", ext, owner, want, source, hasTag(t, api, id, expo))
		}
		leads = append(leads, id)
	}
	api.WaitIdle()
	for i, ext := range []string{"wmCW000000000000001", "wmCW000000000000002"} {
		wc := fake.WelcomeTo(ext)
		if want := "您好" + []string{"客户一", "客户二"}[i] + "，欢迎来到展位！"; wc == nil || wc.Text != want || wc.SentAt.Sub(wc.IssuedAt) > 20e9 {
			t.Errorf("welcome to %s = %+v, want %q within 20 s", ext, wc, want)
		}
		if !hasTag(t, api, leads[i], journeyTag) {
			t.Errorf("the code's journey did not run for %s", ext)
		}
	}

	// The lead's WeCom section names the code the customer came through
	// (its id and name only), for a rep who cannot read contactWays too.
	var lw struct {
		Node struct {
			WecomContacts []struct {
				State      string
				ContactWay *struct {
					ID, Name string
					Deleted  bool
				}
			}
		}
	}
	zhangsan := api.Login("acme", "zhangsan@acme.test", "rep-password")
	api.MustDo(zhangsan, `query($id: ID!){ node(id: $id){ ... on Lead { wecomContacts { state contactWay { id name deleted } } } } }`,
		map[string]any{"id": gid.Encode(leads[0])}, &lw)
	if w := lw.Node.WecomContacts; len(w) != 1 || w[0].ContactWay == nil || w[0].ContactWay.ID != cw.CreateContactWay.ID ||
		w[0].ContactWay.Name != "2026 春季展会" || w[0].ContactWay.Deleted {
		t.Errorf("the lead's contacts name the code: %+v", lw.Node)
	}

	// A known customer (by unionid, owned by wangwu) merges and keeps its owner.
	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(admin, `mutation { ingestLeads(input: {source: "web", leads: [{name: "老客户", unionID: "union-old"}]}) { results { lead { id } } } }`, nil, &in)
	known, _ := gid.Decode(in.IngestLeads.Results[0].Lead.ID)
	wangwu, _ := gid.Decode(users["wangwu"])
	if _, err := api.DB.DB.Exec(`UPDATE leads SET owner_id = $2 WHERE id = $1`, known, wangwu); err != nil {
		t.Fatal(err)
	}
	addOld := fake.AddThrough(code, customer{ExternalUserID: "wmCW000000000000003", Name: "老客户", UnionID: "union-old"}, "lisi", nil, now())
	if resp, body := post(t, cbURL, addOld); resp.StatusCode != 200 {
		t.Fatalf("add known = %d %s", resp.StatusCode, body)
	}
	var owner uuid.UUID
	if err := api.DB.DB.QueryRow(`SELECT owner_id FROM leads WHERE id = $1`, known).Scan(&owner); err != nil || owner != wangwu {
		t.Errorf("the known lead's owner = %v (%v), want wangwu", owner, err)
	}
	// A replay of an add is not a second add.
	if resp, _ := post(t, cbURL, addOld); resp.Header.Get("X-Scrm-Outcome") != "REPLAYED" {
		t.Errorf("replayed add = %s", resp.Header.Get("X-Scrm-Outcome"))
	}

	// Customer one deletes zhangsan (流失); customer two buys.
	if resp, _ := post(t, cbURL, fake.Event(now(), "zhangsan", "wmCW000000000000001", "del_follow_user", "")); resp.StatusCode != 200 {
		t.Fatalf("del_follow_user = %d", resp.StatusCode)
	}
	api.MustDo(admin, `mutation($l: ID!){ createDeal(input: {leadID: $l, amount: 999}) { id } }`, map[string]any{"l": gid.Encode(leads[1])}, nil)
	api.WaitIdle()

	var list struct {
		ContactWays []struct {
			ID, Name, State, QrCodeURL, Source string
			Users                              []struct{ ID, Name string }
			Stats                              struct{ Added, Lost, LeadsCreated, LeadsMerged, Deals int }
		}
	}
	api.MustDo(admin, `query ContactWays { contactWays { id name state qrCodeURL source users { id name }
		stats { added lost leadsCreated leadsMerged deals } } }`, nil, &list)
	if len(list.ContactWays) != 1 {
		t.Fatalf("contactWays = %+v", list)
	}
	got := list.ContactWays[0]
	if got.ID != cw.CreateContactWay.ID || got.Source != "expo-2026" || len(got.Users) != 2 || got.Users[0].Name != "zhangsan" ||
		got.Users[1].Name != "lisi" || got.QrCodeURL != code.QRCode {
		t.Errorf("contactWays[0] = %+v", got)
	}
	if want := (struct{ Added, Lost, LeadsCreated, LeadsMerged, Deals int }{3, 1, 2, 1, 1}); got.Stats != want {
		t.Errorf("stats = %+v, want %+v", got.Stats, want)
	}
	// The welcome task, run again or late: a sent message is not sent twice,
	// a code past its 20 seconds is EXPIRED without a call, and WeCom's
	// refusal of a used code is FAILED with its errcode.
	ctx := tenant.NewContext(context.Background(), created.Workspace.ID)
	var addID uuid.UUID
	if err := api.DB.DB.QueryRow(`SELECT id FROM contact_way_adds WHERE external_user_id = 'wmCW000000000000001'`).Scan(&addID); err != nil {
		t.Fatal(err)
	}
	sends := fake.Count("/cgi-bin/externalcontact/send_welcome_msg")
	welcome := func(set string) (status, why string) {
		t.Helper()
		if set != "" {
			if _, err := api.DB.DB.Exec(`UPDATE contact_way_adds SET `+set+` WHERE id = $1`, addID); err != nil {
				t.Fatal(err)
			}
		}
		if err := api.Services.WeCom.SendWelcome(ctx, addID); err != nil {
			t.Fatal(err)
		}
		_ = api.DB.DB.QueryRow(`SELECT welcome_status, coalesce(welcome_error, '') FROM contact_way_adds WHERE id = $1`, addID).Scan(&status, &why)
		return status, why
	}
	if st, _ := welcome(""); st != "SENT" || fake.Count("/cgi-bin/externalcontact/send_welcome_msg") != sends {
		t.Errorf("a sent welcome run again: %s, %d calls (was %d)", st, fake.Count("/cgi-bin/externalcontact/send_welcome_msg"), sends)
	}
	if st, _ := welcome(`welcome_status = 'PENDING', added_at = added_at - interval '21 seconds'`); st != "EXPIRED" ||
		fake.Count("/cgi-bin/externalcontact/send_welcome_msg") != sends {
		t.Errorf("a late welcome: %s, %d calls (was %d)", st, fake.Count("/cgi-bin/externalcontact/send_welcome_msg"), sends)
	}
	if st, why := welcome(`welcome_status = 'PENDING', added_at = added_at + interval '21 seconds'`); st != "FAILED" || why != "errcode 41096 invalid welcome_code" {
		t.Errorf("a used welcome code: %s %q", st, why)
	}

	// A rep may not make codes.
	rep := api.Login("acme", "lisi@acme.test", "rep-password")
	if r := api.Do(rep, create, map[string]any{"input": map[string]any{"name": "mine", "userIDs": []string{users["lisi"]}}}); len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("a rep's createContactWay: %+v", r.Errors)
	}
}

func hasTag(t *testing.T, api *apitest.API, lead uuid.UUID, tag string) bool {
	t.Helper()
	id, _ := gid.Decode(tag)
	var ok bool
	if err := api.DB.DB.QueryRow(`SELECT EXISTS (SELECT 1 FROM lead_tags WHERE lead_id = $1 AND tag_id = $2)`, lead, id).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestContactWayEditAndDelete: a code's members, name and skip verify
// change in WeCom (update_contact_way, same config and state) and here; a
// change WeCom would refuse by its rules (one member to several), an
// unlinked member and WeCom's own refusal change nothing anywhere; a
// change of what only scrm keeps (the welcome) calls nothing; a deleted
// code is gone in WeCom and from the list, and a second delete is NOT_FOUND.
func TestContactWayEditAndDelete(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Members = []string{"zhangsan", "lisi"}
	users := map[string]string{}
	var u struct{ CreateUser struct{ ID string } }
	for _, name := range []string{"zhangsan", "lisi", "wangwu", "zhaoliu"} {
		api.MustDo(admin, `mutation($e: String!, $n: String!){ createUser(input:{name: $n, email: $e, password: "rep-password", roles: ["rep"]}){ id } }`,
			map[string]any{"e": name + "@acme.test", "n": name}, &u)
		users[name] = u.CreateUser.ID
	}
	for _, name := range []string{"zhangsan", "lisi", "zhaoliu"} { // zhaoliu is not one of the corp's members
		api.MustDo(admin, `mutation($id: ID!, $w: String){ updateUser(id: $id, input: {wecomUserID: $w}) { id } }`,
			map[string]any{"id": users[name], "w": name}, nil)
	}
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "baseUrl": fake.Srv.URL}}, nil)
	var tg struct{ CreateTag struct{ ID string } }
	api.MustDo(admin, `mutation { createTag(input: {name: "展会"}) { id } }`, nil, &tg)

	type code struct{ ID, Name, State, WelcomeMessage string }
	mk := func(name string, members ...string) code {
		t.Helper()
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = users[m]
		}
		var out struct{ CreateContactWay code }
		api.MustDo(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id name state welcomeMessage } }`,
			map[string]any{"i": map[string]any{"name": name, "userIDs": ids}}, &out)
		return out.CreateContactWay
	}
	single, multi := mk("单人码", "zhangsan"), mk("多人码", "zhangsan", "lisi")
	update := `mutation($id: ID!, $i: UpdateContactWayInput!){ updateContactWay(id: $id, input: $i) { id name state welcomeMessage skipVerify users { id } tags { name } } }`
	calls := func() int { return fake.Count("/cgi-bin/externalcontact/update_contact_way") }

	var got struct {
		UpdateContactWay struct {
			Name, State, WelcomeMessage string
			SkipVerify                  bool
			Users                       []struct{ ID string }
			Tags                        []struct{ Name string }
		}
	}
	api.MustDo(admin, update, map[string]any{"id": single.ID, "i": map[string]any{"name": "春季展会 A 区", "skipVerify": false,
		"tagIDs": []string{tg.CreateTag.ID}, "welcomeMessage": "您好{{.name}}"}}, &got)
	w := fake.ByState(single.State)
	if r := got.UpdateContactWay; r.Name != "春季展会 A 区" || r.SkipVerify || r.State != single.State || len(r.Tags) != 1 ||
		r.WelcomeMessage != "您好{{.name}}" || w.Remark != "春季展会 A 区" || w.SkipVerify || !slices.Equal(w.Users, []string{"zhangsan"}) {
		t.Errorf("after the update: %+v; WeCom's code %+v", r, w)
	}
	api.MustDo(admin, update, map[string]any{"id": single.ID, "i": map[string]any{"userIDs": []string{users["lisi"]}}}, &got)
	if w := fake.ByState(single.State); !slices.Equal(w.Users, []string{"lisi"}) || got.UpdateContactWay.Users[0].ID != users["lisi"] {
		t.Errorf("members after the update: WeCom %v, here %v", w.Users, got.UpdateContactWay.Users)
	}

	// Only scrm's side: no call.
	before := calls()
	api.MustDo(admin, update, map[string]any{"id": single.ID, "i": map[string]any{"welcomeMessage": "欢迎"}}, &got)
	if calls() != before || got.UpdateContactWay.WelcomeMessage != "欢迎" {
		t.Errorf("a welcome change called update_contact_way %d times (welcome %q)", calls()-before, got.UpdateContactWay.WelcomeMessage)
	}

	// Refused: nothing changes, here or in WeCom.
	for _, c := range []struct {
		id    string
		input map[string]any
		code  string
		field string
	}{
		{single.ID, map[string]any{"userIDs": []string{users["zhangsan"], users["lisi"]}}, "BAD_USER_INPUT", "input.userIDs"},
		{multi.ID, map[string]any{"userIDs": []string{users["zhangsan"]}}, "BAD_USER_INPUT", "input.userIDs"},
		{multi.ID, map[string]any{"userIDs": []string{users["zhangsan"], users["wangwu"]}}, "BAD_USER_INPUT", "input.userIDs[1]"},
		{multi.ID, map[string]any{"name": "改名", "userIDs": []string{users["zhangsan"], users["zhaoliu"]}}, "CONFLICT", ""},
		{multi.ID, map[string]any{"welcomeMessage": "{{.nope}}"}, "BAD_USER_INPUT", "input.welcomeMessage"},
		{gid.Encode(gid.New(gid.ContactWay)), map[string]any{"name": "x"}, "NOT_FOUND", "id"},
	} {
		r := api.Do(admin, update, map[string]any{"id": c.id, "i": c.input})
		if len(r.Errors) != 1 || r.Errors[0].Code() != c.code || r.Errors[0].Field() != c.field {
			t.Errorf("updateContactWay(%v) = %+v, want %s at %q", c.input, r.Errors, c.code, c.field)
		}
	}
	if w := fake.ByState(multi.State); w.Remark != "多人码" || !slices.Equal(w.Users, []string{"zhangsan", "lisi"}) {
		t.Errorf("WeCom's code after refused updates: %+v", w)
	}
	var list struct {
		ContactWays []struct {
			ID, Name string
			Users    []struct{ ID string }
		}
	}
	api.MustDo(admin, `{ contactWays { id name users { id } } }`, nil, &list)
	for _, c := range list.ContactWays {
		if c.ID == multi.ID && (c.Name != "多人码" || len(c.Users) != 2) {
			t.Errorf("the code after refused updates: %+v", c)
		}
	}

	// Deleted: gone in WeCom and from the list; once.
	var del struct{ DeleteContactWay bool }
	api.MustDo(admin, `mutation($id: ID!){ deleteContactWay(id: $id) }`, map[string]any{"id": single.ID}, &del)
	if !del.DeleteContactWay || !fake.ByState(single.State).Deleted {
		t.Errorf("deleteContactWay = %v; WeCom's code %+v", del.DeleteContactWay, fake.ByState(single.State))
	}
	api.MustDo(admin, `{ contactWays { id name users { id } } }`, nil, &list)
	if len(list.ContactWays) != 1 || list.ContactWays[0].ID != multi.ID {
		t.Errorf("contactWays after the delete: %+v", list.ContactWays)
	}
	for _, q := range []string{`mutation($id: ID!){ deleteContactWay(id: $id) }`, `mutation($id: ID!){ updateContactWay(id: $id, input: {name: "y"}) { id } }`} {
		if r := api.Do(admin, q, map[string]any{"id": single.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Errorf("%s on a deleted code: %+v", q, r.Errors)
		}
	}
	if n := fake.Count("/cgi-bin/externalcontact/del_contact_way"); n != 1 {
		t.Errorf("del_contact_way called %d times, want 1", n)
	}
}
