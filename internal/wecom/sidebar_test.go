package wecom_test

import (
	"crypto/sha1" //nolint:gosec // the JS-SDK signature is defined with SHA-1
	"encoding/hex"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/wecom"
)

const appSecret = "app-secret-0123456789"

// sidebarCorp is a workspace whose wecom channel has the sidebar's
// application, and its linked users: zhangsan (rep), lisi (rep,
// deactivated), and an analyst (every lead, phones masked) linked to wangwu.
type sidebarCorp struct {
	api                  *apitest.API
	fake                 *fakeWeCom
	ws, admin            string
	zhangsan, lisi, anal string // user ids
	cbURL                string
}

func newSidebarCorp(t *testing.T) *sidebarCorp {
	t.Helper()
	api := apitest.New(t)
	created, admin := api.Workspace("acme")
	fake := newFakeWeCom(t, corpID, contactSecret, cbToken, aesKey)
	fake.EnableSidebar(appSecret)
	fake.Now = api.Clock.Now
	c := &sidebarCorp{api: api, fake: fake, ws: gid.Encode(created.Workspace.ID), admin: admin}
	c.cbURL = api.URL + "/v1/callbacks/" + c.ws + "/wecom"
	api.MustDo(admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "corpSecret": appSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": fake.Srv.URL}}, nil)
	mk := func(email, role, member string) string {
		var u struct{ CreateUser struct{ ID string } }
		api.MustDo(admin, `mutation($e: String!, $r: String!){ createUser(input:{name: "张三", email: $e, password: "rep-password", roles: [$r]}){ id } }`,
			map[string]any{"e": email, "r": role}, &u)
		api.MustDo(admin, `mutation($id: ID!, $m: String) { updateUser(id: $id, input: {wecomUserID: $m}) { id } }`,
			map[string]any{"id": u.CreateUser.ID, "m": member}, nil)
		return u.CreateUser.ID
	}
	c.zhangsan = mk("zhangsan@acme.test", "rep", "zhangsan")
	c.lisi = mk("lisi@acme.test", "rep", "lisi")
	c.anal = mk("analyst@acme.test", "analyst", "wangwu")
	api.MustDo(admin, `mutation($id: ID!) { updateUser(id: $id, input: {active: false}) { id } }`, map[string]any{"id": c.lisi}, nil)
	return c
}

// browser is a client that keeps cookies and does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// start opens the sidebar's page URL and returns the state WeCom would carry back.
func (c *sidebarCorp) start(t *testing.T, b *http.Client) string {
	t.Helper()
	resp, err := b.Get(c.api.URL + "/v1/wecom/" + c.ws + "/sidebar")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "https://open.weixin.qq.com/connect/oauth2/authorize?appid="+corpID+"&redirect_uri=") ||
		!strings.HasSuffix(loc, "&agentid=1000002#wechat_redirect") || !strings.Contains(loc, "&response_type=code&scope=snsapi_base&state=") {
		t.Fatalf("start = %d %s", resp.StatusCode, loc)
	}
	u, _ := url.Parse(strings.TrimSuffix(loc, "#wechat_redirect"))
	if want := c.api.URL + "/v1/wecom/" + c.ws + "/oauth"; u.Query().Get("redirect_uri") != want {
		t.Fatalf("redirect_uri = %s, want %s", u.Query().Get("redirect_uri"), want)
	}
	return u.Query().Get("state")
}

