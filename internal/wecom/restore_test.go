package wecom_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

// TestRestoreContactWay: a deleted code (del_contact_way) is listed with
// contactWays(deleted: true) and restored by restoreContactWay, which asks
// WeCom for a new code (add_contact_way) with its members, remark,
// skipVerify and state: a new QR code, the same code here with its adds
// and stats, and customers who add through the new QR code counted on it.
// A live code, a member since unlinked and another workspace's code are
// refused and nothing reaches WeCom.
func TestRestoreContactWay(t *testing.T) {
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.Now = api.Clock.Now
	fake.Members = []string{"zhangsan", "lisi"}
	cbURL := api.URL + "/v1/callbacks/" + gid.Encode(created.Workspace.ID) + "/wecom"
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	users := map[string]string{}
	var u struct{ CreateUser struct{ ID string } }
	for _, name := range []string{"zhangsan", "lisi"} {
		api.MustDo(admin, `mutation($e: String!, $n: String!){ createUser(input:{name: $n, email: $e, password: "rep-password", roles: ["rep"]}){ id } }`,
			map[string]any{"e": name + "@acme.test", "n": name}, &u)
		users[name] = u.CreateUser.ID
		link(t, api, admin, u.CreateUser.ID, name)
	}
	var cw struct {
		CreateContactWay struct{ ID, State, QrCodeURL string }
	}
	api.MustDo(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id state qrCodeURL } }`, map[string]any{"i": map[string]any{
		"name": "门店海报", "userIDs": []string{users["zhangsan"], users["lisi"]}, "skipVerify": false, "source": "poster"}}, &cw)
	code := cw.CreateContactWay
	add := func(ext string) {
		t.Helper()
		cb := fake.AddThrough(fake.ByState(code.State), customer{ExternalUserID: ext, Name: "客户 " + ext}, "zhangsan", nil, api.Clock.Now())
		if resp, body := post(t, cbURL, cb); resp.StatusCode != 200 || resp.Header.Get("X-Scrm-Outcome") != "APPLIED" {
			t.Fatalf("add %s = %d %s %s", ext, resp.StatusCode, resp.Header.Get("X-Scrm-Outcome"), body)
		}
	}
	add("wmRS000000000000001")

	type listed struct {
		ID, State, QrCodeURL string
		DeletedAt            *string
		Stats                struct{ Added, LeadsCreated int }
	}
	list := func(deleted bool) []listed {
		t.Helper()
		var out struct{ ContactWays []listed }
		api.MustDo(admin, `query($d: Boolean){ contactWays(deleted: $d) { id state qrCodeURL deletedAt stats { added leadsCreated } } }`,
			map[string]any{"d": deleted}, &out)
		return out.ContactWays
	}
	const restore = `mutation($id: ID!){ restoreContactWay(id: $id) { id state qrCodeURL deletedAt } }`
	refused := func(what, id, code, field string) {
		t.Helper()
		before := fake.Count("/cgi-bin/externalcontact/add_contact_way")
		r := api.Do(admin, restore, map[string]any{"id": id})
		if len(r.Errors) != 1 || r.Errors[0].Code() != code || r.Errors[0].Field() != field {
			t.Errorf("%s: %+v, want %s at %q", what, r.Errors, code, field)
		}
		if n := fake.Count("/cgi-bin/externalcontact/add_contact_way"); n != before {
			t.Errorf("%s called add_contact_way", what)
		}
	}

	refused("restoring a live code", code.ID, "CONFLICT", "id")
	if l := list(true); len(l) != 0 {
		t.Errorf("deleted codes before any delete: %+v", l)
	}
	api.MustDo(admin, `mutation($id: ID!){ deleteContactWay(id: $id) }`, map[string]any{"id": code.ID}, nil)
	if l := list(false); len(l) != 0 {
		t.Errorf("live codes after the delete: %+v", l)
	}
	del := list(true)
	if len(del) != 1 || del[0].ID != code.ID || del[0].DeletedAt == nil || del[0].Stats.Added != 1 || del[0].Stats.LeadsCreated != 1 {
		t.Fatalf("deleted codes = %+v, want the code with its deletion time and its add", del)
	}

	// A member since unlinked from WeCom: refused at the member, nothing made.
	link(t, api, admin, users["lisi"], "")
	refused("a member unlinked", code.ID, "BAD_USER_INPUT", "userIDs[1]")
	refused("an unknown code", gid.Encode(gid.New(gid.ContactWay)), "NOT_FOUND", "id")
	other, otherAdmin := api.Workspace("other")
	_ = other
	if r := api.Do(otherAdmin, restore, map[string]any{"id": code.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("another workspace restoring the code: %+v", r.Errors)
	}
	link(t, api, admin, users["lisi"], "lisi")

	var out struct {
		RestoreContactWay struct {
			ID, State, QrCodeURL string
			DeletedAt            *string
		}
	}
	api.MustDo(admin, restore, map[string]any{"id": code.ID}, &out)
	r := out.RestoreContactWay
	if r.ID != code.ID || r.State != code.State || r.DeletedAt != nil || r.QrCodeURL == "" || r.QrCodeURL == code.QrCodeURL {
		t.Errorf("restored = %+v, want the same code and state with a new QR code (was %s)", r, code.QrCodeURL)
	}
	codes := fake.WithState(code.State)
	if len(codes) != 2 {
		t.Fatalf("WeCom's codes with the state: %+v, want the deleted one and a new one", codes)
	}
	live := fake.ByState(code.State)
	if live.Deleted || live.QRCode != r.QrCodeURL || live.Type != 2 || live.Remark != "门店海报" || live.SkipVerify ||
		len(live.Users) != 2 || live.Users[0] != "zhangsan" || live.Users[1] != "lisi" {
		t.Errorf("WeCom's new code = %+v, want the code's settings", live)
	}
	if l := list(true); len(l) != 0 {
		t.Errorf("deleted codes after the restore: %+v", l)
	}
	// A new customer through the new QR code counts on the same code.
	add("wmRS000000000000002")
	if l := list(false); len(l) != 1 || l[0].ID != code.ID || l[0].Stats.Added != 2 || l[0].Stats.LeadsCreated != 2 {
		t.Errorf("live codes = %+v, want the code with both adds", l)
	}
	refused("restoring it twice", code.ID, "CONFLICT", "id")
	// Deleting it again deletes the new code in WeCom.
	api.MustDo(admin, `mutation($id: ID!){ deleteContactWay(id: $id) }`, map[string]any{"id": code.ID}, nil)
	if c := fake.ByState(code.State); !c.Deleted {
		t.Errorf("after a second delete WeCom's code %+v is live", c)
	}
}

func link(t *testing.T, api *apitest.API, admin, id, wecomID string) {
	t.Helper()
	api.MustDo(admin, `mutation($id: ID!, $w: String){ updateUser(id: $id, input: {wecomUserID: $w}) { id } }`,
		map[string]any{"id": id, "w": wecomID}, nil)
}
