package wecom_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/wecom"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
)

// TestCorpTagEditsReachWeCom: renames and deletes of linked tags and groups
// made in scrm are committed and sent to WeCom by the outbox task
// (edit_corp_tag, del_corp_tag); WeCom's callback of our own change comes
// back without changing anything; a move to another group and a name too
// long for WeCom are refused and write nothing; WeCom's busy answers are
// retried, and its refusal keeps the workspace's change and notifies the
// admin who made it.
func TestCorpTagEditsReachWeCom(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	withSyncEndpoints(fake)
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	fake.CorpTags = []*wecomfake.TagGroup{
		{ID: "etG1", Name: "客户等级", Tags: []wecomfake.Tag{{ID: "etT1", Name: "重要客户"}, {ID: "etT2", Name: "普通客户"}, {ID: "etT3", Name: "潜在客户"}}},
		{ID: "etG2", Name: "来源", Tags: []wecomfake.Tag{{ID: "etT4", Name: "展会"}, {ID: "etT5", Name: "官网"}}},
	}
	api.MustDo(admin, `mutation { createTagGroup(input: {name: "意向", tags: ["高意向"]}) { id } }`, nil, nil)
	var job struct{ SyncWeComContacts struct{ ID string } }
	api.MustDo(admin, `mutation { syncWeComContacts { id } }`, nil, &job)
	if j := waitSync(t, api, admin, job.SyncWeComContacts.ID); j["status"] != "SUCCEEDED" {
		t.Fatalf("sync = %v", j)
	}
	id := func(table, name string) string {
		t.Helper()
		var s string
		if err := api.DB.DB.QueryRow(`SELECT id::text FROM `+table+` WHERE name = $1`, name).Scan(&s); err != nil {
			t.Fatalf("%s %s: %v", table, name, err)
		}
		return gidOf(t, table, s)
	}
	lib := func() map[string]string { // WeCom id -> name, groups and tags
		out := map[string]string{}
		for _, g := range fake.Library() {
			out[g.ID] = g.Name
			for _, x := range g.Tags {
				out[x.ID] = x.Name
			}
		}
		return out
	}
	names := func(table string) []string {
		t.Helper()
		rows, err := api.DB.DB.Query(`SELECT name FROM ` + table + ` ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			out = append(out, n)
		}
		return out
	}
	tagEvent := func(wecomID, kind, change string, at int64) {
		t.Helper()
		ts := strconv.FormatInt(at, 10)
		ev := fake.Seal(corpID, "<xml><ToUserName><![CDATA["+corpID+"]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"+
			"<CreateTime>"+ts+"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event>"+
			"<Id><![CDATA["+wecomID+"]]></Id><TagType><![CDATA["+kind+"]]></TagType><ChangeType><![CDATA["+change+"]]></ChangeType></xml>", ts)
		if resp, body := post(t, cbURL, ev); resp.StatusCode != 200 {
			t.Fatalf("change_external_tag = %d %s", resp.StatusCode, body)
		}
		api.WaitIdle()
	}
	const editPath, delPath, addPath = "/cgi-bin/externalcontact/edit_corp_tag", "/cgi-bin/externalcontact/del_corp_tag", "/cgi-bin/externalcontact/add_corp_tag"
	pushed := fake.Count(addPath)
	if pushed == 0 || lib()["etT1"] != "重要客户" {
		t.Fatalf("the sync did not link and push: %v", lib())
	}

	// The API says which tags and groups are WeCom's.
	var q struct {
		TagGroups []struct {
			Name         string
			WecomCorpTag bool
			Tags         []struct {
				Name         string
				WecomCorpTag bool
			}
		}
	}
	api.MustDo(admin, `{ tagGroups { name wecomCorpTag tags { name wecomCorpTag } } }`, nil, &q)
	linkedNames := map[string]bool{}
	for _, g := range q.TagGroups {
		linkedNames[g.Name] = g.WecomCorpTag
		for _, x := range g.Tags {
			linkedNames[x.Name] = x.WecomCorpTag
		}
	}
	if !linkedNames["客户等级"] || !linkedNames["重要客户"] || !linkedNames["高意向"] || len(linkedNames) != 9 {
		t.Errorf("wecomCorpTag after the sync: %v", linkedNames)
	}
	api.MustDo(admin, `mutation { createTag(input: {name: "散标签"}) { id } }`, nil, nil)
	var one struct {
		Tags []struct {
			Name         string
			WecomCorpTag bool
		}
	}
	api.MustDo(admin, `{ tags { name wecomCorpTag } }`, nil, &one)
	for _, x := range one.Tags {
		if x.WecomCorpTag != (x.Name != "散标签") {
			t.Errorf("tags: %s wecomCorpTag %v", x.Name, x.WecomCorpTag)
		}
	}

	// A rename of a linked tag and of a linked group reaches WeCom.
	api.MustDo(admin, `mutation($id: ID!){ updateTag(id: $id, input: {name: "核心客户"}) { name } }`, map[string]any{"id": id("tags", "重要客户")}, nil)
	api.MustDo(admin, `mutation($id: ID!){ updateTagGroup(id: $id, input: {name: "客户分级"}) { name } }`, map[string]any{"id": id("tag_groups", "客户等级")}, nil)
	api.WaitIdle()
	if l := lib(); l["etT1"] != "核心客户" || l["etG1"] != "客户分级" {
		t.Errorf("WeCom after the renames: %v", l)
	}
	if n := fake.Count(editPath); n != 2 {
		t.Errorf("edit_corp_tag called %d times, want 2", n)
	}
	// WeCom's callbacks of our own edits come back: the sync finds the names
	// already ours and sends nothing again.
	tagEvent("etT1", "tag", "update", api.Clock.Now().Unix())
	tagEvent("etG1", "tag_group", "update", api.Clock.Now().Unix()+1)
	if n, a := fake.Count(editPath), fake.Count(addPath); n != 2 || a != pushed {
		t.Errorf("after WeCom's callbacks: edit_corp_tag %d (want 2), add_corp_tag %d more", n, a-pushed)
	}
	if got := names("tags"); !slices.Contains(got, "核心客户") || slices.Contains(got, "重要客户") {
		t.Errorf("the workspace's tags after the callback: %v", got)
	}

	// Refusals write nothing: a linked tag moved to another group, a name
	// over WeCom's 30 characters.
	outbox := func() int {
		var n int
		_ = api.DB.DB.QueryRow(`SELECT count(*) FROM outbox_tasks WHERE task_type = 'wecom:corp_tag'`).Scan(&n)
		return n
	}
	before, beforeNames := outbox(), names("tags")
	r := api.Do(admin, `mutation($id: ID!, $g: ID!){ updateTag(id: $id, input: {groupID: $g, name: "普通客户2"}) { name } }`,
		map[string]any{"id": id("tags", "普通客户"), "g": id("tag_groups", "意向")})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" || !strings.Contains(r.Errors[0].Message, "WeCom cannot move") {
		t.Errorf("moving a linked tag: %+v", r.Errors)
	}
	r = api.Do(admin, `mutation($id: ID!){ updateTag(id: $id, input: {clearGroup: true}) { name } }`, map[string]any{"id": id("tags", "普通客户")})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" {
		t.Errorf("taking a linked tag out of its group: %+v", r.Errors)
	}
	r = api.Do(admin, `mutation($id: ID!){ updateTag(id: $id, input: {name: "`+strings.Repeat("长", 31)+`"}) { name } }`, map[string]any{"id": id("tags", "普通客户")})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "input.name" {
		t.Errorf("a linked tag's name over 30 characters: %+v", r.Errors)
	}
	api.WaitIdle()
	if outbox() != before || fake.Count(editPath) != 2 || !slices.Equal(names("tags"), beforeNames) {
		t.Errorf("a refusal wrote something: outbox %d -> %d, edit_corp_tag %d, tags %v", before, outbox(), fake.Count(editPath), names("tags"))
	}

	// Deletes: a linked tag, then a linked group with its tags.
	api.MustDo(admin, `mutation($id: ID!){ deleteTag(id: $id) }`, map[string]any{"id": id("tags", "普通客户")}, nil)
	api.MustDo(admin, `mutation($id: ID!){ deleteTagGroup(id: $id) }`, map[string]any{"id": id("tag_groups", "来源")}, nil)
	api.WaitIdle()
	if l := lib(); l["etT2"] != "" || l["etG2"] != "" || l["etT4"] != "" || l["etT1"] != "核心客户" {
		t.Errorf("WeCom after the deletes: %v", l)
	}
	if n := fake.Count(delPath); n != 2 {
		t.Errorf("del_corp_tag called %d times, want 2", n)
	}
	tagEvent("etT2", "tag", "delete", api.Clock.Now().Unix()+2)
	tagEvent("etG2", "tag_group", "delete", api.Clock.Now().Unix()+3)
	if got := names("tag_groups"); slices.Contains(got, "来源") {
		t.Errorf("the deleted group came back: %v", got)
	}
	if got := names("tags"); slices.Contains(got, "普通客户") || slices.Contains(got, "展会") {
		t.Errorf("deleted tags came back: %v", got)
	}
	if a := fake.Count(addPath); a != pushed {
		t.Errorf("add_corp_tag called %d more times after the deletes", a-pushed)
	}

	// WeCom busy three times: the call is retried and succeeds.
	fake.Mu.Lock()
	fake.CorpTagErrcodes = []int{-1, 45033, -1}
	fake.Mu.Unlock()
	api.MustDo(admin, `mutation($id: ID!){ updateTag(id: $id, input: {name: "意向客户"}) { name } }`, map[string]any{"id": id("tags", "潜在客户")}, nil)
	api.WaitIdle()
	if l := lib(); l["etT3"] != "意向客户" {
		t.Errorf("WeCom after a busy rename: %v", l)
	}
	// WeCom refuses (a name its group has): the rename stays in the
	// workspace and the admin is told.
	notes := func() []string {
		rows, err := api.DB.DB.Query(`SELECT message FROM notifications WHERE kind = $1 ORDER BY created_at`, wecom.NotificationCorpTag)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var m string
			_ = rows.Scan(&m)
			out = append(out, m)
		}
		return out
	}
	if n := notes(); len(n) != 0 {
		t.Fatalf("notifications before any refusal: %v", n)
	}
	fake.Mu.Lock()
	fake.CorpTagErrcodes = []int{40071}
	fake.Mu.Unlock()
	api.MustDo(admin, `mutation($id: ID!){ updateTag(id: $id, input: {name: "待跟进"}) { name } }`, map[string]any{"id": id("tags", "意向客户")}, nil)
	api.WaitIdle()
	if l := lib(); l["etT3"] != "意向客户" {
		t.Errorf("WeCom took a refused rename: %v", l)
	}
	if got := names("tags"); !slices.Contains(got, "待跟进") {
		t.Errorf("the refused rename was undone in the workspace: %v", got)
	}
	if n := notes(); len(n) != 1 || !strings.Contains(n[0], "待跟进") || !strings.Contains(n[0], "40071") {
		t.Errorf("notifications of the refusal: %v", n)
	}
	var to string
	_ = api.DB.DB.QueryRow(`SELECT u.email FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = $1`, wecom.NotificationCorpTag).Scan(&to)
	if to != "admin@acme.test" {
		t.Errorf("the refusal was told to %q, want the admin who renamed", to)
	}

	// A temporary failure on the task's last attempt is reported too; a
	// delete of a tag WeCom no longer has (a retried delete) is done.
	ctx := scope.Unscoped(tenant.NewContext(context.Background(), created.Workspace.ID))
	fake.Mu.Lock()
	fake.CorpTagErrcodes = []int{-1, -1, -1, -1}
	fake.Mu.Unlock()
	if err := api.Services.WeCom.SendCorpTagChange(ctx, wecom.CorpTagChange{EditID: "etT3", Name: "待跟进", What: "标签「意向客户」改名为「待跟进」"}, true); err == nil {
		t.Errorf("a last attempt WeCom was busy for succeeded")
	}
	if n := notes(); len(n) != 2 || !strings.Contains(n[1], "-1") {
		t.Errorf("notifications after a failed last attempt: %v", n)
	}
	if err := api.Services.WeCom.SendCorpTagChange(ctx, wecom.CorpTagChange{DelTags: []string{"etT2"}, What: "删除标签「普通客户」"}, false); err != nil {
		t.Errorf("deleting a tag WeCom no longer has: %v", err)
	}
	if n := notes(); len(n) != 2 {
		t.Errorf("an already deleted tag was reported: %v", n)
	}
}

// gidOf encodes the row id s as its GraphQL id.
func gidOf(t *testing.T, _ string, s string) string {
	t.Helper()
	u, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return gid.Encode(u)
}