// back is WeCom's redirect back with code and state; it returns the
// sidebar page's fragment.
func (c *sidebarCorp) back(t *testing.T, b *http.Client, code, state string) url.Values {
	t.Helper()
	resp, err := b.Get(c.api.URL + "/v1/wecom/" + c.ws + "/oauth?" + url.Values{"code": {code}, "state": {state}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	page, frag, _ := strings.Cut(loc, "#")
	if resp.StatusCode != http.StatusFound || page != "/wecom/sidebar" || strings.Contains(page, "token") {
		t.Fatalf("oauth = %d %s", resp.StatusCode, loc)
	}
	v, err := url.ParseQuery(frag)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSidebarSignIn: a member signs in through the application's OAuth2
// and gets the same token a password login gives; a code used twice, a
// visitor, a member no user is linked to, a deactivated user and a bad,
// foreign or expired state are refused with their codes and issue nothing
// (a refused state leaves the code unused).
func TestSidebarSignIn(t *testing.T) {
	c := newSidebarCorp(t)
	b := browser(t)

	code := c.fake.Code("zhangsan")
	got := c.back(t, b, code, c.start(t, b))
	if got.Get("token") == "" || got.Get("error") != "" || got.Get("expiresAt") == "" {
		t.Fatalf("sign-in = %v", got)
	}
	var me struct{ Me struct{ ID, Email string } }
	c.api.MustDo(got.Get("token"), `{ me { id email } }`, nil, &me)
	if me.Me.ID != c.zhangsan {
		t.Fatalf("signed in as %+v, want %s", me.Me, c.zhangsan)
	}

	refused := func(name, code, state, want string) {
		t.Helper()
		got := c.back(t, b, code, state)
		if got.Get("error") != want || got.Get("token") != "" {
			t.Errorf("%s: %v, want error %s", name, got, want)
		}
	}
	refused("the code again", code, c.start(t, b), wecom.SignInCodeRefused)
	refused("a visitor", c.fake.Code(""), c.start(t, b), wecom.SignInNotMember)
	refused("an unlinked member", c.fake.Code("zhaoliu"), c.start(t, b), wecom.SignInNotLinked)
	refused("a deactivated user", c.fake.Code("lisi"), c.start(t, b), wecom.SignInUserInactive)

	unused := c.fake.Code("zhangsan")
	state := c.start(t, b)
	refused("a forged state", unused, forge(state), "WECOM_STATE_INVALID")
	refused("no state", unused, "", "WECOM_STATE_INVALID")
	state = c.start(t, browser(t))
	refused("a state started in another browser", unused, state, "WECOM_STATE_INVALID")
	state = c.start(t, b)
	c.api.Clock.Advance(11 * time.Minute)
	refused("an expired state", unused, state, "WECOM_STATE_INVALID")
	if n := c.fake.Count("/cgi-bin/auth/getuserinfo"); n != 5 {
		t.Errorf("getuserinfo calls = %d, want 5 (none for a refused state)", n)
	}
	if got := c.back(t, b, unused, c.start(t, b)); got.Get("token") == "" {
		t.Errorf("the code a refused state left unused: %v", got)
	}

	// A workspace without the application is told so, and sent nowhere.
	beta, _ := c.api.Workspace("beta")
	resp, err := b.Get(c.api.URL + "/v1/wecom/" + gid.Encode(beta.Workspace.ID) + "/sidebar")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/wecom/sidebar#error="+wecom.SignInAppNotConfigured+"&") {
		t.Errorf("a workspace without the application: %d %s", resp.StatusCode, loc)
	}
}

// TestJsSdkSignature checks the signature against WeCom's documented
// example and against the algorithm written out.
func TestJsSdkSignature(t *testing.T) {
	const (
		ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
		nonce  = "Wm3WZYTPz0wzccnW"
		ts     = 1414587457
		page   = "http://mp.weixin.qq.com?params=value"
	)
	sum := sha1.Sum([]byte("jsapi_ticket=" + ticket + "&noncestr=" + nonce + "&timestamp=1414587457&url=" + page)) //nolint:gosec // WeCom's definition
	if got, want := wecom.JsSdkSignature(ticket, nonce, ts, page), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
	if got := wecom.JsSdkSignature(ticket, nonce, ts, page); got != "0f9de62fce790f9a083d5c99e95740ceb90c27ed" {
		t.Fatalf("signature = %s, want the documented 0f9de62fce790f9a083d5c99e95740ceb90c27ed", got)
	}
}

// TestJsSdkConfig: both tickets are fetched once and cached until their
// expiry, fetched again then and after a token errcode (40014, 42001);
// the signatures are of the URL without its fragment; a page on another
// host is refused.
func TestJsSdkConfig(t *testing.T) {
	c := newSidebarCorp(t)
	tok := c.api.Login("acme", "zhangsan@acme.test", "rep-password")
	page := c.api.URL + "/wecom/sidebar?externalUserId=wm1"
	q := `query($u: String!){ weComJsSdkConfig(url: $u){ corpID agentID timestamp nonceStr signature agentSignature } }`
	type cfg struct {
		WeComJsSdkConfig struct {
			CorpID, NonceStr, Signature, AgentSignature string
			AgentID, Timestamp                          int64
		}
	}
	check := func(name, corpTicket, agentTicket string) {
		t.Helper()
		var out cfg
		c.api.MustDo(tok, q, map[string]any{"u": page + "#/anything"}, &out)
		g := out.WeComJsSdkConfig
		if g.CorpID != corpID || g.AgentID != 1000002 || g.Timestamp != c.api.Clock.Now().Unix() || g.NonceStr == "" {
			t.Fatalf("%s: %+v", name, g)
		}
		if want := wecom.JsSdkSignature(corpTicket, g.NonceStr, g.Timestamp, page); g.Signature != want {
			t.Errorf("%s: signature %s, want %s (ticket %s)", name, g.Signature, want, corpTicket)
		}
		if want := wecom.JsSdkSignature(agentTicket, g.NonceStr, g.Timestamp, page); g.AgentSignature != want {
			t.Errorf("%s: agent signature %s, want %s (ticket %s)", name, g.AgentSignature, want, agentTicket)
		}
	}
	check("first", "jsapi-ticket-1", "agent_config-ticket-1")
	check("cached", "jsapi-ticket-1", "agent_config-ticket-1")
	if a, b := c.fake.TicketsIssued("jsapi"), c.fake.TicketsIssued("agent_config"); a != 1 || b != 1 {
		t.Fatalf("tickets issued %d, %d; want 1, 1", a, b)
	}
	c.api.Clock.Advance(7200 * time.Second)
	check("expired", "jsapi-ticket-2", "agent_config-ticket-2")

	tokens := c.fake.Issued
	for _, code := range []int{40014, 42001} {
		c.api.Clock.Advance(7200 * time.Second)
		c.fake.Mu.Lock()
		c.fake.Sidebar.TicketErrcodes = []int{code}
		c.fake.Mu.Unlock()
		n := c.fake.TicketsIssued("jsapi") + 1
		check("after errcode", "jsapi-ticket-"+strconv.Itoa(n), "agent_config-ticket-"+strconv.Itoa(n))
	}
	// Each round: one token because the cached one expired with the
	// tickets, one more after the errcode refused it.
	if c.fake.Issued != tokens+4 {
		t.Errorf("access tokens fetched %d times in the two errcode rounds, want 4", c.fake.Issued-tokens)
	}

	for _, bad := range []string{"https://evil.example.com/wecom/sidebar", "/wecom/sidebar", "javascript:alert(1)", ""} {
		r := c.api.Do(tok, q, map[string]any{"u": bad})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "url" {
			t.Errorf("url %q: %+v", bad, r.Errors)
		}
	}
	if r := c.api.Do("", q, map[string]any{"u": page}); len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("signed out: %+v", r.Errors)
	}

	// With sidebarOrigin, pages of that origin are signed and the request's
	// host no longer counts; WeCom sends the member back there too.
	c.api.MustDo(c.admin, `mutation($c: JSON!){ configureChannel(key: "wecom", config: $c){ key } }`, map[string]any{"c": map[string]any{
		"corpId": corpID, "contactSecret": contactSecret, "corpSecret": appSecret, "agentId": 1000002, "callbackToken": cbToken,
		"encodingAESKey": aesKey, "baseUrl": c.fake.Srv.URL, "sidebarOrigin": "https://scrm.example.com"}}, nil)
	var out cfg
	c.api.MustDo(tok, q, map[string]any{"u": "https://scrm.example.com/wecom/sidebar?externalUserId=wm1"}, &out)
	if out.WeComJsSdkConfig.Signature == "" {
		t.Errorf("a page of sidebarOrigin: %+v", out)
	}
	if r := c.api.Do(tok, q, map[string]any{"u": page}); len(r.Errors) != 1 || r.Errors[0].Field() != "url" {
		t.Errorf("the request's host beside sidebarOrigin: %+v", r.Errors)
	}
	resp, err := browser(t).Get(c.api.URL + "/v1/wecom/" + c.ws + "/sidebar")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "&redirect_uri="+url.QueryEscape("https://scrm.example.com/v1/wecom/"+c.ws+"/oauth")+"&") {
		t.Errorf("redirect with sidebarOrigin: %s", loc)
	}
}

