package wecom_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
)

// syncEndpoints adds to the fake WeCom the paging endpoint
// syncWeComContacts calls, with the documented shape
// (https://developer.work.weixin.qq.com/document/path/92994):
//
//	POST /cgi-bin/externalcontact/batch/get_by_user {userid_list (≤100), cursor, limit (≤100)}
//	    -> external_contact_list [{external_contact, follow_info{userid, createtime, tag_id, remark_mobiles, state...}}], next_cursor;
//	    40014 bad token, 40058 a bad limit or user list
//
// The members' tags come from the fake's corp tag state; it counts the
// pages it served.
type syncEndpoints struct {
	f     *fakeWeCom
	mu    sync.Mutex
	pages int
}

func withSyncEndpoints(f *fakeWeCom) *syncEndpoints {
	s := &syncEndpoints{f: f}
	mux := f.Srv.Config.Handler.(*http.ServeMux)
	mux.HandleFunc("POST /cgi-bin/externalcontact/batch/get_by_user", s.batch)
	return s
}

func (s *syncEndpoints) validToken(r *http.Request) bool {
	s.f.Mu.Lock()
	defer s.f.Mu.Unlock()
	return s.f.Tokens[r.URL.Query().Get("access_token")]
}

func (s *syncEndpoints) batch(w http.ResponseWriter, r *http.Request) {
	if !s.validToken(r) {
		s.f.Answer(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return
	}
	var req struct {
		UserIDList []string `json:"userid_list"`
		Cursor     string   `json:"cursor"`
		Limit      int      `json:"limit"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.UserIDList) == 0 || len(req.UserIDList) > 100 || req.Limit > 100 {
		s.f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	if req.Limit <= 0 {
		req.Limit = 50
	}
	s.f.Mu.Lock()
	var exts []string
	for ext := range s.f.Customers {
		exts = append(exts, ext)
	}
	slices.Sort(exts)
	type pair struct {
		c  *customer
		fl wecomfake.Follow
	}
	var all []pair
	for _, u := range req.UserIDList {
		for _, ext := range exts {
			c := s.f.Customers[ext]
			for _, fl := range c.Follow {
				if fl.UserID == u {
					all = append(all, pair{c, fl})
				}
			}
		}
	}
	s.f.Calls[r.URL.Path]++
	s.f.Mu.Unlock()
	start, _ := strconv.Atoi(req.Cursor)
	end := min(len(all), start+req.Limit)
	var list []map[string]any
	s.mu.Lock()
	for _, p := range all[min(start, len(all)):end] {
		tags := s.f.TagsOf(p.c.ExternalUserID, p.fl.UserID)
		list = append(list, map[string]any{
			"external_contact": map[string]any{"external_userid": p.c.ExternalUserID, "name": p.c.Name, "type": 1,
				"gender": 1, "unionid": p.c.UnionID, "corp_name": p.c.CorpName},
			"follow_info": map[string]any{"userid": p.fl.UserID, "remark": "", "description": "", "createtime": p.fl.CreateTime,
				"tag_id": append([]string{}, tags...), "remark_mobiles": p.fl.Mobiles, "add_way": 1, "oper_userid": p.fl.UserID, "state": p.fl.State},
		})
	}
	s.pages++
	s.mu.Unlock()
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	s.f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "external_contact_list": list, "next_cursor": next})
}

// TestSyncContacts syncs the corp's customers into a workspace where one of
// them already arrived by callback: every linked member's customers are
// paged through (more than one page), each becomes a lead owned by the
// member who added them first, unlinked members' customers are left out,
// and a second sync writes nothing.
func TestSyncContacts(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	endpoints := withSyncEndpoints(fake)
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"

	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	users := map[string]string{}
	for _, m := range []string{"zhangsan", "lisi"} {
		var u struct{ CreateUser struct{ ID string } }
		api.MustDo(admin, `mutation($e: String!, $n: String!){ createUser(input:{name: $n, email: $e, password: "rep-password", roles: ["rep"]}){ id } }`,
			map[string]any{"e": m + "@acme.test", "n": m}, &u)
		users[m] = u.CreateUser.ID
		api.MustDo(admin, `mutation($id: ID!, $w: String){ updateUser(id: $id, input: {wecomUserID: $w}){ id } }`,
			map[string]any{"id": u.CreateUser.ID, "w": m}, nil)
	}

	t0 := api.Clock.Now().Add(-30 * 24 * time.Hour)
	// c-both: lisi added them first, then zhangsan; the lead is lisi's.
	fake.Add(customer{ExternalUserID: "wm-both", Name: "两位成员的客户"}, "lisi", "", []string{"13800138000"}, t0)
	fake.Add(customer{ExternalUserID: "wm-both", Name: "两位成员的客户"}, "zhangsan", "cwSYNCSTATE0001", nil, t0.Add(time.Hour))
	fake.CorpTags = []*wecomfake.TagGroup{{ID: "g1", Name: "客户等级", Tags: []wecomfake.Tag{{ID: "t1", Name: "重要客户"}}}}
	fake.TagMember("wm-both", "lisi", "t1")
	// 120 more of zhangsan's, so the sync pages (100 per page).
	for i := range 120 {
		fake.Add(customer{ExternalUserID: fmt.Sprintf("wm-%03d", i), Name: fmt.Sprintf("客户%d", i)}, "zhangsan", "",
			[]string{fmt.Sprintf("1390000%04d", i)}, t0.Add(time.Duration(i+2)*time.Hour))
	}
	// A customer of a member no user is linked to stays out.
	fake.Add(customer{ExternalUserID: "wm-other", Name: "别人的客户"}, "wangwu", "", nil, t0)
	// One customer already arrived through the add callback.
	cb := fake.Add(customer{ExternalUserID: "wm-live", Name: "回调来的客户", UnionID: "union-live"}, "zhangsan", "", nil, api.Clock.Now())
	if resp, body := post(t, cbURL, cb); resp.StatusCode != 200 {
		t.Fatalf("callback = %d %s", resp.StatusCode, body)
	}
	before := countAll(t, api)
	if before.Leads != 1 || before.Contacts != 1 {
		t.Fatalf("before the sync: %+v", before)
	}

	run := func() map[string]any {
		t.Helper()
		var out struct {
			SyncWeComContacts struct{ ID, Kind, Status string }
		}
		api.MustDo(admin, `mutation SyncWeComContacts { syncWeComContacts { id kind status } }`, nil, &out)
		if out.SyncWeComContacts.Kind != "WECOM_SYNC" {
			t.Fatalf("syncWeComContacts = %+v", out)
		}
		return waitSync(t, api, admin, out.SyncWeComContacts.ID)
	}
	j := run()
	// 2 + 120 + 1 relationships of linked members.
	if j["status"] != "SUCCEEDED" || j["total"] != 123.0 || j["done"] != 123.0 || j["failed"] != 0.0 {
		t.Fatalf("sync job = %v", j)
	}
	after := countAll(t, api)
	if after.Leads != 122 || after.Contacts != 123 || after.Events != 123 {
		t.Fatalf("after the sync: %+v, want 122 leads (121 new), 123 contacts and wecom.added events", after)
	}
	if endpoints.pages != 2 {
		t.Errorf("the sync read %d pages, want 2 (123 relationships, 100 a page)", endpoints.pages)
	}
	var owner, phone string
	if err := api.DB.DB.QueryRow(`SELECT u.email, l.phone FROM leads l JOIN users u ON u.id = l.owner_id WHERE l.wecom_external_user_id = 'wm-both'`).
		Scan(&owner, &phone); err != nil || owner != "lisi@acme.test" || phone != "+8613800138000" {
		t.Fatalf("wm-both's lead: owner %q phone %q (%v), want lisi's with lisi's remark mobile", owner, phone, err)
	}
	var addedAt time.Time
	if err := api.DB.DB.QueryRow(`SELECT w.added_at FROM wecom_contacts w JOIN users u ON u.id = w.user_id
		WHERE w.external_user_id = 'wm-both' AND u.email = 'zhangsan@acme.test'`).Scan(&addedAt); err != nil ||
		!addedAt.Equal(t0.Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("zhangsan's relationship added at %v (%v), want when WeCom says: %v", addedAt, err, t0.Add(time.Hour))
	}
	// The add's state (a contact-way code's) comes with the relationship; none for a direct add.
	var states string
	_ = api.DB.DB.QueryRow(`SELECT string_agg(u.email || '=' || coalesce(w.state, ''), ',' ORDER BY u.email) FROM wecom_contacts w
		JOIN users u ON u.id = w.user_id WHERE w.external_user_id = 'wm-both'`).Scan(&states)
	if states != "lisi@acme.test=,zhangsan@acme.test=cwSYNCSTATE0001" {
		t.Errorf("wm-both's relationships' states: %s", states)
	}
	var other int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM leads WHERE wecom_external_user_id = 'wm-other'`).Scan(&other)
	if other != 0 {
		t.Errorf("an unlinked member's customer became a lead")
	}

	// A second sync finds nothing new and writes nothing.
	var stamp string
	snapshot := func() string {
		_ = api.DB.DB.QueryRow(`SELECT (SELECT coalesce(max(updated_at)::text, '') FROM wecom_contacts) || (SELECT coalesce(max(updated_at)::text, '') FROM leads) ||
			(SELECT count(*)::text FROM owner_changes) || (SELECT count(*)::text FROM events)`).Scan(&stamp)
		return stamp
	}
	api.WaitIdle() // assignment and scoring of the new leads
	was := snapshot()
	j = run()
	api.WaitIdle()
	if j["status"] != "SUCCEEDED" || j["done"] != 123.0 {
		t.Fatalf("second sync job = %v", j)
	}
	if now := countAll(t, api); now != after || snapshot() != was {
		t.Fatalf("the second sync wrote: %+v -> %+v, %s -> %s", after, now, was, snapshot())
	}
}

// waitSync polls the job until it is over (the test server's worker runs
// it), for at most 30 s.
func waitSync(t *testing.T, api *apitest.API, token, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out struct{ Node map[string]any }
		api.MustDo(token, `query($id: ID!){ node(id: $id){ ... on Job { id status total done failed error } } }`, map[string]any{"id": id}, &out)
		switch out.Node["status"] {
		case "SUCCEEDED", "FAILED", "CANCELLED":
			return out.Node
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync job still %v after 30 s", out.Node)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
