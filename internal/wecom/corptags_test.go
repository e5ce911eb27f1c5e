package wecom_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
)

// TestCorpTagsBothWays: the corp tag library and the workspace's tag groups
// meet in the middle (linked by name, created where missing, the
// workspace's grouped tags added to WeCom); a customer's corp tags reach
// their lead without being marked back; a tag put on the lead is marked in
// WeCom; a change of the library in WeCom is synced after its callback.
func TestCorpTagsBothWays(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	withSyncEndpoints(fake)
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation { createUser(input:{name: "张三", email: "zhangsan@acme.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {wecomUserID: "zhangsan"}) { id } }`, map[string]any{"id": u.CreateUser.ID}, nil)

	fake.CorpTags = []*wecomfake.TagGroup{{ID: "etG1", Name: "客户等级", Tags: []wecomfake.Tag{{ID: "etT1", Name: "重要客户"}, {ID: "etT2", Name: "普通客户"}}}}
	var tg struct {
		CreateTagGroup struct {
			Tags []struct{ ID, Name string }
		}
	}
	api.MustDo(admin, `mutation { createTagGroup(input: {name: "意向", tags: ["高意向", "低意向"]}) { tags { id name } } }`, nil, &tg)
	high := tg.CreateTagGroup.Tags[slices.IndexFunc(tg.CreateTagGroup.Tags, func(x struct{ ID, Name string }) bool { return x.Name == "高意向" })].ID
	api.MustDo(admin, `mutation { createTag(input: {name: "重要客户"}) { id } }`, nil, nil)
	api.MustDo(admin, `mutation { createTag(input: {name: "散标签"}) { id } }`, nil, nil)

	// The contacts sync syncs the library first.
	var job struct{ SyncWeComContacts struct{ ID string } }
	api.MustDo(admin, `mutation { syncWeComContacts { id } }`, nil, &job)
	if j := waitSync(t, api, admin, job.SyncWeComContacts.ID); j["status"] != "SUCCEEDED" {
		t.Fatalf("sync = %v", j)
	}
	linked := func(name string) (group, wecomID string) {
		t.Helper()
		var g, w *string
		_ = api.DB.DB.QueryRow(`SELECT g.name, t.wecom_tag_id FROM tags t LEFT JOIN tag_groups g ON g.id = t.group_id WHERE t.name = $1`, name).Scan(&g, &w)
		if g != nil {
			group = *g
		}
		if w != nil {
			wecomID = *w
		}
		return group, wecomID
	}
	for name, want := range map[string][2]string{"重要客户": {"客户等级", "etT1"}, "普通客户": {"客户等级", "etT2"}} {
		if g, w := linked(name); g != want[0] || w != want[1] {
			t.Errorf("tag %s: group %q, WeCom id %q; want %v", name, g, w, want)
		}
	}
	lib := fake.Library()
	gi := slices.IndexFunc(lib, func(g wecomfake.TagGroup) bool { return g.Name == "意向" })
	if gi < 0 || len(lib[gi].Tags) != 2 {
		t.Fatalf("WeCom's library after the sync: %+v", lib)
	}
	highWeCom := ""
	for _, x := range lib[gi].Tags {
		if _, w := linked(x.Name); w != x.ID {
			t.Errorf("tag %s is %s in WeCom but linked to %q", x.Name, x.ID, w)
		}
		if x.Name == "高意向" {
			highWeCom = x.ID
		}
	}
	if _, w := linked("散标签"); w != "" || slices.ContainsFunc(lib, func(g wecomfake.TagGroup) bool {
		return slices.ContainsFunc(g.Tags, func(x wecomfake.Tag) bool { return x.Name == "散标签" })
	}) {
		t.Errorf("an ungrouped tag went to WeCom")
	}

	// A customer zhangsan tagged 普通客户 arrives: the lead has the tag, and
	// nothing is marked back.
	fake.TagMember("wmTAG00000000000001", "zhangsan", "etT2")
	if resp, body := post(t, cbURL, fake.Add(customer{ExternalUserID: "wmTAG00000000000001", Name: "打标签的客户"}, "zhangsan", "", nil, api.Clock.Now())); resp.StatusCode != 200 {
		t.Fatalf("add = %d %s", resp.StatusCode, body)
	}
	api.WaitIdle()
	var leadID string
	var tags string
	if err := api.DB.DB.QueryRow(`SELECT l.id::text, string_agg(t.name, ',' ORDER BY t.name) FROM leads l
		JOIN lead_tags lt ON lt.lead_id = l.id JOIN tags t ON t.id = lt.tag_id
		WHERE l.wecom_external_user_id = 'wmTAG00000000000001' GROUP BY l.id`).Scan(&leadID, &tags); err != nil || tags != "普通客户" {
		t.Fatalf("the customer's lead tags = %q (%v), want 普通客户", tags, err)
	}
	if n := fake.Count("/cgi-bin/externalcontact/mark_tag"); n != 0 {
		t.Errorf("the customer's own corp tag was marked back %d times", n)
	}

	// Tagging the lead marks the tag in WeCom.
	id, err := uuid.Parse(leadID)
	if err != nil {
		t.Fatal(err)
	}
	api.MustDo(admin, `mutation($l: [ID!]!, $t: [ID!]!){ tagLeads(leadIDs: $l, tagIDs: $t) { affected } }`,
		map[string]any{"l": []string{gid.Encode(id)}, "t": []string{high}}, nil)
	api.WaitIdle()
	if got := fake.TagsOf("wmTAG00000000000001", "zhangsan"); !slices.Contains(got, highWeCom) || !slices.Contains(got, "etT2") {
		t.Errorf("WeCom's tags of the customer = %v, want %s added to etT2", got, highWeCom)
	}
	// Untagging takes it off in WeCom; the customer's own corp tag stays.
	api.MustDo(admin, `mutation($l: [ID!]!, $t: [ID!]!){ untagLeads(leadIDs: $l, tagIDs: $t) { affected } }`,
		map[string]any{"l": []string{gid.Encode(id)}, "t": []string{high}}, nil)
	api.WaitIdle()
	if got := fake.TagsOf("wmTAG00000000000001", "zhangsan"); slices.Contains(got, highWeCom) || !slices.Contains(got, "etT2") {
		t.Errorf("WeCom's tags of the customer after untagLeads = %v, want only etT2", got)
	}
	// Tagged again (for what follows).
	api.MustDo(admin, `mutation($l: [ID!]!, $t: [ID!]!){ tagLeads(leadIDs: $l, tagIDs: $t) { affected } }`,
		map[string]any{"l": []string{gid.Encode(id)}, "t": []string{high}}, nil)
	api.WaitIdle()

	// WeCom's library changes (a tag added in the admin console): the
	// change_external_tag callback syncs it.
	fake.Mu.Lock()
	fake.CorpTags[0].Tags = append(fake.CorpTags[0].Tags, wecomfake.Tag{ID: "etT9", Name: "VIP"})
	fake.Mu.Unlock()
	ts := strconv.FormatInt(api.Clock.Now().Unix(), 10)
	ev := fake.Seal(corpID, "<xml><ToUserName><![CDATA["+corpID+"]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"+
		"<CreateTime>"+ts+"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event>"+
		"<Id><![CDATA[etT9]]></Id><TagType><![CDATA[tag]]></TagType><ChangeType><![CDATA[create]]></ChangeType></xml>", ts)
	if resp, body := post(t, cbURL, ev); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "APPLIED" {
		t.Fatalf("change_external_tag = %d %s %s", resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"), body)
	}
	api.WaitIdle()
	if g, w := linked("VIP"); g != "客户等级" || w != "etT9" {
		t.Errorf("the new corp tag: group %q, WeCom id %q", g, w)
	}

	// WeCom renames a group and a tag, renames VIP to a name the workspace
	// has (散标签: VIP keeps its name), deletes 普通客户 and the whole 意向
	// group: the renames are taken, the deleted ones unlinked and marked, kept
	// in the workspace (the lead keeps 普通客户) and not added back.
	pushed := fake.Count("/cgi-bin/externalcontact/add_corp_tag")
	fake.Mu.Lock()
	fake.CorpTags[0].Name = "客户分级"
	fake.CorpTags[0].Tags = []wecomfake.Tag{{ID: "etT1", Name: "核心客户"}, {ID: "etT9", Name: "散标签"}}
	fake.CorpTags = slices.DeleteFunc(fake.CorpTags, func(g *wecomfake.TagGroup) bool { return g.Name == "意向" })
	fake.Mu.Unlock()
	ts = strconv.FormatInt(api.Clock.Now().Unix()+1, 10)
	ev = fake.Seal(corpID, "<xml><ToUserName><![CDATA["+corpID+"]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"+
		"<CreateTime>"+ts+"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event>"+
		"<Id><![CDATA[etT2]]></Id><TagType><![CDATA[tag]]></TagType><ChangeType><![CDATA[delete]]></ChangeType></xml>", ts)
	if resp, body := post(t, cbURL, ev); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "APPLIED" {
		t.Fatalf("change_external_tag delete = %d %s %s", resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"), body)
	}
	api.WaitIdle()
	if g, w := linked("核心客户"); g != "客户分级" || w != "etT1" {
		t.Errorf("the renamed corp tag: group %q, WeCom id %q", g, w)
	}
	if g, w := linked("VIP"); g != "客户分级" || w != "etT9" {
		t.Errorf("the tag WeCom renamed to a taken name: group %q, WeCom id %q (want VIP kept, linked)", g, w)
	}
	removed := func(table, name string) bool {
		t.Helper()
		var linkedID *string
		var at *string
		col := map[string]string{"tags": "wecom_tag_id", "tag_groups": "wecom_group_id"}[table]
		if err := api.DB.DB.QueryRow(`SELECT `+col+`, wecom_removed_at::text FROM `+table+` WHERE name = $1`, name).Scan(&linkedID, &at); err != nil {
			t.Fatalf("%s %s: %v", table, name, err)
		}
		return linkedID == nil && at != nil
	}
	for _, x := range [][2]string{{"tags", "普通客户"}, {"tags", "高意向"}, {"tags", "低意向"}, {"tag_groups", "意向"}} {
		if !removed(x[0], x[1]) {
			t.Errorf("%s %s deleted in WeCom is not unlinked and marked removed", x[0], x[1])
		}
	}
	if removed("tags", "核心客户") || removed("tag_groups", "客户分级") {
		t.Errorf("a tag or group WeCom kept was marked removed")
	}
	var still int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM lead_tags lt JOIN tags t ON t.id = lt.tag_id WHERE t.name IN ('普通客户', '高意向')`).Scan(&still)
	if still != 2 {
		t.Errorf("the lead's tags deleted in WeCom: %d left, want both kept", still)
	}
	if n := fake.Count("/cgi-bin/externalcontact/add_corp_tag"); n != pushed {
		t.Errorf("add_corp_tag called %d more times: tags deleted in WeCom were added back", n-pushed)
	}
	if lib := fake.Library(); len(lib) != 1 {
		t.Errorf("WeCom's library after the sync: %+v", lib)
	}
}