// TestSidebarCustomer: weComCustomer finds a customer's lead under the
// caller's row scope and masking (null and OUT_OF_SCOPE for a rep who does
// not see it, UNKNOWN for a customer no lead is); addWeComCustomerLead
// makes the caller's own customer a lead through the add path, once.
func TestSidebarCustomer(t *testing.T) {
	c := newSidebarCorp(t)
	api := c.api
	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(c.admin, `mutation{ createUser(input:{name: "李雷", email: "rep2@acme.test", password: "rep-password", roles: ["rep"]}){ id } }`, nil, &u)
	rep2ID := u.CreateUser.ID
	zhangsan := api.Login("acme", "zhangsan@acme.test", "rep-password")
	rep2 := api.Login("acme", "rep2@acme.test", "rep-password")
	analyst := api.Login("acme", "analyst@acme.test", "rep-password")

	const a = "wmA0000000000000001"
	add := c.fake.Add(customer{ExternalUserID: a, Name: "客户甲"}, "zhangsan", "", []string{"13800138000"}, api.Clock.Now())
	if resp, body := post(t, c.cbURL, add); resp.StatusCode != 200 {
		t.Fatalf("add = %d %s", resp.StatusCode, body)
	}
	q := `query($x: String!){ weComCustomer(externalUserID: $x){ externalUserID reason mine lead { id name phone owner { id } } } }`
	type found struct {
		WeComCustomer struct {
			ExternalUserID, Reason string
			Mine                   bool
			Lead                   *struct {
				ID, Name, Phone string
				Owner           struct{ ID string }
			}
		}
	}
	lookup := func(tok, x string) found {
		t.Helper()
		var out found
		api.MustDo(tok, q, map[string]any{"x": x}, &out)
		return out
	}
	got := lookup(zhangsan, a).WeComCustomer
	if got.Reason != "FOUND" || !got.Mine || got.Lead == nil || got.Lead.Name != "客户甲" || got.Lead.Phone != "+8613800138000" || got.Lead.Owner.ID != c.zhangsan {
		t.Fatalf("the owner's lookup = %+v %+v", got, got.Lead)
	}
	leadID := got.Lead.ID
	if got := lookup(rep2, a).WeComCustomer; got.Reason != "OUT_OF_SCOPE" || got.Lead != nil || got.Mine {
		t.Errorf("another rep's lookup = %+v", got)
	}
	if got := lookup(analyst, a).WeComCustomer; got.Reason != "FOUND" || got.Lead == nil || got.Lead.ID != leadID ||
		got.Lead.Phone == "+8613800138000" || !strings.Contains(got.Lead.Phone, "*") {
		t.Errorf("the analyst's lookup (phones masked) = %+v %+v", got, got.Lead)
	}
	if got := lookup(zhangsan, "wmNobody").WeComCustomer; got.Reason != "UNKNOWN" || got.Lead != nil {
		t.Errorf("an unknown customer = %+v", got)
	}
	if r := api.Do(zhangsan, q, map[string]any{"x": ""}); len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "externalUserID" {
		t.Errorf("empty id: %+v", r.Errors)
	}

	// Customer B added zhangsan while callbacks were down: no lead yet.
	const b = "wmB0000000000000002"
	c.fake.Add(customer{ExternalUserID: b, Name: "客户乙", CorpName: "乙公司"}, "zhangsan", "", []string{"13900139000"}, api.Clock.Now())
	if got := lookup(zhangsan, b).WeComCustomer; got.Reason != "UNKNOWN" || got.Mine {
		t.Fatalf("B before = %+v", got)
	}
	m := `mutation($x: String!){ addWeComCustomerLead(externalUserID: $x){ reason mine lead { id name phone owner { id } } } }`
	before := countAll(t, api)
	for name, tc := range map[string]struct{ tok, x, code string }{
		"an unlinked rep":       {rep2, b, "CONFLICT"},
		"an unknown customer":   {zhangsan, "wmNobody", "NOT_FOUND"},
		"an analyst (no write)": {analyst, b, "FORBIDDEN"},
	} {
		if r := api.Do(tc.tok, m, map[string]any{"x": tc.x}); len(r.Errors) != 1 || r.Errors[0].Code() != tc.code {
			t.Errorf("%s: %+v, want %s", name, r.Errors, tc.code)
		}
	}
	api.MustDo(c.admin, `mutation($id: ID!) { updateUser(id: $id, input: {wecomUserID: "zhaoliu"}) { id } }`, map[string]any{"id": rep2ID}, nil)
	if r := api.Do(rep2, m, map[string]any{"x": b}); len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" || r.Errors[0].Field() != "externalUserID" {
		t.Errorf("another member's customer: %+v", r.Errors)
	}
	if after := countAll(t, api); after != before {
		t.Fatalf("refusals wrote: %+v -> %+v", before, after)
	}
	var out struct {
		AddWeComCustomerLead struct {
			Reason string
			Mine   bool
			Lead   *struct {
				ID, Name, Phone string
				Owner           struct{ ID string }
			}
		}
	}
	api.MustDo(zhangsan, m, map[string]any{"x": b}, &out)
	g := out.AddWeComCustomerLead
	if g.Reason != "FOUND" || !g.Mine || g.Lead == nil || g.Lead.Name != "客户乙" || g.Lead.Phone != "+8613900139000" || g.Lead.Owner.ID != c.zhangsan {
		t.Fatalf("added = %+v %+v", g, g.Lead)
	}
	want := before
	want.Leads++
	want.Contacts++
	want.Events++
	if after := countAll(t, api); after != want {
		t.Errorf("after the add: %+v, want %+v", after, want)
	}
	api.MustDo(zhangsan, m, map[string]any{"x": b}, &out)
	if after := countAll(t, api); after != want || out.AddWeComCustomerLead.Lead.ID != g.Lead.ID {
		t.Errorf("a second add wrote: %+v, want %+v", after, want)
	}
}

// forge changes one character in the middle of s, where every bit of a
// base64 character counts (the last one's low bits may be padding that a
// decoder ignores, so changing it does not always change the bytes).
func forge(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == c {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
