package wecom_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/wecom/wecomfake"
)

const (
	corpID        = "ww1234567890abcdef"
	contactSecret = "contact-secret-0123456789"
	cbToken       = "QDG6eK0123456789"
	aesKey        = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C" // 43 characters, as WeCom shows it
)

// post sends a callback to the workspace's callback URL.
func post(t *testing.T, url string, cb callback) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url+"?"+cb.Query.Encode(), "text/xml", strings.NewReader(cb.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// counts is what the callbacks may change, read straight from the database.
type counts struct{ Leads, Contacts, Lost, Removed, Events, Notes int }

func countAll(t *testing.T, api *apitest.API) counts {
	t.Helper()
	var c counts
	err := api.DB.DB.QueryRow(`SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM wecom_contacts),
		(SELECT count(*) FROM wecom_contacts WHERE lost_at IS NOT NULL), (SELECT count(*) FROM wecom_contacts WHERE removed_at IS NOT NULL),
		(SELECT count(*) FROM events WHERE name LIKE 'wecom.%'), (SELECT count(*) FROM notifications WHERE kind = 'wecom.lost')`).
		Scan(&c.Leads, &c.Contacts, &c.Lost, &c.Removed, &c.Events, &c.Notes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCustomersEndToEnd configures a workspace's corp, links a member, and
// lets the fake WeCom add customers, replay and forge callbacks, and delete
// the member, checking the database and the API after each step.
func TestCustomersEndToEnd(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	now := func() time.Time { return api.Clock.Now() }

	// The admin configures the corp and links a rep to member zhangsan.
	var ch struct{ ConfigureChannel struct{ Key string } }
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, &ch)
	var u struct{ CreateUser struct{ ID string } }
	for _, name := range []string{"rep1", "rep2"} {
		api.MustDo(admin, `mutation($e: String!){ createUser(input:{name: "张三", email: $e, password: "rep-password", roles: ["rep"]}){ id } }`,
			map[string]any{"e": name + "@acme.test"}, &u)
	}
	rep2 := u.CreateUser.ID
	api.MustDo(admin, `mutation($e: String!){ createUser(input:{name: "张三", email: $e, password: "rep-password", roles: ["rep"]}){ id } }`,
		map[string]any{"e": "zhangsan@acme.test"}, &u)
	rep := u.CreateUser.ID
	link := `mutation LinkWeComUser($id: ID!, $wecomUserID: String) { updateUser(id: $id, input: {wecomUserID: $wecomUserID}) { id wecomUserID } }`
	var linked struct {
		UpdateUser struct{ ID, WecomUserID string }
	}
	api.MustDo(admin, link, map[string]any{"id": rep, "wecomUserID": "zhangsan"}, &linked)
	if linked.UpdateUser.WecomUserID != "zhangsan" {
		t.Fatalf("linked = %+v", linked)
	}
	if r := api.Do(admin, link, map[string]any{"id": rep2, "wecomUserID": "zhangsan"}); len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" {
		t.Fatalf("a second user linked to the same member: %+v", r.Errors)
	}

	t.Run("URL verification", func(t *testing.T) {
		resp, err := http.Get(cbURL + "?" + fake.Verification("echo-1520384733", now()).Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "echo-1520384733" {
			t.Fatalf("verification = %d %q", resp.StatusCode, b)
		}
		q := fake.Verification("echo-2", now())
		q.Set("msg_signature", strings.Repeat("0", 40))
		if resp, _ := http.Get(cbURL + "?" + q.Encode()); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged verification = %d", resp.StatusCode)
		}
		// A workspace that does not exist is 404 to WeCom's callbacks, and a
		// path naming no workspace id is 404 on every provider-facing path.
		for _, path := range []string{
			"/v1/callbacks/" + gid.Encode(gid.New(gid.Workspace)) + "/wecom?" + fake.Verification("echo-3", now()).Encode(),
			"/v1/callbacks/acme/wecom",
			"/v1/wecom/acme/sidebar",
			"/v1/wecom/acme/oauth",
		} {
			resp, err := http.Get(api.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			}
		}
	})

	// Customer A adds zhangsan through the code "expo": a new lead, owned by rep.
	addA := fake.Add(customer{ExternalUserID: "wmA0000000000000001", Name: "客户甲", CorpName: "甲公司"}, "zhangsan", "expo",
		[]string{"13800138000"}, now())
	if resp, body := post(t, cbURL, addA); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "APPLIED" {
		t.Fatalf("add A = %d %s %s", resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"), body)
	}
	var leadA, owner uuid.UUID
	var phone, source, extUser string
	if err := api.DB.DB.QueryRow(`SELECT l.id, l.owner_id, l.phone, l.source, l.wecom_external_user_id FROM wecom_contacts w JOIN leads l ON l.id = w.lead_id
		WHERE w.external_user_id = 'wmA0000000000000001' AND w.state = 'expo'`).Scan(&leadA, &owner, &phone, &source, &extUser); err != nil {
		t.Fatalf("lead of customer A: %v", err)
	}
	if want, _ := gid.Decode(rep); owner != want || phone != "+8613800138000" || source != "wecom" || extUser != "wmA0000000000000001" {
		t.Errorf("lead A: owner %v (want %v), phone %s, source %s, external_userid %s", owner, want, phone, source, extUser)
	}
	var reachA string
	_ = api.DB.DB.QueryRow(`SELECT reachable::text FROM leads WHERE id = $1`, leadA).Scan(&reachA)
	if !strings.Contains(reachA, "WECOM") {
		t.Errorf("lead A's reachability after the add = %s, want WECOM", reachA)
	}

	// A known customer (by unionid) merges into the existing lead.
	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(admin, `mutation { ingestLeads(input: {source: "expo", leads: [{name: "老客户", unionID: "union-B"}]}) { results { lead { id } } } }`, nil, &in)
	known, _ := gid.Decode(in.IngestLeads.Results[0].Lead.ID)
	before := countAll(t, api)
	// WeCom refuses the cached token (40014, as after its 7200 s): fetched again, call retried.
	fake.ExpireTokens()
	addB := fake.Add(customer{ExternalUserID: "wmB0000000000000002", Name: "客户乙", UnionID: "union-B"}, "zhangsan", "", nil, now())
	if resp, body := post(t, cbURL, addB); resp.StatusCode != 200 {
		t.Fatalf("add B = %d %s", resp.StatusCode, body)
	}
	var leadB uuid.UUID
	if err := api.DB.DB.QueryRow(`SELECT lead_id FROM wecom_contacts WHERE external_user_id = 'wmB0000000000000002'`).Scan(&leadB); err != nil || leadB != known {
		t.Fatalf("customer B's lead = %v (%v), want the known lead %v", leadB, err, known)
	}
	if after := countAll(t, api); after.Leads != before.Leads || after.Contacts != before.Contacts+1 {
		t.Errorf("merge by unionid: before %+v, after %+v", before, after)
	}
	var knownExt string
	_ = api.DB.DB.QueryRow(`SELECT coalesce(wecom_external_user_id, '') FROM leads WHERE id = $1`, known).Scan(&knownExt)
	if knownExt != "wmB0000000000000002" {
		t.Errorf("the merged lead's external_userid = %q, want it filled", knownExt)
	}
	// The external_userid is an identity key: unique among the workspace's active leads.
	if _, err := api.DB.DB.Exec(`UPDATE leads SET wecom_external_user_id = 'wmB0000000000000002' WHERE id = $1`, leadA); err == nil {
		t.Error("two active leads hold the same external_userid")
	}
	if n := fake.Count("/cgi-bin/gettoken"); n != 2 {
		t.Errorf("gettoken called %d times, want 2 (one cached token, one after 40014)", n)
	}

	// Replayed, forged, wrong-corp and stale callbacks change nothing.
	before = countAll(t, api)
	if resp, _ := post(t, cbURL, addA); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "REPLAYED" {
		t.Errorf("replay = %d %s", resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"))
	}
	lostA := fake.Event(now(), "zhangsan", "wmA0000000000000001", "del_follow_user", "")
	forged := lostA
	forged.Query = wecomfake.CloneQuery(lostA.Query)
	forged.Query.Set("msg_signature", wecomfake.Signature("not-the-token", forged.Query.Get("timestamp"), forged.Query.Get("nonce"), "x"))
	otherCorp := fake.Seal("wwOtherCorp0000", "<xml/>", lostA.Query.Get("timestamp"))
	stale := fake.Event(now().Add(-10*time.Minute), "zhangsan", "wmA0000000000000001", "del_follow_user", "")
	innerCorp := fake.SealFor(corpID, "wwOtherCorp0000", "<xml/>", lostA.Query.Get("timestamp"))
	unsigned := lostA
	unsigned.Query = wecomfake.CloneQuery(lostA.Query)
	unsigned.Query.Del("msg_signature")
	for name, cb := range map[string]callback{"forged": forged, "other corp": otherCorp, "other corp inside": innerCorp,
		"unsigned": unsigned, "stale": stale} {
		if resp, _ := post(t, cbURL, cb); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s callback = %d, want 401", name, resp.StatusCode)
		}
	}
	if after := countAll(t, api); after != before {
		t.Errorf("refused callbacks changed something: before %+v, after %+v", before, after)
	}

	// A member no user is linked to: nothing happens.
	lisi := fake.Add(customer{ExternalUserID: "wmC0000000000000003", Name: "客户丙", UnionID: "union-C"}, "lisi", "", nil, now())
	if resp, _ := post(t, cbURL, lisi); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "IGNORED" {
		t.Errorf("add for an unlinked member = %d %s", resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"))
	}
	if after := countAll(t, api); after != before {
		t.Errorf("an add for an unlinked member changed something: before %+v, after %+v", before, after)
	}
	// zhangsan edits customer A: an event.
	if resp, _ := post(t, cbURL, fake.Event(now(), "zhangsan", "wmA0000000000000001", "edit_external_contact", "")); resp.StatusCode != 200 {
		t.Errorf("edit_external_contact = %d", resp.StatusCode)
	}
	var edited int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM events WHERE lead_id = $1 AND name = 'wecom.edited'`, leadA).Scan(&edited)
	if edited != 1 {
		t.Errorf("wecom.edited events = %d, want 1", edited)
	}

	// Customer A deletes zhangsan: lost, event, owner notified.
	if resp, body := post(t, cbURL, lostA); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "APPLIED" {
		t.Fatalf("del_follow_user = %d %s", resp.StatusCode, body)
	}
	var lostEvents, notes int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM events WHERE lead_id = $1 AND name = 'wecom.lost'`, leadA).Scan(&lostEvents)
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM notifications WHERE lead_id = $1 AND kind = 'wecom.lost' AND user_id = $2`, leadA, owner).Scan(&notes)
	if lostEvents != 1 || notes != 1 {
		t.Errorf("wecom.lost events %d, owner notifications %d; want 1 and 1", lostEvents, notes)
	}
	// Customer A had only zhangsan: no longer reachable on WeCom.
	var reachable string
	_ = api.DB.DB.QueryRow(`SELECT reachable::text FROM leads WHERE id = $1`, leadA).Scan(&reachable)
	if strings.Contains(reachable, "WECOM") || !strings.Contains(reachable, "PHONE") {
		t.Errorf("lead A's reachability after churn = %s, want PHONE without WECOM", reachable)
	}
	// zhangsan deletes customer B: an event, removed_at.
	if resp, _ := post(t, cbURL, fake.Event(now(), "zhangsan", "wmB0000000000000002", "del_external_contact", "")); resp.StatusCode != 200 {
		t.Fatalf("del_external_contact = %d", resp.StatusCode)
	}
	if c := countAll(t, api); c.Removed != 1 || c.Lost != 1 {
		t.Errorf("after the deletes: %+v", c)
	}

	// The lead's WeCom relationships, as the owner and as a rep who cannot see the lead.
	q := `query LeadWeCom($id: ID!) { node(id: $id) { ... on Lead { id wecomContacts { user { id name } externalUserID addedAt lostAt state contactWay { id } } } } }`
	var out struct {
		Node struct {
			ID            string
			WecomContacts []struct {
				User                  struct{ ID string }
				ExternalUserID, State string
				AddedAt               time.Time
				LostAt                *time.Time
				ContactWay            *struct{ ID string }
			}
		}
	}
	repToken := api.Login("acme", "zhangsan@acme.test", "rep-password")
	api.MustDo(repToken, q, map[string]any{"id": gid.Encode(leadA)}, &out)
	if w := out.Node.WecomContacts; len(w) != 1 || w[0].User.ID != rep || w[0].ExternalUserID != "wmA0000000000000001" ||
		w[0].State != "expo" || w[0].LostAt == nil || w[0].AddedAt.IsZero() || w[0].ContactWay != nil {
		t.Errorf("LeadWeCom = %+v", out.Node)
	}
	other := api.Login("acme", "rep1@acme.test", "rep-password")
	if r := api.Do(other, q, map[string]any{"id": gid.Encode(leadA)}); strings.Contains(string(r.Data), "wmA0000000000000001") {
		t.Errorf("a rep without the lead in scope sees its WeCom contacts: %s", r.Data)
	}

	// Merging the leads moves the WeCom relationships to the surviving lead.
	api.MustDo(admin, `mutation($p: ID!, $d: [ID!]!){ mergeLeads(primaryID: $p, duplicateIDs: $d){ id } }`,
		map[string]any{"p": gid.Encode(known), "d": []string{gid.Encode(leadA)}}, nil)
	var moved int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM wecom_contacts WHERE lead_id = $1`, known).Scan(&moved)
	if moved != 2 {
		t.Errorf("after the merge the surviving lead has %d WeCom contacts, want 2", moved)
	}
}

// TestMergeKeepsWeComReach: a customer without a unionid is reachable on
// WeCom through the relationship alone; merged into a lead known by phone,
// the surviving lead is reachable on WeCom too (and on SMS by its phone).
func TestMergeKeepsWeComReach(t *testing.T) {
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
	if resp, body := post(t, cbURL, fake.Add(customer{ExternalUserID: "wmREACH000000000001", Name: "只有企微"}, "zhangsan", "", nil, api.Clock.Now())); resp.StatusCode != 200 {
		t.Fatalf("add = %d %s", resp.StatusCode, body)
	}
	api.WaitIdle()
	var customerLead, known uuid.UUID
	if err := api.DB.DB.QueryRow(`SELECT id FROM leads WHERE wecom_external_user_id = 'wmREACH000000000001'`).Scan(&customerLead); err != nil {
		t.Fatal(err)
	}
	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(admin, `mutation { ingestLeads(input: {source: "web", leads: [{name: "已知客户", phone: "13900000031"}]}) { results { lead { id } } } }`, nil, &in)
	known, err := gid.Decode(in.IngestLeads.Results[0].Lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	api.MustDo(admin, `mutation($p: ID!, $d: [ID!]!){ mergeLeads(primaryID: $p, duplicateIDs: $d){ id } }`,
		map[string]any{"p": gid.Encode(known), "d": []string{gid.Encode(customerLead)}}, nil)
	var reach string
	_ = api.DB.DB.QueryRow(`SELECT reachable::text FROM leads WHERE id = $1`, known).Scan(&reach)
	if !strings.Contains(reach, `"WECOM"`) || !strings.Contains(reach, `"SMS"`) {
		t.Errorf("the surviving lead is reachable on %s, want WECOM (its customer relationship) and SMS", reach)
	}
}
