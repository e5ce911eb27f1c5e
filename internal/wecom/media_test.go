package wecom_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
)

// picture is a small image encoded by enc.
func picture(t *testing.T, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decode(t *testing.T, r apitest.Response, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("%s: %v", r.Data, err)
	}
}

// TestUploadWeComImage: an admin uploads a welcome image through
// uploadWeComImage; the fake WeCom's media/uploadimg keeps it and its URL
// becomes an IMAGE attachment's picURL. A file that is no JPG or PNG, empty
// or over 2 MB is refused at file before WeCom is called; WeCom's refusal
// of the image is an input error, of the call a CONFLICT; an expired token
// is fetched again; a rep may not upload.
func TestUploadWeComImage(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Members = []string{"zhangsan"}
	const upload = `mutation($file: Upload!) { uploadWeComImage(file: $file) }`
	send := func(token, name string, data []byte) apitest.Response {
		t.Helper()
		return api.Upload(token, upload, map[string]any{"file": nil}, map[string]apitest.File{"file": {Name: name, Data: data}})
	}
	pngData := picture(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	jpgData := picture(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	gifData := picture(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) })
	const uploadimg = "/cgi-bin/media/uploadimg"

	// Without the wecom channel there is no corp to upload to.
	if r := send(admin, "poster.png", pngData); len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" ||
		!strings.Contains(r.Errors[0].Message, "corpId and contactSecret") {
		t.Fatalf("an upload without the wecom channel: %+v", r.Errors)
	}
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "baseUrl": fake.Srv.URL}}, nil)

	// Bad files are refused at file, and WeCom is not called.
	oversized := append(append([]byte{}, pngData...), make([]byte, 2<<20)...)
	for _, c := range []struct {
		name string
		data []byte
		says string
	}{
		{"notes.txt", []byte("not an image at all"), "JPG or PNG"},
		{"anim.gif", gifData, "JPG or PNG"},
		{"renamed.png", []byte("GIF89a-but-named-png"), "JPG or PNG"},
		{"header-only.png", pngData[:12], "JPG or PNG"},
		{"empty.png", nil, "is empty"},
		{"huge.png", oversized, "at most 2 MB"},
	} {
		r := send(admin, c.name, c.data)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "file" || !strings.Contains(r.Errors[0].Message, c.says) {
			t.Errorf("upload %s: %+v, want BAD_USER_INPUT at file saying %q", c.name, r.Errors, c.says)
		}
	}
	if n := fake.Count(uploadimg); n != 0 {
		t.Fatalf("refused files reached uploadimg %d times", n)
	}

	// A PNG and a JPG are uploaded as they are; the answer is WeCom's permanent URL.
	var up struct{ UploadWeComImage string }
	r := send(admin, "海报.png", pngData)
	if len(r.Errors) > 0 {
		t.Fatalf("upload a PNG: %+v", r.Errors)
	}
	decode(t, r, &up)
	pngURL := up.UploadWeComImage
	fake.ExpireTokens() // the next call carries a token WeCom refuses: fetched again, once
	issued := fake.Issued
	r = send(admin, "photo.jpeg", jpgData)
	if len(r.Errors) > 0 {
		t.Fatalf("upload a JPG after the token expired: %+v", r.Errors)
	}
	decode(t, r, &up)
	got := fake.Uploaded()
	if len(got) != 2 || got[0].URL != pngURL || got[1].URL != up.UploadWeComImage || pngURL == up.UploadWeComImage ||
		!bytes.Equal(got[0].Data, pngData) || !bytes.Equal(got[1].Data, jpgData) || got[0].Name != "welcome.png" || got[1].Name != "welcome.jpg" {
		t.Fatalf("uploaded %+v; answers %q, %q", got, pngURL, up.UploadWeComImage)
	}
	if !strings.HasPrefix(pngURL, "https://wework.qpic.cn/") || fake.Issued != issued+1 {
		t.Fatalf("url %q, tokens issued %d → %d", pngURL, issued, fake.Issued)
	}

	// The URL is what an IMAGE attachment takes.
	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation { createUser(input:{name: "zhangsan", email: "zs@acme.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {wecomUserID: "zhangsan"}) { id } }`, map[string]any{"id": u.CreateUser.ID}, nil)
	var cw struct {
		CreateContactWay struct {
			WelcomeAttachments []struct{ Type, PicURL string }
		}
	}
	api.MustDo(admin, `mutation($input: CreateContactWayInput!) { createContactWay(input: $input) { welcomeAttachments { type picURL } } }`,
		map[string]any{"input": map[string]any{"name": "海报活码", "userIDs": []string{u.CreateUser.ID}, "welcomeMessage": "您好",
			"welcomeAttachments": []map[string]any{{"type": "IMAGE", "picURL": pngURL}}}}, &cw)
	if a := cw.CreateContactWay.WelcomeAttachments; len(a) != 1 || a[0].Type != "IMAGE" || a[0].PicURL != pngURL {
		t.Fatalf("attachments %+v", a)
	}

	// WeCom refusing the image is the file's fault; refusing the call, the corp's.
	for _, c := range []struct {
		errcode     int
		code, field string
	}{
		{40009, "BAD_USER_INPUT", "file"},
		{48002, "CONFLICT", ""},
	} {
		fake.Mu.Lock()
		fake.ImageErrcode = c.errcode
		fake.Mu.Unlock()
		r := send(admin, "poster.png", pngData)
		if len(r.Errors) != 1 || r.Errors[0].Code() != c.code || r.Errors[0].Field() != c.field || !strings.Contains(r.Errors[0].Message, "errcode") {
			t.Errorf("errcode %d: %+v, want %s at %q", c.errcode, r.Errors, c.code, c.field)
		}
	}
	fake.Mu.Lock()
	fake.ImageErrcode = 0
	fake.Mu.Unlock()

	// Only who may edit codes uploads.
	rep := api.Login("acme", "zs@acme.test", "rep-password")
	calls := fake.Count(uploadimg)
	if r := send(rep, "poster.png", pngData); len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("a rep's upload: %+v", r.Errors)
	}
	if fake.Count(uploadimg) != calls || len(fake.Uploaded()) != 2 {
		t.Fatalf("refused uploads reached WeCom")
	}
}

// TestImageUploadQuota: a workspace's uploads to WeCom are counted per day
// of WeCom's calendar (midnight in China) against the wecom channel's
// imageUploadsPerDay; at the limit an upload is LIMIT_EXCEEDED at file,
// saying the limit and when the count starts again, and WeCom is not
// called. A refused file is not counted; workspaces count apart;
// concurrent uploads never pass the limit; the next day counts afresh.
func TestImageUploadQuota(t *testing.T) {
	api := apitest.New(t)
	// Half past midnight in China: the next day is almost a whole day away,
	// longer than a login lasts, whatever the time this test runs at.
	api.Clock.Set(time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC))
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	const upload = `mutation($file: Upload!) { uploadWeComImage(file: $file) }`
	const uploadimg = "/cgi-bin/media/uploadimg"
	send := func(token string, data []byte) apitest.Response {
		return api.Upload(token, upload, map[string]any{"file": nil}, map[string]apitest.File{"file": {Name: "poster.png", Data: data}})
	}
	workspace := func(name string, perDay int) string {
		_, admin := api.Workspace(name)
		api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
			"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "baseUrl": fake.Srv.URL, "imageUploadsPerDay": perDay}}, nil)
		return admin
	}
	pngData := picture(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	china, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := api.Clock.Now().In(china)
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, china)

	acme := workspace("acme", 2)
	if r := send(acme, []byte("not an image at all")); len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("a bad file: %+v", r.Errors)
	}
	for i := range 2 {
		if r := send(acme, pngData); len(r.Errors) != 0 {
			t.Fatalf("upload %d of 2: %+v (a refused file must not count)", i+1, r.Errors)
		}
	}
	r := send(acme, pngData)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "LIMIT_EXCEEDED" || r.Errors[0].Field() != "file" ||
		!strings.Contains(r.Errors[0].Message, "today's 2 image uploads") || !strings.Contains(r.Errors[0].Message, midnight.Format(time.RFC3339)) ||
		r.Errors[0].Extensions["resetsAt"] != midnight.UTC().Format(time.RFC3339) || r.Errors[0].Extensions["limit"] != float64(2) {
		t.Fatalf("the third upload of the day: %+v, want LIMIT_EXCEEDED at file with the limit and %s", r.Errors, midnight.Format(time.RFC3339))
	}
	if n := fake.Count(uploadimg); n != 2 {
		t.Fatalf("uploadimg called %d times, want 2: the refused upload reached WeCom", n)
	}

	// Another workspace counts its own; five at once against a limit of 3.
	beta := workspace("beta", 3)
	results := make(chan apitest.Response, 5)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); results <- send(beta, pngData) }()
	}
	wg.Wait()
	close(results)
	codes := map[string]int{}
	for r := range results {
		switch {
		case len(r.Errors) == 0:
			codes["ok"]++
		default:
			codes[r.Errors[0].Code()]++
		}
	}
	if codes["ok"] != 3 || codes["LIMIT_EXCEEDED"] != 2 || fake.Count(uploadimg) != 5 {
		t.Errorf("five concurrent uploads at a limit of 3: %v, uploadimg calls %d (want 3 more than 2)", codes, fake.Count(uploadimg))
	}

	// The next day (China's midnight) counts afresh, and forgets the past day.
	api.Clock.Advance(midnight.Sub(api.Clock.Now()) + time.Second)
	acme = api.Login("acme", "admin@acme.test", "password-acme") // yesterday's login has expired
	if r := send(acme, pngData); len(r.Errors) != 0 {
		t.Fatalf("an upload the next day: %+v", r.Errors)
	}
	var days int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM wecom_upload_days d JOIN workspaces w ON w.id = d.tenant_id WHERE w.slug = 'acme'`).Scan(&days)
	if days != 1 {
		t.Errorf("acme has %d day rows, want today's alone", days)
	}
}
