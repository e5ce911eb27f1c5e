package wecom_test

import (
	"context"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/tenant"
)

// TestMassSendAttachments: a staff mass send carries image, link and
// mini-program attachments in every add_msg_template (the fake checks
// WeCom's shapes and limits and keeps what each template carried), the
// lost answer of a template still makes no second one, the next run of the
// recurring broadcast has them too, and bad attachments or attachments on a
// broadcast that is not a staff mass send are refused at their path with no
// broadcast stored and nothing sent to WeCom.
func TestMassSendAttachments(t *testing.T) {
	api, admin, fake, created, _, seg := massSendFixture(t)
	fake.IssueMedia("MEDIA_COVER_1", "image") // a raw cover media id, as before stored media
	image := map[string]any{"type": "IMAGE", "picURL": "https://wework.qpic.cn/wwpic/4c2f1e/0"}
	link := map[string]any{"type": "LINK", "title": "双十二活动", "url": "https://shop.example.com/1212", "picURL": "https://shop.example.com/1212.png", "desc": "全场八折"}
	mini := map[string]any{"type": "MINIPROGRAM", "title": "在线预约", "appID": "wx8bd80126147dfa12", "page": "/pages/book/index", "picMediaID": "MEDIA_COVER_1"}
	with := func(base map[string]any, k string, v any) map[string]any {
		out := map[string]any{k: v}
		for key, val := range base {
			if key != k {
				out[key] = val
			}
		}
		return out
	}
	create := `mutation($i: CreateBroadcastInput!){ createBroadcast(input: $i) { id attachments { type title url picURL desc appID page picMediaID } } }`
	input := func(channel string, attachments ...any) map[string]any {
		return map[string]any{"i": map[string]any{"name": "带附件", "segmentID": seg.CreateSegment.ID, "channel": channel,
			"template": "{{.name}}，双十二活动开始了", "attachments": attachments}}
	}

	api.MustDo(admin, `mutation { configureChannel(key:"webhook", config:{url:"https://hooks.example.com/a", secret:"a-webhook-secret-0123"}) { id } }`, nil, nil)
	bad := []struct {
		channel     string
		attachments []any
		field, says string
	}{
		{"wecom", []any{image, with(link, "url", "")}, "input.attachments[1].url", "required"},
		{"wecom", []any{with(image, "picURL", "https://img.example.com/a.png")}, "input.attachments[0].picURL", "qpic.cn"},
		{"wecom", []any{with(mini, "title", strings.Repeat("约", 22))}, "input.attachments[0].title", "64 bytes"},
		{"wecom", []any{with(mini, "appID", "wx123")}, "input.attachments[0].appID", "appid"},
		{"wecom", []any{map[string]any{"type": "LINK"}}, "input.attachments[0].title", "required"},
		{"wecom", []any{link, link, link, link, link, link, link, link, link, link}, "input.attachments", "at most 9"},
		{"webhook", []any{link}, "input.attachments", "wecom channel"},
	}
	for _, c := range bad {
		r := api.Do(admin, create, input(c.channel, c.attachments...))
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != c.field || !strings.Contains(r.Errors[0].Message, c.says) {
			t.Errorf("%s attachments %v: %+v, want BAD_USER_INPUT at %s saying %q", c.channel, c.attachments, r.Errors, c.field, c.says)
		}
	}
	// A wecom channel of application messages (no customer-contact secret)
	// sends text to members: no attachments.
	_, other := api.Workspace("beta")
	api.MustDo(other, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "corpSecret": "an-application-secret", "agentId": 1000002, "baseUrl": fake.Srv.URL}}, nil)
	var otherSeg struct{ CreateSegment struct{ ID string } }
	api.MustDo(other, `mutation { createSegment(input: {name: "网站", rule: {attribute: {key: "source", op: EQ, value: "web"}}}) { id } }`, nil, &otherSeg)
	r := api.Do(other, create, map[string]any{"i": map[string]any{"name": "应用消息", "segmentID": otherSeg.CreateSegment.ID,
		"channel": "wecom", "template": "hi", "attachments": []any{link}}})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "input.attachments" ||
		!strings.Contains(r.Errors[0].Message, "contactSecret") {
		t.Errorf("attachments on application messages: %+v, want BAD_USER_INPUT at input.attachments naming contactSecret", r.Errors)
	}
	var stored int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM broadcasts`).Scan(&stored)
	if stored != 0 || fake.Count("/cgi-bin/externalcontact/add_msg_template") != 0 {
		t.Fatalf("refused attachments stored %d broadcasts and made %d templates", stored, fake.Count("/cgi-bin/externalcontact/add_msg_template"))
	}

	// A weekly mass send with the three kinds; the first template's answer is lost.
	fake.LoseNextTemplateAnswer = true
	in := input("wecom", image, link, mini)
	in["i"].(map[string]any)["cron"] = "0 10 * * 1"
	in["i"].(map[string]any)["scheduledAt"] = api.Clock.Now()
	var bc struct {
		CreateBroadcast struct {
			ID          string
			Attachments []map[string]any
		}
	}
	api.MustDo(admin, create, in, &bc)
	if got := bc.CreateBroadcast.Attachments; len(got) != 3 || got[0]["picURL"] != image["picURL"] || got[1]["desc"] != "全场八折" ||
		got[2]["picMediaID"] != "MEDIA_COVER_1" || got[0]["title"] != nil {
		t.Errorf("Broadcast.attachments = %v", got)
	}
	api.WaitIdle()
	id := mustDecode(t, bc.CreateBroadcast.ID)
	ctx := tenant.NewContext(context.Background(), created.Workspace.ID)
	api.Clock.Advance(2 * 60e9)
	if err := api.Services.Broadcasts.Send(ctx, id); err != nil {
		t.Fatalf("send pass: %v", err)
	}
	want := []map[string]any{
		{"msgtype": "image", "image": map[string]any{"pic_url": image["picURL"]}},
		{"msgtype": "link", "link": map[string]any{"title": "双十二活动", "url": "https://shop.example.com/1212", "picurl": "https://shop.example.com/1212.png", "desc": "全场八折"}},
		{"msgtype": "miniprogram", "miniprogram": map[string]any{"title": "在线预约", "appid": "wx8bd80126147dfa12", "page": "/pages/book/index", "pic_media_id": "MEDIA_COVER_1"}},
	}
	msgs := fake.GroupMsgs()
	// The text names the lead: one template per customer (five), none twice.
	if len(msgs) != 5 || fake.Count("/cgi-bin/externalcontact/add_msg_template") != 5 {
		t.Fatalf("%d templates after %d add_msg_template calls, want 5 (one per customer, none for the lost answer)",
			len(msgs), fake.Count("/cgi-bin/externalcontact/add_msg_template"))
	}
	for _, m := range msgs {
		if !strings.HasSuffix(m.Content, "，双十二活动开始了") || len(m.Attachments) != len(want) {
			t.Errorf("template of %s: %q with %d attachments", m.Sender, m.Content, len(m.Attachments))
			continue
		}
		for i, w := range want {
			if !sameJSON(m.Attachments[i], w) {
				t.Errorf("template of %s, attachment %d = %v, want %v", m.Sender, i, m.Attachments[i], w)
			}
		}
	}
	// The series' next run (scheduled when this one started) sends the same.
	var next int
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM broadcasts WHERE series_id = $1 AND id <> $1 AND status = 'SCHEDULED'
		AND attachments = (SELECT attachments FROM broadcasts WHERE id = $1)`, id).Scan(&next); err != nil || next != 1 {
		t.Errorf("next runs with the attachments: %d (%v), want 1", next, err)
	}
}
