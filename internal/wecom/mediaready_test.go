package wecom_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/wecom"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
	"github.com/scrmhq/scrm/jobs"
)

const mediaUploadPath = "/cgi-bin/media/upload"

// mediaCorp is a workspace connected to a fake corp with one linked member.
type mediaCorp struct {
	api    *apitest.API
	admin  string
	fake   *wecomfake.Server
	ws     uuid.UUID
	member string // the linked user's id
	cbURL  string
}

func newMediaCorp(t *testing.T) *mediaCorp {
	t.Helper()
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation { createUser(input:{name: "张三", email: "zhangsan@acme.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
	link(t, api, admin, u.CreateUser.ID, "zhangsan")
	return &mediaCorp{api: api, admin: admin, fake: fake, ws: created.Workspace.ID, member: u.CreateUser.ID,
		cbURL: api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"}
}

// ctx is the workspace's context for driving services directly.
func (m *mediaCorp) ctx() context.Context { return tenant.NewContext(context.Background(), m.ws) }

// renew runs the periodic wecom:media-renew pass as the scheduler would
// (enqueued into Asynq, handled by the worker) and waits for what it queues.
func (m *mediaCorp) renew(t *testing.T) {
	t.Helper()
	c := asynq.NewClient(asynq.RedisClientOpt{Addr: m.api.Redis.Addr, DB: m.api.Redis.DB})
	defer c.Close()
	if _, err := c.Enqueue(asynq.NewTask(jobs.TypeWeComMediaRenew, nil), asynq.Queue("low")); err != nil {
		t.Fatal(err)
	}
	m.api.WaitIdle()
}

// kept is the WeCom media id kept on a stored medium ("" for none).
func (m *mediaCorp) kept(t *testing.T, id string) string {
	t.Helper()
	var mediaID *string
	if err := m.api.DB.DB.QueryRow(`SELECT media_id FROM wecom_media WHERE id = $1`, mustDecode(t, id)).Scan(&mediaID); err != nil {
		t.Fatal(err)
	}
	if mediaID == nil {
		return ""
	}
	return *mediaID
}

func (m *mediaCorp) readyTasks(t *testing.T) int {
	t.Helper()
	var n int
	if err := m.api.DB.DB.QueryRow(`SELECT count(*) FROM outbox_tasks WHERE task_type = $1`, jobs.TypeWeComMediaReady).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStoredMediaReadyAhead: saving a code with a stored video, file and
// mini-program cover uploads them at once (a wecom:media-ready task written
// with the code), so the first customer's welcome calls no media/upload;
// an edit that keeps fresh media queues nothing; the hourly renewal leaves
// ids younger than 48 hours alone and uploads the code's media again after
// them, not a medium nothing uses, and stops with the code's delete; a
// recurring mass send's video is uploaded when the broadcast is saved and
// renewed while its next run is scheduled.
func TestStoredMediaReadyAhead(t *testing.T) {
	m := newMediaCorp(t)
	api, admin, fake := m.api, m.admin, m.fake
	pngData := picture(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) })
	cover := storeMedium(t, api, admin, "IMAGE", "cover.png", pngData)
	video := storeMedium(t, api, admin, "VIDEO", "intro.mp4", mp4(64))
	file := storeMedium(t, api, admin, "FILE", "prices.pdf", []byte("%PDF-1.4 prices"))
	spare := storeMedium(t, api, admin, "VIDEO", "spare.mp4", mp4(8))
	atts := []any{
		map[string]any{"type": "VIDEO", "mediaID": video.ID},
		map[string]any{"type": "FILE", "mediaID": file.ID},
		map[string]any{"type": "MINIPROGRAM", "title": "预约", "appID": "wx8bd80126147dfa12", "page": "/pages/a", "picMediaID": cover.ID},
	}
	var cw struct{ CreateContactWay struct{ ID, State string } }
	api.MustDo(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id state } }`, map[string]any{"i": map[string]any{
		"name": "视频码", "userIDs": []string{m.member}, "welcomeMessage": "您好", "welcomeAttachments": atts}}, &cw)
	api.WaitIdle()
	if n := fake.Count(mediaUploadPath); n != 3 || m.readyTasks(t) != 1 {
		t.Fatalf("after the code's save: %d media/upload calls, %d ready tasks; want 3 and 1", n, m.readyTasks(t))
	}
	first := map[string]string{"video": m.kept(t, video.ID), "file": m.kept(t, file.ID), "cover": m.kept(t, cover.ID)}
	if first["video"] == "" || first["file"] == "" || first["cover"] == "" || m.kept(t, spare.ID) != "" {
		t.Fatalf("kept media ids %v, spare %q", first, m.kept(t, spare.ID))
	}

	// An edit with the same (fresh) media, and one of the name only, queue nothing.
	update := `mutation($id: ID!, $i: UpdateContactWayInput!){ updateContactWay(id: $id, input: $i) { id } }`
	api.MustDo(admin, update, map[string]any{"id": cw.CreateContactWay.ID, "i": map[string]any{"welcomeAttachments": atts}}, nil)
	api.MustDo(admin, update, map[string]any{"id": cw.CreateContactWay.ID, "i": map[string]any{"name": "视频码 2"}}, nil)
	api.WaitIdle()
	if m.readyTasks(t) != 1 || fake.Count(mediaUploadPath) != 3 {
		t.Errorf("edits with fresh media: %d ready tasks, %d uploads", m.readyTasks(t), fake.Count(mediaUploadPath))
	}

	n := 0
	welcome := func() map[string]any {
		t.Helper()
		n++
		ext := "wmRDY000000000000" + string(rune('0'+n))
		if resp, body := post(t, m.cbURL, fake.AddThrough(fake.ByState(cw.CreateContactWay.State), customer{ExternalUserID: ext, Name: "客户"}, "zhangsan", nil, api.Clock.Now())); resp.StatusCode != 200 {
			t.Fatalf("add = %d %s", resp.StatusCode, body)
		}
		api.WaitIdle()
		wc := fake.WelcomeTo(ext)
		if wc == nil || wc.SentAt.IsZero() {
			t.Fatalf("welcome %d not sent", n)
		}
		ids := map[string]any{}
		for _, a := range wc.Attachments {
			kind := a["msgtype"].(string)
			obj := a[kind].(map[string]any)
			if kind == "miniprogram" {
				ids["cover"] = obj["pic_media_id"]
			} else {
				ids[kind] = obj["media_id"]
			}
		}
		return ids
	}
	api.Clock.Advance(time.Hour)
	if got := welcome(); got["video"] != first["video"] || got["file"] != first["file"] || got["cover"] != first["cover"] ||
		fake.Count(mediaUploadPath) != 3 {
		t.Errorf("the first welcome: %v (kept %v), %d uploads: want the kept ids and no upload", got, first, fake.Count(mediaUploadPath))
	}

	// The renewal: at 47 hours nothing is due; at 49 the code's three media
	// are uploaded again, and the spare video is not.
	api.Clock.Advance(46 * time.Hour)
	m.renew(t)
	if fake.Count(mediaUploadPath) != 3 {
		t.Errorf("renewal at 47 hours: %d uploads, want none", fake.Count(mediaUploadPath)-3)
	}
	api.Clock.Advance(2 * time.Hour)
	m.renew(t)
	renewed := map[string]string{"video": m.kept(t, video.ID), "file": m.kept(t, file.ID), "cover": m.kept(t, cover.ID)}
	if fake.Count(mediaUploadPath) != 6 || renewed["video"] == first["video"] || renewed["file"] == first["file"] ||
		renewed["cover"] == first["cover"] || m.kept(t, spare.ID) != "" {
		t.Errorf("renewal at 49 hours: %d uploads (want 6), kept %v (were %v), spare %q", fake.Count(mediaUploadPath), renewed, first, m.kept(t, spare.ID))
	}
	// 62 hours after the first upload (past the send-time limit of 60):
	// the welcome uses the renewed ids and uploads nothing in its window.
	api.Clock.Advance(13 * time.Hour)
	if got := welcome(); got["video"] != renewed["video"] || got["cover"] != renewed["cover"] || fake.Count(mediaUploadPath) != 6 {
		t.Errorf("a welcome after the renewal: %v (renewed %v), %d uploads", got, renewed, fake.Count(mediaUploadPath))
	}

	// A deleted code's media are not renewed.
	admin = api.Login("acme", "admin@acme.test", "password-acme") // the session of 3 days ago expired
	api.MustDo(admin, `mutation($id: ID!){ deleteContactWay(id: $id) }`, map[string]any{"id": cw.CreateContactWay.ID}, nil)
	api.Clock.Advance(49 * time.Hour)
	m.renew(t)
	admin = api.Login("acme", "admin@acme.test", "password-acme")
	if fake.Count(mediaUploadPath) != 6 {
		t.Errorf("renewal after the code's delete: %d uploads, want none", fake.Count(mediaUploadPath)-6)
	}

	// A weekly mass send's video, its first run 60 hours out: uploaded when
	// the broadcast is saved, renewed while its run is scheduled.
	var seg struct{ CreateSegment struct{ ID string } }
	var tg struct{ CreateTag struct{ ID string } }
	api.MustDo(admin, `mutation { createTag(input: {name: "群发"}) { id } }`, nil, &tg)
	api.MustDo(admin, `mutation($t: ID!){ createSegment(input: {name: "群发对象", rule: {tag: {any: [$t]}}}) { id } }`, map[string]any{"t": tg.CreateTag.ID}, &seg)
	weekly := storeMedium(t, api, admin, "VIDEO", "weekly.mp4", mp4(32))
	api.MustDo(admin, `mutation($i: CreateBroadcastInput!){ createBroadcast(input: $i) { id } }`, map[string]any{"i": map[string]any{
		"name": "每周视频", "segmentID": seg.CreateSegment.ID, "channel": "wecom", "template": "本周新品", "cron": "0 10 * * 1",
		"scheduledAt": api.Clock.Now().Add(60 * time.Hour), "attachments": []any{map[string]any{"type": "VIDEO", "mediaID": weekly.ID}}}}, nil)
	api.WaitIdle()
	atSave := m.kept(t, weekly.ID)
	if fake.Count(mediaUploadPath) != 7 || atSave == "" {
		t.Fatalf("the broadcast's save: %d uploads (want 7), kept %q", fake.Count(mediaUploadPath), atSave)
	}
	api.Clock.Advance(49 * time.Hour)
	m.renew(t)
	if fake.Count(mediaUploadPath) != 8 || m.kept(t, weekly.ID) == atSave {
		t.Errorf("renewal of the scheduled broadcast's video: %d uploads (want 8)", fake.Count(mediaUploadPath))
	}
}

// TestFarScheduledMediaWait: a mass send scheduled 10 days ahead uploads
// nothing at its save nor at the hourly renewals while its run is more
// than 72 hours away (wecom.MediaNeededWithin); the first renewal within
// the window uploads its video.
func TestFarScheduledMediaWait(t *testing.T) {
	m := newMediaCorp(t)
	api, admin, fake := m.api, m.admin, m.fake
	var seg struct{ CreateSegment struct{ ID string } }
	var tg struct{ CreateTag struct{ ID string } }
	api.MustDo(admin, `mutation { createTag(input: {name: "远期群发"}) { id } }`, nil, &tg)
	api.MustDo(admin, `mutation($t: ID!){ createSegment(input: {name: "远期对象", rule: {tag: {any: [$t]}}}) { id } }`, map[string]any{"t": tg.CreateTag.ID}, &seg)
	video := storeMedium(t, api, admin, "VIDEO", "later.mp4", mp4(32))
	sendAt := api.Clock.Now().Add(10 * 24 * time.Hour)
	api.MustDo(admin, `mutation($i: CreateBroadcastInput!){ createBroadcast(input: $i) { id } }`, map[string]any{"i": map[string]any{
		"name": "十天后的视频", "segmentID": seg.CreateSegment.ID, "channel": "wecom", "template": "新品预告",
		"scheduledAt": sendAt, "attachments": []any{map[string]any{"type": "VIDEO", "mediaID": video.ID}}}}, nil)
	api.WaitIdle()
	if n := fake.Count(mediaUploadPath); n != 0 || m.kept(t, video.ID) != "" || m.readyTasks(t) != 0 {
		t.Fatalf("the save of a broadcast 10 days out: %d uploads, %d ready tasks, want none", n, m.readyTasks(t))
	}
	api.Clock.Advance(time.Hour)
	m.renew(t)
	api.Clock.Set(sendAt.Add(-wecom.MediaNeededWithin - 30*time.Minute))
	m.renew(t)
	if n := fake.Count(mediaUploadPath); n != 0 {
		t.Fatalf("renewals while the run is more than 72 hours away: %d uploads, want none", n)
	}
	api.Clock.Advance(time.Hour) // 71.5 hours before the run
	m.renew(t)
	if n := fake.Count(mediaUploadPath); n != 1 || m.kept(t, video.ID) == "" {
		t.Errorf("the renewal within 72 hours of the run: %d uploads (want 1), kept %q", n, m.kept(t, video.ID))
	}
}

// TestOneUploadPerMedium: two passes that need the same medium at the same
// time make one media/upload: the second waits for the first one's upload
// (the fake holds it in flight; the first holds the medium's lease) and
// takes the id it kept.
func TestOneUploadPerMedium(t *testing.T) {
	m := newMediaCorp(t)
	video := storeMedium(t, m.api, m.admin, "VIDEO", "intro.mp4", mp4(64))
	id := mustDecode(t, video.ID)
	m.fake.HoldUploads = make(chan chan struct{})
	waited := make(chan uuid.UUID, 1)
	wecom.OnLeaseWait(t, func(id uuid.UUID) {
		select {
		case waited <- id:
		default:
		}
	})
	type result struct {
		res wecom.MediaReadiness
		err error
	}
	done := make(chan result, 2)
	ready := func() {
		res, err := m.api.Services.WeCom.ReadyMedia(m.ctx(), []uuid.UUID{id})
		done <- result{res, err}
	}
	go ready()
	release := <-m.fake.HoldUploads // the first upload is in flight
	go ready()
	// The second pass either waits for the medium's lease, or (without
	// the lease) is at the fake with a second upload.
	var second chan struct{}
	select {
	case got := <-waited:
		if got != id {
			t.Errorf("waited for %v, want %v", got, id)
		}
	case second = <-m.fake.HoldUploads:
		close(second)
		t.Error("a second media/upload of the same medium started while the first was in flight")
	case <-time.After(10 * time.Second):
		t.Fatal("the second pass neither waits for the lease nor uploads")
	}
	close(release)
	a, b := <-done, <-done
	if a.err != nil || b.err != nil {
		t.Fatalf("passes: %v, %v", a.err, b.err)
	}
	if got := m.fake.Count(mediaUploadPath); got != 1 || a.res.Uploaded+b.res.Uploaded != 1 || a.res.Fresh+b.res.Fresh != 1 {
		t.Errorf("%d media/upload calls; passes %+v and %+v: want one upload and one reuse", got, a.res, b.res)
	}
	if len(m.fake.UploadedMedia()) != 1 || m.kept(t, video.ID) != m.fake.UploadedMedia()[0].MediaID {
		t.Errorf("kept %q, WeCom has %v", m.kept(t, video.ID), m.fake.UploadedMedia())
	}
}

// TestRestoreRechecksAttachments: a deleted code whose stored video was
// deleted from the library since is refused by restoreContactWay at the
// attachment, as an update naming it would be, and nothing is asked of
// WeCom or changed; with the attachment's medium present it restores and
// its media are readied.
func TestRestoreRechecksAttachments(t *testing.T) {
	m := newMediaCorp(t)
	api, admin, fake := m.api, m.admin, m.fake
	video := storeMedium(t, api, admin, "VIDEO", "intro.mp4", mp4(64))
	file := storeMedium(t, api, admin, "FILE", "prices.pdf", []byte("%PDF-1.4 prices"))
	create := func(name string, att map[string]any) string {
		var cw struct{ CreateContactWay struct{ ID string } }
		api.MustDo(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id } }`, map[string]any{"i": map[string]any{
			"name": name, "userIDs": []string{m.member}, "welcomeMessage": "您好",
			"welcomeAttachments": []any{map[string]any{"type": "MINIPROGRAM", "title": "预约", "appID": "wx8bd80126147dfa12", "page": "/pages/a", "picMediaID": "raw-cover-id"}, att}}}, &cw)
		api.MustDo(admin, `mutation($id: ID!){ deleteContactWay(id: $id) }`, map[string]any{"id": cw.CreateContactWay.ID}, nil)
		return cw.CreateContactWay.ID
	}
	gone := create("视频码", map[string]any{"type": "VIDEO", "mediaID": video.ID})
	kept := create("文件码", map[string]any{"type": "FILE", "mediaID": file.ID})
	api.MustDo(admin, `mutation($id: ID!){ deleteWeComMedia(id: $id) }`, map[string]any{"id": video.ID}, nil)
	api.WaitIdle()
	adds, tasks := fake.Count("/cgi-bin/externalcontact/add_contact_way"), m.readyTasks(t)

	restore := `mutation($id: ID!){ restoreContactWay(id: $id) { id deletedAt } }`
	r := api.Do(admin, restore, map[string]any{"id": gone})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "welcomeAttachments[1].mediaID" ||
		!strings.Contains(r.Errors[0].Message, "no such media") {
		t.Fatalf("restore of a code naming a deleted medium: %+v", r.Errors)
	}
	var deletedAt *time.Time
	_ = api.DB.DB.QueryRow(`SELECT deleted_at FROM contact_ways WHERE id = $1`, mustDecode(t, gone)).Scan(&deletedAt)
	if deletedAt == nil || fake.Count("/cgi-bin/externalcontact/add_contact_way") != adds || m.readyTasks(t) != tasks {
		t.Errorf("the refused restore changed something: deleted_at %v, add_contact_way %d→%d, ready tasks %d→%d", deletedAt,
			adds, fake.Count("/cgi-bin/externalcontact/add_contact_way"), tasks, m.readyTasks(t))
	}

	// The other code's file is there: it restores, and the file, whose id
	// from the first save is now 49 hours old, is uploaded again at once.
	api.Clock.Advance(49 * time.Hour)
	admin = api.Login("acme", "admin@acme.test", "password-acme")
	before := fake.Count(mediaUploadPath)
	api.MustDo(admin, restore, map[string]any{"id": kept}, nil)
	api.WaitIdle()
	if fake.Count("/cgi-bin/externalcontact/add_contact_way") != adds+1 || fake.Count(mediaUploadPath) != before+1 || m.readyTasks(t) != tasks+1 {
		t.Errorf("the restore: add_contact_way %d→%d, media/upload %d→%d, ready tasks %d→%d", adds,
			fake.Count("/cgi-bin/externalcontact/add_contact_way"), before, fake.Count(mediaUploadPath), tasks, m.readyTasks(t))
	}
}
