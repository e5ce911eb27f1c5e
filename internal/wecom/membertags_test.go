package wecom_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
)

// TestMemberTagEdits: a member's edit of a customer's corp tags in WeCom
// (edit_external_contact, read again with externalcontact/get) reaches the
// customer's lead: linked tags added there are put on, linked tags no member
// has any more come off, a tag another member still has stays, corp tags the
// workspace has not linked and the workspace's own tags are left alone, and
// nothing is marked back in WeCom.
func TestMemberTagEdits(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	for _, m := range []string{"zhangsan", "lisi"} {
		var u struct{ CreateUser struct{ ID string } }
		api.MustDo(admin, `mutation($e: String!){ createUser(input:{name: "成员", email: $e, password: "rep-password", roles: ["rep"]}){ id } }`,
			map[string]any{"e": m + "@acme.test"}, &u)
		api.MustDo(admin, `mutation($id: ID!, $m: String){ updateUser(id: $id, input: {wecomUserID: $m}) { id } }`,
			map[string]any{"id": u.CreateUser.ID, "m": m}, nil)
	}

	// The corp library is linked through its change callback.
	fake.CorpTags = []*wecomfake.TagGroup{{ID: "etG1", Name: "客户等级", Tags: []wecomfake.Tag{{ID: "etT1", Name: "重要客户"}, {ID: "etT2", Name: "普通客户"}}}}
	seq := int64(0)
	send := func(what string, cb callback, want string) {
		t.Helper()
		resp, body := post(t, cbURL, cb)
		if resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != want {
			t.Fatalf("%s = %d %s %s, want %s", what, resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"), body, want)
		}
		api.WaitIdle()
	}
	at := func() time.Time { seq++; return api.Clock.Now().Add(time.Duration(seq) * time.Second) }
	ts := strconv.FormatInt(at().Unix(), 10)
	send("change_external_tag", fake.Seal(corpID, "<xml><ToUserName><![CDATA["+corpID+"]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"+
		"<CreateTime>"+ts+"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event>"+
		"<Id><![CDATA[etG1]]></Id><TagType><![CDATA[tag_group]]></TagType><ChangeType><![CDATA[create]]></ChangeType></xml>", ts), "APPLIED")
	// A tag added in WeCom whose change the workspace has not synced yet.
	fake.Mu.Lock()
	fake.CorpTags[0].Tags = append(fake.CorpTags[0].Tags, wecomfake.Tag{ID: "etT7", Name: "未同步"})
	fake.Mu.Unlock()
	var own struct{ CreateTag struct{ ID string } }
	api.MustDo(admin, `mutation { createTag(input: {name: "本地"}) { id } }`, nil, &own)

	const ext = "wmEDIT0000000000001"
	send("add by zhangsan", fake.Add(customer{ExternalUserID: ext, Name: "改标签的客户"}, "zhangsan", "", nil, at()), "APPLIED")
	var leadID string
	if err := api.DB.DB.QueryRow(`SELECT id::text FROM leads WHERE wecom_external_user_id = $1`, ext).Scan(&leadID); err != nil {
		t.Fatal(err)
	}
	lead, err := uuid.Parse(leadID)
	if err != nil {
		t.Fatal(err)
	}
	api.MustDo(admin, `mutation($l: [ID!]!, $t: [ID!]!){ tagLeads(leadIDs: $l, tagIDs: $t) { affected } }`,
		map[string]any{"l": []string{gid.Encode(lead)}, "t": []string{own.CreateTag.ID}}, nil)
	api.WaitIdle()
	tags := func() string {
		t.Helper()
		rows, err := api.DB.DB.Query(`SELECT t.name FROM lead_tags lt JOIN tags t ON t.id = lt.tag_id WHERE lt.lead_id = $1`, leadID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		return sortedCSV(strings.Join(names, ","))
	}
	setTags := func(member string, ids ...string) {
		fake.Mu.Lock()
		defer fake.Mu.Unlock()
		fake.MemberTags[ext+"/"+member] = ids
	}
	steps := []struct {
		name, member string
		memberTags   []string
		want         string
	}{
		{"zhangsan tags 重要客户 and an unsynced tag", "zhangsan", []string{"etT1", "etT7"}, "本地,重要客户"},
		{"zhangsan swaps 重要客户 for 普通客户", "zhangsan", []string{"etT2", "etT7"}, "普通客户,本地"},
		{"zhangsan clears his tags", "zhangsan", nil, "本地"},
	}
	for _, st := range steps {
		setTags(st.member, st.memberTags...)
		send(st.name, fake.Event(at(), st.member, ext, "edit_external_contact", ""), "APPLIED")
		if got := tags(); got != sortedCSV(st.want) {
			t.Errorf("%s: lead tags %q, want %q", st.name, got, sortedCSV(st.want))
		}
	}

	// A second member has the customer with 普通客户: zhangsan's edits no
	// longer take it off, lisi's removal does.
	setTags("lisi", "etT2")
	send("add by lisi", fake.Add(customer{ExternalUserID: ext, Name: "改标签的客户"}, "lisi", "", nil, at()), "APPLIED")
	setTags("zhangsan", "etT1")
	send("zhangsan tags 重要客户", fake.Event(at(), "zhangsan", ext, "edit_external_contact", ""), "APPLIED")
	if got, want := tags(), sortedCSV("本地,重要客户,普通客户"); got != want {
		t.Errorf("with both members' tags: %q, want %q", got, want)
	}
	setTags("zhangsan")
	edit := fake.Event(at(), "zhangsan", ext, "edit_external_contact", "")
	send("zhangsan clears his tags again", edit, "APPLIED")
	if got, want := tags(), sortedCSV("本地,普通客户"); got != want {
		t.Errorf("lisi still has 普通客户: %q, want %q", got, want)
	}
	setTags("lisi")
	send("lisi clears hers", fake.Event(at(), "lisi", ext, "edit_external_contact", ""), "APPLIED")
	if got := tags(); got != sortedCSV("本地") {
		t.Errorf("after both members cleared their tags: %q, want 本地", got)
	}
	// A replayed edit changes nothing, though WeCom's tags moved since.
	setTags("zhangsan", "etT1")
	send("replayed edit", edit, "REPLAYED")
	if got := tags(); got != sortedCSV("本地") {
		t.Errorf("a replayed edit changed the tags: %q", got)
	}
	if n := fake.Count("/cgi-bin/externalcontact/mark_tag"); n != 0 {
		t.Errorf("WeCom's own tag edits were marked back %d times", n)
	}
	var edited int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM events WHERE name = 'wecom.edited' AND lead_id = $1`, leadID).Scan(&edited)
	if edited != 6 {
		t.Errorf("wecom.edited events = %d, want 6", edited)
	}
}

// sortedCSV sorts a comma-separated list.
func sortedCSV(s string) string {
	parts := strings.Split(s, ",")
	slices.Sort(parts)
	return strings.Join(parts, ",")
}
