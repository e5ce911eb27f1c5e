package wecom_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

const mediaLibrary = `query($kind: WeComMediaType, $first: Int, $after: Cursor) {
  weComMedia(kind: $kind, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id type filename size createdAt uploadedBy { id name } } usedBy { kind id name } }
  }
}`

type mediaPage struct {
	WeComMedia struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Edges []struct {
			Node struct {
				ID, Type, Filename string
				Size               int
				UploadedBy         *struct{ ID, Name string }
			}
			UsedBy []struct{ Kind, ID, Name string }
		}
	}
}

func (p mediaPage) names() string {
	var out []string
	for _, e := range p.WeComMedia.Edges {
		out = append(out, e.Node.Filename)
	}
	return strings.Join(out, ",")
}

// TestMediaLibrary: weComMedia lists the workspace's stored media newest
// first, by kind and page, with the uploader and the live code and
// broadcast that use them; deleteWeComMedia refuses a medium a live code
// or a scheduled broadcast names (CONFLICT at id naming them, nothing
// deleted), deletes it, bytes and all, once the code is deleted and the
// broadcast cancelled, deletes an unused one at once; another workspace's
// medium is NOT_FOUND and lists nowhere else; a rep may neither list nor
// delete; the page's uses cost one statement however many media it has.
func TestMediaLibrary(t *testing.T) {
	api, admin, fake, _, _, seg := massSendFixture(t)
	var me struct{ Me struct{ ID, Name string } }
	api.MustDo(admin, `{ me { id name } }`, nil, &me)
	list := func(token string, vars map[string]any) mediaPage {
		t.Helper()
		var p mediaPage
		api.MustDo(token, mediaLibrary, vars, &p)
		return p
	}

	video := storeMedium(t, api, admin, "VIDEO", "产品介绍.mp4", mp4(100))
	api.Clock.Advance(time.Minute)
	file := storeMedium(t, api, admin, "FILE", "价目表.pdf", []byte("%PDF-1.4 a price list"))
	api.Clock.Advance(time.Minute)
	spare := storeMedium(t, api, admin, "FILE", "旧目录.pdf", []byte("%PDF-1.4 last year's"))

	all := list(admin, nil)
	if all.WeComMedia.TotalCount != 3 || all.names() != "旧目录.pdf,价目表.pdf,产品介绍.mp4" {
		t.Fatalf("the library: %d, %s", all.WeComMedia.TotalCount, all.names())
	}
	for _, e := range all.WeComMedia.Edges {
		if e.Node.UploadedBy == nil || e.Node.UploadedBy.ID != me.Me.ID || len(e.UsedBy) != 0 {
			t.Errorf("%s: uploaded by %+v, used by %+v", e.Node.Filename, e.Node.UploadedBy, e.UsedBy)
		}
	}
	if files := list(admin, map[string]any{"kind": "FILE"}); files.WeComMedia.TotalCount != 2 || files.names() != "旧目录.pdf,价目表.pdf" {
		t.Errorf("files: %d, %s", files.WeComMedia.TotalCount, files.names())
	}
	first := list(admin, map[string]any{"first": 2})
	rest := list(admin, map[string]any{"first": 2, "after": first.WeComMedia.PageInfo.EndCursor})
	if first.names() != "旧目录.pdf,价目表.pdf" || !first.WeComMedia.PageInfo.HasNextPage ||
		rest.names() != "产品介绍.mp4" || rest.WeComMedia.PageInfo.HasNextPage {
		t.Errorf("pages: %s (more %v), then %s (more %v)", first.names(), first.WeComMedia.PageInfo.HasNextPage,
			rest.names(), rest.WeComMedia.PageInfo.HasNextPage)
	}

	// A code welcomes with the video; a scheduled mass send carries the file.
	var code struct{ CreateContactWay struct{ ID string } }
	api.MustDo(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id } }`, map[string]any{"i": map[string]any{
		"name": "春季展会", "userIDs": []string{gid.Encode(userID(t, api, "zhangsan"))}, "welcomeMessage": "欢迎",
		"welcomeAttachments": []any{map[string]any{"type": "VIDEO", "mediaID": video.ID}}}}, &code)
	var bc struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(admin, `mutation($i: CreateBroadcastInput!){ createBroadcast(input: $i) { id } }`, map[string]any{"i": map[string]any{
		"name": "双十二", "segmentID": seg.CreateSegment.ID, "channel": "wecom", "template": "双十二活动开始了",
		"scheduledAt": "2099-01-01T00:00:00Z", "attachments": []any{map[string]any{"type": "FILE", "mediaID": file.ID}}}}, &bc)

	before := api.Statements()
	used := list(admin, nil)
	statements := api.Statements() - before
	byName := map[string][]struct{ Kind, ID, Name string }{}
	for _, e := range used.WeComMedia.Edges {
		byName[e.Node.Filename] = e.UsedBy
	}
	if u := byName["产品介绍.mp4"]; len(u) != 1 || u[0].Kind != "CONTACT_WAY" || u[0].ID != code.CreateContactWay.ID || u[0].Name != "春季展会" {
		t.Errorf("the video is used by %+v, want the code", u)
	}
	if u := byName["价目表.pdf"]; len(u) != 1 || u[0].Kind != "BROADCAST" || u[0].ID != bc.CreateBroadcast.ID || u[0].Name != "双十二" {
		t.Errorf("the file is used by %+v, want the broadcast", u)
	}
	if u := byName["旧目录.pdf"]; len(u) != 0 {
		t.Errorf("the spare file is used by %+v", u)
	}
	before = api.Statements()
	list(admin, map[string]any{"first": 1})
	if one := api.Statements() - before; one != statements {
		t.Errorf("a page of 1 medium took %d statements, of 3 %d: the uses are read per medium", one, statements)
	}

	del := `mutation($id: ID!){ deleteWeComMedia(id: $id) }`
	for _, c := range []struct{ id, says string }{{video.ID, `contact-way code "春季展会"`}, {file.ID, `broadcast "双十二"`}} {
		r := api.Do(admin, del, map[string]any{"id": c.id})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" || r.Errors[0].Field() != "id" || !strings.Contains(r.Errors[0].Message, c.says) {
			t.Errorf("delete a medium in use: %+v, want CONFLICT at id naming %s", r.Errors, c.says)
		} else if ext, _ := r.Errors[0].Extensions["usedBy"].([]any); len(ext) != 1 {
			t.Errorf("extensions.usedBy = %v", r.Errors[0].Extensions["usedBy"])
		}
	}
	if n := list(admin, nil).WeComMedia.TotalCount; n != 3 {
		t.Fatalf("refused deletes left %d media, want 3", n)
	}

	// Another workspace sees none of them and cannot delete them; a rep may not.
	_, other := api.Workspace("beta")
	if p := list(other, nil); p.WeComMedia.TotalCount != 0 || len(p.WeComMedia.Edges) != 0 {
		t.Errorf("another workspace lists %s", p.names())
	}
	if r := api.Do(other, del, map[string]any{"id": spare.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("another workspace's delete: %+v, want NOT_FOUND", r.Errors)
	}
	rep := api.Login("acme", "zhangsan@acme.test", "rep-password")
	for _, q := range []apitest.Response{api.Do(rep, mediaLibrary, nil), api.Do(rep, del, map[string]any{"id": spare.ID})} {
		if len(q.Errors) != 1 || q.Errors[0].Code() != "FORBIDDEN" {
			t.Errorf("a rep: %+v, want FORBIDDEN", q.Errors)
		}
	}

	// Unused: deleted at once, its bytes with it.
	var ok struct{ DeleteWeComMedia bool }
	api.MustDo(admin, del, map[string]any{"id": spare.ID}, &ok)
	var rows int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM wecom_media WHERE filename = '旧目录.pdf'`).Scan(&rows)
	if !ok.DeleteWeComMedia || rows != 0 {
		t.Errorf("deleting the spare file: %v, %d rows left", ok.DeleteWeComMedia, rows)
	}
	if r := api.Do(admin, del, map[string]any{"id": spare.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("deleting it again: %+v, want NOT_FOUND", r.Errors)
	}

	// A deleted code and a cancelled broadcast use nothing any more.
	api.MustDo(admin, `mutation($id: ID!){ deleteContactWay(id: $id) }`, map[string]any{"id": code.CreateContactWay.ID}, nil)
	api.MustDo(admin, `mutation($id: ID!){ cancelBroadcast(id: $id) { id } }`, map[string]any{"id": bc.CreateBroadcast.ID}, nil)
	for _, id := range []string{video.ID, file.ID} {
		api.MustDo(admin, del, map[string]any{"id": id}, nil)
	}
	if p := list(admin, nil); p.WeComMedia.TotalCount != 0 {
		t.Errorf("left after the deletes: %s", p.names())
	}
	var atts struct {
		ContactWays []struct {
			WelcomeAttachments []struct {
				MediaID string
				Media   *struct{ ID string }
			}
		}
	}
	api.MustDo(admin, `{ contactWays(deleted: true) { welcomeAttachments { mediaID media { id } } } }`, nil, &atts)
	if len(atts.ContactWays) != 1 || len(atts.ContactWays[0].WelcomeAttachments) != 1 || atts.ContactWays[0].WelcomeAttachments[0].Media != nil {
		t.Errorf("the deleted code's attachment: %+v, want its mediaID with no media", atts)
	}
	if fake.Count("/cgi-bin/media/upload") != 0 {
		t.Errorf("the library called media/upload")
	}
}
