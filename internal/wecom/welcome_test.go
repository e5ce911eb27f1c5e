package wecom_test

import (
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

// TestWelcomeAttachments: a code's welcome message carries image, link and
// mini-program attachments; bad ones are refused at their path at create and
// update with nothing made or changed, here or in WeCom; a customer added
// through the code gets the text and the attachments in send_welcome_msg's
// shape (the fake checks it); a code with attachments and no text still
// sends them.
func TestWelcomeAttachments(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	fake.IssueMedia("MEDIA_ID_1", "image") // a raw cover media id, as before stored media
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation { createUser(input:{name: "张三", email: "zhangsan@acme.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {wecomUserID: "zhangsan"}) { id } }`, map[string]any{"id": u.CreateUser.ID}, nil)
	rep := u.CreateUser.ID

	image := map[string]any{"type": "IMAGE", "picURL": "https://p.qpic.cn/pic_wework/3474110808/7a6344sdadfwehe42060/0"}
	link := map[string]any{"type": "LINK", "title": "春季新品", "url": "https://shop.example.com/spring", "desc": "点击查看"}
	mini := map[string]any{"type": "MINIPROGRAM", "title": "预约到店", "appID": "wx8bd80126147dfa12", "page": "/pages/book/index", "picMediaID": "MEDIA_ID_1"}
	with := func(base map[string]any, k string, v any) map[string]any {
		out := map[string]any{}
		for key, val := range base {
			out[key] = val
		}
		out[k] = v
		return out
	}
	create := `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id state welcomeAttachments { type title url picURL desc appID page picMediaID } } }`
	bad := []struct {
		attachments []any
		field, says string
	}{
		{[]any{with(link, "title", "")}, "input.welcomeAttachments[0].title", "required"},
		{[]any{image, with(link, "url", "ftp://x.example.com/a")}, "input.welcomeAttachments[1].url", "http(s) URL"},
		{[]any{with(link, "title", strings.Repeat("标", 43))}, "input.welcomeAttachments[0].title", "128 bytes"},
		{[]any{with(mini, "appID", "not-an-appid")}, "input.welcomeAttachments[0].appID", "appid"},
		{[]any{with(mini, "picMediaID", "")}, "input.welcomeAttachments[0].picMediaID", "required"},
		{[]any{with(image, "picURL", "https://img.example.com/a.png")}, "input.welcomeAttachments[0].picURL", "qpic.cn"},
		{[]any{link, link, link, link, link, link, link, link, link, link}, "input.welcomeAttachments", "at most 9"},
	}
	for _, c := range bad {
		r := api.Do(admin, create, map[string]any{"i": map[string]any{"name": "x", "userIDs": []string{rep}, "welcomeMessage": "您好", "welcomeAttachments": c.attachments}})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != c.field || !strings.Contains(r.Errors[0].Message, c.says) {
			t.Errorf("attachments %v: %+v, want BAD_USER_INPUT at %s saying %q", c.attachments, r.Errors, c.field, c.says)
		}
	}
	if n := fake.Count("/cgi-bin/externalcontact/add_contact_way"); n != 0 {
		t.Fatalf("refused attachments made %d codes in WeCom", n)
	}
	var codes int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM contact_ways`).Scan(&codes)
	if codes != 0 {
		t.Fatalf("refused attachments stored %d codes", codes)
	}

	var cw struct {
		CreateContactWay struct {
			ID, State          string
			WelcomeAttachments []map[string]any
		}
	}
	api.MustDo(admin, create, map[string]any{"i": map[string]any{"name": "带附件", "userIDs": []string{rep}, "welcomeMessage": "您好{{.name}}",
		"welcomeAttachments": []any{image, link, mini}}}, &cw)
	if got := cw.CreateContactWay.WelcomeAttachments; len(got) != 3 || got[0]["type"] != "IMAGE" || got[1]["title"] != "春季新品" ||
		got[2]["appID"] != "wx8bd80126147dfa12" || got[1]["appID"] != nil {
		t.Errorf("the code's attachments: %v", got)
	}
	code := fake.ByState(cw.CreateContactWay.State)
	if resp, body := post(t, cbURL, fake.AddThrough(code, customer{ExternalUserID: "wmATT00000000000001", Name: "附件客户"}, "zhangsan", nil, api.Clock.Now())); resp.StatusCode != 200 {
		t.Fatalf("add = %d %s", resp.StatusCode, body)
	}
	api.WaitIdle()
	wc := fake.WelcomeTo("wmATT00000000000001")
	if wc == nil || wc.Text != "您好附件客户" || len(wc.Attachments) != 3 {
		t.Fatalf("welcome = %+v", wc)
	}
	want := []map[string]any{
		{"msgtype": "image", "image": map[string]any{"pic_url": image["picURL"]}},
		{"msgtype": "link", "link": map[string]any{"title": "春季新品", "url": "https://shop.example.com/spring", "desc": "点击查看"}},
		{"msgtype": "miniprogram", "miniprogram": map[string]any{"title": "预约到店", "appid": "wx8bd80126147dfa12", "page": "/pages/book/index", "pic_media_id": "MEDIA_ID_1"}},
	}
	for i, w := range want {
		if got := wc.Attachments[i]; !sameJSON(got, w) {
			t.Errorf("attachment %d sent as %v, want %v", i, got, w)
		}
	}

	// Update: a bad attachment changes nothing; [] without text leaves no welcome;
	// attachments alone are sent without text.
	update := `mutation($id: ID!, $i: UpdateContactWayInput!){ updateContactWay(id: $id, input: $i) { id welcomeAttachments { type } } }`
	r := api.Do(admin, update, map[string]any{"id": cw.CreateContactWay.ID, "i": map[string]any{"welcomeMessage": "", "welcomeAttachments": []any{link, with(mini, "page", "")}}})
	if len(r.Errors) != 1 || r.Errors[0].Field() != "input.welcomeAttachments[1].page" {
		t.Errorf("a bad attachment on update: %+v", r.Errors)
	}
	var kept int
	_ = api.DB.DB.QueryRow(`SELECT jsonb_array_length(welcome_attachments) FROM contact_ways WHERE welcome_message = '您好{{.name}}'`).Scan(&kept)
	if kept != 3 {
		t.Errorf("after a refused update the code has %d attachments and its text changed", kept)
	}
	api.MustDo(admin, update, map[string]any{"id": cw.CreateContactWay.ID, "i": map[string]any{"welcomeMessage": "", "welcomeAttachments": []any{link}}}, nil)
	if resp, body := post(t, cbURL, fake.AddThrough(code, customer{ExternalUserID: "wmATT00000000000002", Name: "只有附件"}, "zhangsan", nil, api.Clock.Now())); resp.StatusCode != 200 {
		t.Fatalf("add = %d %s", resp.StatusCode, body)
	}
	api.WaitIdle()
	if wc := fake.WelcomeTo("wmATT00000000000002"); wc == nil || wc.Text != "" || len(wc.Attachments) != 1 || wc.Attachments[0]["msgtype"] != "link" {
		t.Errorf("welcome with attachments only = %+v", wc)
	}
}

// sameJSON compares decoded JSON objects.
func sameJSON(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		switch x := v.(type) {
		case map[string]any:
			y, ok := b[k].(map[string]any)
			if !ok || !sameJSON(x, y) {
				return false
			}
		default:
			if b[k] != v {
				return false
			}
		}
	}
	return true
}
