package wecom_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/wecom"
)

// TestMediaUploadHoldsNoConnection: while WeCom takes its time over a
// media/upload (the fake holds it in flight) the uploader holds no
// database connection and no transaction: the medium's lease is
// committed, visible to any other session, and the pool's connections are
// all idle. When WeCom answers, the id is kept and the lease is gone.
func TestMediaUploadHoldsNoConnection(t *testing.T) {
	m := newMediaCorp(t)
	video := storeMedium(t, m.api, m.admin, "VIDEO", "slow.mp4", mp4(64))
	id := mustDecode(t, video.ID)
	m.fake.HoldUploads = make(chan chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := m.api.Services.WeCom.ReadyMedia(m.ctx(), []uuid.UUID{id})
		done <- err
	}()
	release := <-m.fake.HoldUploads // in flight at WeCom

	var leased bool
	if err := m.api.DB.DB.QueryRow(`SELECT upload_lease IS NOT NULL AND upload_lease_until > $2 FROM wecom_media WHERE id = $1`,
		id, m.api.Clock.Now()).Scan(&leased); err != nil {
		t.Fatal(err)
	}
	if !leased {
		t.Error("the medium shows no committed lease while its upload is in flight")
	}
	// Background work (the outbox relay) may borrow a connection for a
	// moment; the upload must not keep one. Within the deadline there is a
	// moment with no connection in use and no session in a transaction.
	deadline := time.Now().Add(10 * time.Second)
	var inUse, inTx int
	for {
		if err := m.api.DB.DB.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`).Scan(&inTx); err != nil {
			t.Fatal(err)
		}
		inUse = m.api.DB.DB.Stats().InUse
		if inUse == 0 && inTx == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("while WeCom holds the upload: %d pooled connections in use, %d sessions idle in a transaction; want none", inUse, inTx)
			break
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var lease *uuid.UUID
	if err := m.api.DB.DB.QueryRow(`SELECT upload_lease FROM wecom_media WHERE id = $1`, id).Scan(&lease); err != nil {
		t.Fatal(err)
	}
	if kept := m.kept(t, video.ID); kept == "" || lease != nil || m.fake.Count(mediaUploadPath) != 1 {
		t.Errorf("after the upload: kept %q, lease %v, %d uploads", kept, lease, m.fake.Count(mediaUploadPath))
	}
}

// TestStaleMediaLeaseTakenOver: a lease whose uploader died (nobody
// releases it) holds the other callers until its time is up, then the
// next caller takes it over and uploads.
func TestStaleMediaLeaseTakenOver(t *testing.T) {
	m := newMediaCorp(t)
	video := storeMedium(t, m.api, m.admin, "VIDEO", "orphan.mp4", mp4(64))
	id := mustDecode(t, video.ID)
	if _, err := m.api.DB.DB.Exec(`UPDATE wecom_media SET upload_lease = $2, upload_lease_until = $3 WHERE id = $1`,
		id, uuid.New(), m.api.Clock.Now().Add(wecom.MediaUploadLease)); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{}, 1)
	wecom.OnLeaseWait(t, func(uuid.UUID) {
		select {
		case waited <- struct{}{}:
		default:
		}
	})
	type result struct {
		res wecom.MediaReadiness
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := m.api.Services.WeCom.ReadyMedia(m.ctx(), []uuid.UUID{id})
		done <- result{res, err}
	}()
	select {
	case <-waited:
	case r := <-done:
		t.Fatalf("the pass did not wait for the live lease: %+v %v", r.res, r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the pass neither waits nor ends")
	}
	if n := m.fake.Count(mediaUploadPath); n != 0 {
		t.Errorf("%d uploads under another's live lease", n)
	}
	m.api.Clock.Advance(wecom.MediaUploadLease + time.Second)
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the pass did not take over the stale lease")
	}
	if r.err != nil || r.res.Uploaded != 1 || m.fake.Count(mediaUploadPath) != 1 || m.kept(t, video.ID) == "" {
		t.Errorf("after the lease's time: %+v %v, %d uploads, kept %q", r.res, r.err, m.fake.Count(mediaUploadPath), m.kept(t, video.ID))
	}
}

// TestMediaReadyBatch: a pass uploads at most its batch, the media whose
// WeCom id expires first (none yet, then the oldest); the rest are counted
// as deferred and uploaded by the next pass.
func TestMediaReadyBatch(t *testing.T) {
	m := newMediaCorp(t)
	svc := m.api.Services.WeCom
	svc.MediaReadyBatch = 2
	t.Cleanup(func() { svc.MediaReadyBatch = 0 })
	now := m.api.Clock.Now()
	ages := map[string]time.Duration{"a.mp4": 50 * time.Hour, "b.mp4": 55 * time.Hour, "c.mp4": 0, "d.mp4": 49 * time.Hour, "e.mp4": time.Hour}
	byName := map[string]uuid.UUID{}
	var ids []uuid.UUID
	for _, name := range []string{"a.mp4", "b.mp4", "c.mp4", "d.mp4", "e.mp4"} {
		id := mustDecode(t, storeMedium(t, m.api, m.admin, "VIDEO", name, mp4(16)).ID)
		byName[name] = id
		ids = append(ids, id)
		if age := ages[name]; age > 0 {
			if _, err := m.api.DB.DB.Exec(`UPDATE wecom_media SET media_id = $2, media_uploaded_at = $3 WHERE id = $1`,
				id, "old-"+name, now.Add(-age)); err != nil {
				t.Fatal(err)
			}
		}
	}
	renewed := func() []string {
		t.Helper()
		var out []string
		for _, name := range []string{"a.mp4", "b.mp4", "c.mp4", "d.mp4", "e.mp4"} {
			var mediaID *string
			if err := m.api.DB.DB.QueryRow(`SELECT media_id FROM wecom_media WHERE id = $1`, byName[name]).Scan(&mediaID); err != nil {
				t.Fatal(err)
			}
			if mediaID != nil && !strings.HasPrefix(*mediaID, "old-") {
				out = append(out, name)
			}
		}
		return out
	}
	res, err := svc.ReadyMedia(m.ctx(), ids)
	if err != nil || res.Uploaded != 2 || res.Deferred != 2 || strings.Join(renewed(), ",") != "b.mp4,c.mp4" {
		t.Errorf("first pass: %+v %v, renewed %v; want c (no id) and b (oldest) uploaded, 2 deferred", res, err, renewed())
	}
	res, err = svc.ReadyMedia(m.ctx(), ids)
	if err != nil || res.Uploaded != 2 || res.Deferred != 0 || strings.Join(renewed(), ",") != "a.mp4,b.mp4,c.mp4,d.mp4" {
		t.Errorf("second pass: %+v %v, renewed %v; want a and d, none deferred (e is fresh)", res, err, renewed())
	}
	if n := m.fake.Count(mediaUploadPath); n != 4 {
		t.Errorf("%d uploads, want 4", n)
	}
}

// TestRefusedMediumRecorded: WeCom's permanent refusal of a medium's
// upload (40005, a file type it does not take), met by the ready task of
// the code that names it, is recorded on the medium, shown by weComMedia's
// uploadError, and told to its uploader once, in one notification that
// names the code and the broadcast (saved before, 10 days out) using it;
// the code shows the attachment in attachmentErrors (MEDIA_REFUSED, 40005);
// the medium is not uploaded again by later passes, the hourly renewal or the
// code's welcome (which goes with its text, without the attachment, and
// says so on the add), and a code saved naming it is refused at the
// attachment. A busy WeCom (-1 past the retries) records nothing and the
// next pass uploads.
func TestRefusedMediumRecorded(t *testing.T) {
	m := newMediaCorp(t)
	svc := m.api.Services.WeCom
	bad := storeMedium(t, m.api, m.admin, "VIDEO", "bad.mp4", mp4(16))
	badID := mustDecode(t, bad.ID)
	m.fake.Mu.Lock()
	m.fake.MediaErrcodes = []int{40005}
	m.fake.Mu.Unlock()
	code := func(name string) map[string]any {
		return map[string]any{"i": map[string]any{"name": name, "userIDs": []string{m.member}, "welcomeMessage": "您好",
			"welcomeAttachments": []any{map[string]any{"type": "VIDEO", "mediaID": bad.ID}}}}
	}
	const create = `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id state } }`
	var cw struct{ CreateContactWay struct{ ID, State string } }
	// A broadcast 10 days out names it first (nothing uploaded for it yet).
	var seg struct{ CreateSegment struct{ ID string } }
	var tg struct{ CreateTag struct{ ID string } }
	m.api.MustDo(m.admin, `mutation { createTag(input: {name: "双十二"}) { id } }`, nil, &tg)
	m.api.MustDo(m.admin, `mutation($t: ID!){ createSegment(input: {name: "双十二对象", rule: {tag: {any: [$t]}}}) { id } }`, map[string]any{"t": tg.CreateTag.ID}, &seg)
	m.api.MustDo(m.admin, `mutation($i: CreateBroadcastInput!){ createBroadcast(input: $i) { id } }`, map[string]any{"i": map[string]any{
		"name": "双十二视频", "segmentID": seg.CreateSegment.ID, "channel": "wecom", "template": "新品",
		"scheduledAt": m.api.Clock.Now().Add(10 * 24 * time.Hour), "attachments": []any{map[string]any{"type": "VIDEO", "mediaID": bad.ID}}}}, nil)
	m.api.MustDo(m.admin, create, code("坏视频码"), &cw)
	m.api.WaitIdle() // the code's wecom:media-ready meets the refusal
	if n := m.fake.Count(mediaUploadPath); n != 1 || m.kept(t, bad.ID) != "" {
		t.Fatalf("the code's ready task: %d uploads, kept %q; want the one refused", n, m.kept(t, bad.ID))
	}
	notes := func() (n int, msg string) {
		t.Helper()
		if err := m.api.DB.DB.QueryRow(`SELECT count(*), coalesce(max(n.message), '') FROM notifications n JOIN users u ON u.id = n.user_id
			WHERE n.kind = $1 AND u.email = 'admin@acme.test'`, wecom.NotificationMediaFailed).Scan(&n, &msg); err != nil {
			t.Fatal(err)
		}
		return n, msg
	}
	if n, msg := notes(); n != 1 || !strings.Contains(msg, "bad.mp4") || !strings.Contains(msg, "文件格式不受支持") ||
		!strings.Contains(msg, "渠道活码「坏视频码」") || !strings.Contains(msg, "群发「双十二视频」") {
		t.Errorf("the uploader's notifications: %d, %q; want one naming the file, the reason, the code and the broadcast", n, msg)
	}
	var ways struct {
		ContactWays []struct {
			ID               string
			AttachmentErrors []struct {
				Index            int
				Type, MediaID    string
				Filename, Reason string
				Errcode          int
			}
		}
	}
	m.api.MustDo(m.admin, `{ contactWays { id attachmentErrors { index type mediaID filename reason errcode } } }`, nil, &ways)
	if len(ways.ContactWays) != 1 || len(ways.ContactWays[0].AttachmentErrors) != 1 {
		t.Fatalf("contactWays: %+v, want the code with one attachment error", ways.ContactWays)
	}
	if e := ways.ContactWays[0].AttachmentErrors[0]; e.Index != 0 || e.Type != "VIDEO" || e.MediaID != bad.ID || e.Filename != "bad.mp4" ||
		e.Reason != "MEDIA_REFUSED" || e.Errcode != 40005 {
		t.Errorf("the code's attachment error: %+v", e)
	}
	var list struct {
		WeComMedia struct {
			Edges []struct {
				Node struct {
					ID          string
					UploadError *struct {
						Code    int
						Message string
						At      time.Time
					}
				}
			}
		}
	}
	m.api.MustDo(m.admin, `{ weComMedia(first: 10) { edges { node { id uploadError { code message at } } } } }`, nil, &list)
	if len(list.WeComMedia.Edges) != 1 || list.WeComMedia.Edges[0].Node.UploadError == nil ||
		list.WeComMedia.Edges[0].Node.UploadError.Code != 40005 || list.WeComMedia.Edges[0].Node.UploadError.Message == "" {
		t.Errorf("weComMedia: %+v, want uploadError 40005", list.WeComMedia.Edges)
	}

	// Another code naming it is refused at the attachment, and nothing is written.
	r := m.api.Do(m.admin, create, code("又一个坏视频码"))
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "input.welcomeAttachments[0].mediaID" ||
		!strings.Contains(r.Errors[0].Message, "40005") {
		t.Errorf("a code naming the refused medium: %+v", r.Errors)
	}
	var codes int
	if err := m.api.DB.DB.QueryRow(`SELECT count(*) FROM contact_ways`).Scan(&codes); err != nil || codes != 1 {
		t.Errorf("%d codes (%v), want the first alone", codes, err)
	}

	// Not again: a pass, the hourly renewal, the code's welcome.
	calls := m.fake.Count(mediaUploadPath)
	if res, err := svc.ReadyMedia(m.ctx(), []uuid.UUID{badID}); err != nil || res.Uploaded+len(res.Refused) != 0 {
		t.Errorf("a second pass: %+v %v, want nothing tried", res, err)
	}
	m.api.Clock.Advance(49 * time.Hour)
	m.renew(t)
	if resp, body := post(t, m.cbURL, m.fake.AddThrough(m.fake.ByState(cw.CreateContactWay.State),
		customer{ExternalUserID: "wmREFUSED0000001", Name: "客户"}, "zhangsan", nil, m.api.Clock.Now())); resp.StatusCode != 200 {
		t.Fatalf("add = %d %s", resp.StatusCode, body)
	}
	m.api.WaitIdle()
	if got := m.fake.Count(mediaUploadPath); got != calls {
		t.Errorf("%d media/upload calls for the refused medium after its refusal", got-calls)
	}
	var status, why string
	if err := m.api.DB.DB.QueryRow(`SELECT welcome_status, coalesce(welcome_error, '') FROM contact_way_adds WHERE external_user_id = 'wmREFUSED0000001'`).
		Scan(&status, &why); err != nil || status != "SENT" || !strings.Contains(why, "welcomeAttachments[0] (VIDEO MEDIA_REFUSED, media/upload errcode 40005)") {
		t.Errorf("the welcome: %q %q (%v), want SENT without the refused attachment, said", status, why, err)
	}
	if wc := m.fake.WelcomeTo("wmREFUSED0000001"); wc == nil || wc.SentAt.IsZero() || wc.Text != "您好" || len(wc.Attachments) != 0 {
		t.Errorf("the welcome WeCom got: %+v, want the text alone", wc)
	}
	if n, _ := notes(); n != 1 {
		t.Errorf("%d notifications of the refusal, want 1", n)
	}

	// A busy WeCom is not a refusal: nothing recorded, the lease released,
	// the next pass uploads.
	m.admin = m.api.Login("acme", "admin@acme.test", "password-acme") // the session of 2 days ago expired
	busy := storeMedium(t, m.api, m.admin, "VIDEO", "busy.mp4", mp4(16))
	busyID := mustDecode(t, busy.ID)
	m.fake.Mu.Lock()
	m.fake.MediaErrcodes = []int{-1, -1, -1, -1}
	m.fake.Mu.Unlock()
	res, err := svc.ReadyMedia(m.ctx(), []uuid.UUID{busyID})
	var me *wecom.MediaError
	if err == nil || errors.As(err, &me) || len(res.Refused) != 0 {
		t.Errorf("busy pass: %+v %v, want a retryable error", res, err)
	}
	var failed, leased bool
	if err := m.api.DB.DB.QueryRow(`SELECT upload_failed_at IS NOT NULL, upload_lease IS NOT NULL FROM wecom_media WHERE id = $1`, busyID).
		Scan(&failed, &leased); err != nil {
		t.Fatal(err)
	}
	if failed || leased {
		t.Errorf("after a busy WeCom: failed %v, leased %v; want neither", failed, leased)
	}
	if res, err := svc.ReadyMedia(m.ctx(), []uuid.UUID{busyID}); err != nil || res.Uploaded != 1 {
		t.Errorf("the pass after busy: %+v %v", res, err)
	}
}
