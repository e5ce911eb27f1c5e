package wecom_test

import (
	"bytes"
	"context"
	"image"
	"image/gif"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// mp4 is a tiny file that sniffs as an MP4 (an ftyp box of brand mp42).
func mp4(extra int) []byte {
	return append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{7}, extra)...)
}

const uploadMedia = `mutation($type: WeComMediaType!, $file: Upload!) { uploadWeComMedia(type: $type, file: $file) { id type filename size createdAt } }`

type storedMedium struct {
	ID, Type, Filename string
	Size               int
}

func storeMedium(t *testing.T, api *apitest.API, token, kind, name string, data []byte) storedMedium {
	t.Helper()
	r := api.Upload(token, uploadMedia, map[string]any{"type": kind, "file": nil}, map[string]apitest.File{"file": {Name: name, Data: data}})
	if len(r.Errors) != 0 {
		t.Fatalf("upload %s %s: %+v", kind, name, r.Errors)
	}
	var out struct{ UploadWeComMedia storedMedium }
	decode(t, r, &out)
	return out.UploadWeComMedia
}

// TestUploadWeComMedia: uploadWeComMedia keeps an image, a video and a
// file in the workspace (nothing goes to WeCom yet); a file of the wrong
// format, empty, or over WeCom's limit for its type is refused at file and
// stores nothing; a rep may not upload; attachments must name stored media
// of their kind, of the workspace.
func TestUploadWeComMedia(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	pngData := picture(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	gifData := picture(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) })

	for _, c := range []struct {
		kind, name string
		data       []byte
		field      string
		says       string
	}{
		{"IMAGE", "a.gif", gifData, "file", "JPG or PNG"},
		{"IMAGE", "big.png", append(append([]byte{}, pngData...), make([]byte, 10<<20)...), "file", "at most 10 MB"},
		{"VIDEO", "clip.mp4", []byte("not a video, only text"), "file", "MP4"},
		{"VIDEO", "big.mp4", mp4(10 << 20), "file", "at most 10 MB"},
		{"FILE", "huge.pdf", make([]byte, 20<<20+1), "file", "at most 20 MB"},
		{"FILE", "empty.pdf", nil, "file", "is empty"},
		{"FILE", "five.txt", []byte("12345"), "file", "is empty"},
	} {
		r := api.Upload(admin, uploadMedia, map[string]any{"type": c.kind, "file": nil}, map[string]apitest.File{"file": {Name: c.name, Data: c.data}})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != c.field || !strings.Contains(r.Errors[0].Message, c.says) {
			t.Errorf("%s %s: %+v, want BAD_USER_INPUT at %s saying %q", c.kind, c.name, r.Errors, c.field, c.says)
		}
	}
	var n int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM wecom_media`).Scan(&n)
	if n != 0 || fake.Count("/cgi-bin/media/upload") != 0 {
		t.Fatalf("refused uploads stored %d media and called media/upload %d times", n, fake.Count("/cgi-bin/media/upload"))
	}

	img := storeMedium(t, api, admin, "IMAGE", "封面.png", pngData)
	video := storeMedium(t, api, admin, "VIDEO", "../产品介绍", mp4(100))
	file := storeMedium(t, api, admin, "FILE", "价目表.pdf", []byte("%PDF-1.4 a price list"))
	if img.Type != "IMAGE" || img.Filename != "封面.png" || img.Size != len(pngData) || video.Filename != "产品介绍.mp4" ||
		video.Size != len(mp4(100)) || file.Type != "FILE" || file.Filename != "价目表.pdf" {
		t.Errorf("stored: %+v %+v %+v", img, video, file)
	}
	if fake.Count("/cgi-bin/media/upload") != 0 {
		t.Errorf("an upload called WeCom before any send")
	}

	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation { createUser(input:{name: "张三", email: "zhangsan@acme.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
	rep := api.Login("acme", "zhangsan@acme.test", "rep-password")
	if r := api.Upload(rep, uploadMedia, map[string]any{"type": "FILE", "file": nil}, map[string]apitest.File{"file": {Name: "x.txt", Data: []byte("a rep's file")}}); len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("a rep's upload: %+v", r.Errors)
	}

	// Attachments name stored media of their kind, of the workspace.
	_, other := api.Workspace("beta")
	theirs := storeMedium(t, api, other, "VIDEO", "theirs.mp4", mp4(10))
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "baseUrl": fake.Srv.URL}}, nil)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {wecomUserID: "zhangsan"}) { id } }`, map[string]any{"id": u.CreateUser.ID}, nil)
	create := `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id } }`
	mini := map[string]any{"type": "MINIPROGRAM", "title": "预约", "appID": "wx8bd80126147dfa12", "page": "/pages/a"}
	for _, c := range []struct {
		att   map[string]any
		field string
		says  string
	}{
		{map[string]any{"type": "VIDEO"}, "input.welcomeAttachments[0].mediaID", "required"},
		{map[string]any{"type": "VIDEO", "mediaID": file.ID}, "input.welcomeAttachments[0].mediaID", "must be a VIDEO"},
		{map[string]any{"type": "FILE", "mediaID": "3a8asd892asd8asd"}, "input.welcomeAttachments[0].mediaID", "uploadWeComMedia"},
		{map[string]any{"type": "VIDEO", "mediaID": theirs.ID}, "input.welcomeAttachments[0].mediaID", "no such media"},
		{map[string]any{"type": "IMAGE", "mediaID": video.ID}, "input.welcomeAttachments[0].mediaID", "must be a IMAGE"},
		{map[string]any{"type": "IMAGE", "mediaID": img.ID, "picURL": "https://p.qpic.cn/x/0"}, "input.welcomeAttachments[0].picURL", "not both"},
		{with(mini, "picMediaID", file.ID), "input.welcomeAttachments[0].picMediaID", "must be a IMAGE"},
	} {
		r := api.Do(admin, create, map[string]any{"i": map[string]any{"name": "码", "userIDs": []string{u.CreateUser.ID},
			"welcomeAttachments": []any{c.att}}})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != c.field || !strings.Contains(r.Errors[0].Message, c.says) {
			t.Errorf("attachment %v: %+v, want BAD_USER_INPUT at %s saying %q", c.att, r.Errors, c.field, c.says)
		}
	}
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM contact_ways`).Scan(&n)
	if n != 0 || fake.Count("/cgi-bin/externalcontact/add_contact_way") != 0 {
		t.Errorf("refused attachments stored %d codes", n)
	}
}

func with(base map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range base {
		if key != k {
			out[key] = val
		}
	}
	return out
}

// TestWelcomeWithStoredMedia: a code's welcome sends a video, a file and a
// mini-program whose cover is a stored image: each is uploaded through
// media/upload when the code is saved (a busy answer retried), so the
// first welcome uploads nothing; the media ids are used again a day later,
// and after 2.5 days with no renewal pass (TestStoredMediaReadyAhead runs
// them) the welcome itself uploads the files again, the fallback: no
// expired id is ever sent (the fake fails the test on one). WeCom's refusal
// of an upload leaves that attachment out of the welcome (the others and
// the text go), said on the add with its errcode.
func TestWelcomeWithStoredMedia(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation { createUser(input:{name: "张三", email: "zhangsan@acme.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {wecomUserID: "zhangsan"}) { id } }`, map[string]any{"id": u.CreateUser.ID}, nil)
	pngData := picture(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	cover := storeMedium(t, api, admin, "IMAGE", "cover.png", pngData)
	video := storeMedium(t, api, admin, "VIDEO", "intro.mp4", mp4(64))
	file := storeMedium(t, api, admin, "FILE", "prices.pdf", []byte("%PDF-1.4 prices"))
	const upload = "/cgi-bin/media/upload"
	fake.MediaErrcodes = []int{-1} // busy once: retried

	var cw struct {
		CreateContactWay struct {
			ID, State          string
			WelcomeAttachments []struct {
				Type, MediaID, PicMediaID string
				Media                     *struct{ Filename string }
			}
		}
	}
	api.MustDo(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id state
		welcomeAttachments { type mediaID picMediaID media { filename } } } }`, map[string]any{"i": map[string]any{
		"name": "视频码", "userIDs": []string{u.CreateUser.ID}, "welcomeMessage": "您好",
		"welcomeAttachments": []any{
			map[string]any{"type": "VIDEO", "mediaID": video.ID},
			map[string]any{"type": "FILE", "mediaID": file.ID},
			map[string]any{"type": "MINIPROGRAM", "title": "预约", "appID": "wx8bd80126147dfa12", "page": "/pages/a", "picMediaID": cover.ID},
		}}}, &cw)
	got := cw.CreateContactWay.WelcomeAttachments
	if len(got) != 3 || got[0].Type != "VIDEO" || got[0].MediaID != video.ID || got[0].Media == nil || got[0].Media.Filename != "intro.mp4" ||
		got[2].PicMediaID != cover.ID || got[2].Media == nil || got[2].Media.Filename != "cover.png" {
		t.Fatalf("the code's attachments: %+v", got)
	}
	api.WaitIdle()
	if fake.Count(upload) != 4 || len(fake.UploadedMedia()) != 3 {
		t.Fatalf("the code's save: %d media/upload calls, %d media; want 4 (one busy) and 3", fake.Count(upload), len(fake.UploadedMedia()))
	}
	code := fake.ByState(cw.CreateContactWay.State)
	n := 0
	add := func() map[string]any {
		t.Helper()
		n++
		ext := "wmVID0000000000000" + string(rune('0'+n))
		if resp, body := post(t, cbURL, fake.AddThrough(code, customer{ExternalUserID: ext, Name: "客户"}, "zhangsan", nil, api.Clock.Now())); resp.StatusCode != 200 {
			t.Fatalf("add = %d %s", resp.StatusCode, body)
		}
		api.WaitIdle()
		wc := fake.WelcomeTo(ext)
		if wc == nil || wc.SentAt.IsZero() {
			var st, why string
			_ = api.DB.DB.QueryRow(`SELECT welcome_status, coalesce(welcome_error, '') FROM contact_way_adds WHERE external_user_id = $1`, ext).Scan(&st, &why)
			return map[string]any{"status": st, "error": why}
		}
		ids := map[string]any{}
		for _, a := range wc.Attachments {
			kind := a["msgtype"].(string)
			obj := a[kind].(map[string]any)
			if kind == "miniprogram" {
				ids[kind] = obj["pic_media_id"]
			} else {
				ids[kind] = obj["media_id"]
			}
		}
		return ids
	}
	first := add()
	if fake.Count(upload) != 4 || len(fake.UploadedMedia()) != 3 || first["video"] == nil || first["video"] == video.ID ||
		first["file"] == nil || first["miniprogram"] == nil {
		t.Fatalf("first welcome: %v after %d media/upload calls", first, fake.Count(upload))
	}
	for _, m := range fake.UploadedMedia() {
		if m.MediaID == first["video"] && (m.Type != "video" || m.Name != "intro.mp4" || !bytes.Equal(m.Data, mp4(64))) {
			t.Errorf("the video WeCom got: %s %s %d bytes", m.Type, m.Name, len(m.Data))
		}
	}
	api.Clock.Advance(24 * time.Hour)
	if again := add(); again["video"] != first["video"] || again["file"] != first["file"] || fake.Count(upload) != 4 {
		t.Errorf("a day later: %v (first %v), %d uploads", again, first, fake.Count(upload))
	}
	api.Clock.Advance(37 * time.Hour) // 61 hours after the upload: within WeCom's 3 days, past 2.5
	later := add()
	if later["video"] == first["video"] || later["file"] == first["file"] || later["miniprogram"] == first["miniprogram"] ||
		later["video"] == nil || fake.Count(upload) != 7 {
		t.Errorf("61 hours later: %v (first %v), %d uploads", later, first, fake.Count(upload))
	}
	var kept string
	_ = api.DB.DB.QueryRow(`SELECT media_id FROM wecom_media WHERE filename = 'intro.mp4'`).Scan(&kept)
	if kept != later["video"] {
		t.Errorf("kept media id %q, sent %v", kept, later["video"])
	}

	// WeCom refuses the video: the welcome goes without it, with the text,
	// the file and the cover, and the add says what was left out.
	api.Clock.Advance(61 * time.Hour)
	fake.MediaErrcodes = []int{40006}
	if without := add(); without["video"] != nil || without["file"] == nil || without["miniprogram"] == nil {
		t.Errorf("a refused video: %v, want the file and the cover sent without it", without)
	}
	var st, why string
	_ = api.DB.DB.QueryRow(`SELECT welcome_status, coalesce(welcome_error, '') FROM contact_way_adds ORDER BY added_at DESC, id DESC LIMIT 1`).Scan(&st, &why)
	if st != "SENT" || !strings.Contains(why, "welcomeAttachments[0] (VIDEO MEDIA_REFUSED, media/upload errcode 40006)") {
		t.Errorf("the add: %s %q", st, why)
	}
}

// TestRecurringMassSendUploadsAgain: a weekly staff mass send with a stored
// video uploads it through media/upload when it is saved, and the first
// run uses that id; the next run, a week later with no renewal pass in
// between, uploads it again at send time (the first media id expired by
// the fake's clock, and is never sent); WeCom's refusal of an upload fails
// the run's deliveries with the errcode and makes no template.
func TestRecurringMassSendUploadsAgain(t *testing.T) {
	api, admin, fake, created, _, seg := massSendFixture(t)
	video := storeMedium(t, api, admin, "VIDEO", "weekly.mp4", mp4(32))
	var bc struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(admin, `mutation($i: CreateBroadcastInput!){ createBroadcast(input: $i) { id } }`, map[string]any{"i": map[string]any{
		"name": "每周视频", "segmentID": seg.CreateSegment.ID, "channel": "wecom", "template": "本周新品", "cron": "0 10 * * 1",
		"scheduledAt": api.Clock.Now(), "attachments": []any{map[string]any{"type": "VIDEO", "mediaID": video.ID}}}}, &bc)
	api.WaitIdle()
	if n := fake.Count("/cgi-bin/media/upload"); n != 1 {
		t.Fatalf("the broadcast's save made %d media/upload calls, want 1", n)
	}
	ctx := tenant.NewContext(context.Background(), created.Workspace.ID)
	id := mustDecode(t, bc.CreateBroadcast.ID)
	api.Clock.Advance(2 * time.Minute)
	if err := api.Services.Broadcasts.Send(ctx, id); err != nil {
		t.Fatalf("send pass: %v", err)
	}
	const upload = "/cgi-bin/media/upload"
	sent := func(from int) []string {
		var ids []string
		for _, m := range fake.GroupMsgs()[from:] {
			if len(m.Attachments) != 1 {
				t.Fatalf("template attachments %v", m.Attachments)
			}
			ids = append(ids, m.Attachments[0]["video"].(map[string]any)["media_id"].(string))
		}
		return ids
	}
	first := sent(0)
	if len(first) == 0 || fake.Count(upload) != 1 || first[0] != first[len(first)-1] {
		t.Fatalf("first run: media ids %v, %d uploads", first, fake.Count(upload))
	}
	before := len(fake.GroupMsgs())

	nextRun := func() string {
		t.Helper()
		var next string
		if err := api.DB.DB.QueryRow(`SELECT id FROM broadcasts WHERE series_id = $1 AND status = 'SCHEDULED'`, id).Scan(&next); err != nil {
			t.Fatalf("next run: %v", err)
		}
		return next
	}
	run := func(next string) error {
		t.Helper()
		api.Clock.Advance(7 * 24 * time.Hour)
		nid := uuid.MustParse(next)
		if err := api.Services.Broadcasts.Plan(ctx, nid); err != nil {
			t.Fatalf("plan: %v", err)
		}
		return api.Services.Broadcasts.Send(ctx, nid)
	}
	if err := run(nextRun()); err != nil {
		t.Fatalf("second run: %v", err)
	}
	second := sent(before)
	if len(second) == 0 || second[0] == first[0] || fake.Count(upload) != 2 {
		t.Fatalf("second run a week later: media ids %v (first %v), %d uploads", second, first, fake.Count(upload))
	}

	// The third run: WeCom refuses the upload.
	before = len(fake.GroupMsgs())
	fake.MediaErrcodes = []int{40011, 40011, 40011, 40011} // each member's template tries the upload
	next := nextRun()
	if err := run(next); err != nil {
		t.Fatalf("third run: %v", err)
	}
	var failed, other int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FILTER (WHERE status = 'FAILED' AND error LIKE '%errcode 40011%'), count(*) FILTER (WHERE status IN ('SENT', 'SENDING'))
		FROM deliveries WHERE broadcast_id = $1`, next).Scan(&failed, &other)
	if failed == 0 || other != 0 || len(fake.GroupMsgs()) != before {
		t.Errorf("a refused upload: %d deliveries failed with it, %d sent or sending, %d new templates", failed, other, len(fake.GroupMsgs())-before)
	}
}
