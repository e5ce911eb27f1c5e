// Package wecomfake is a fake WeCom (企业微信) server for tests: the server
// API endpoints scrm calls, with their documented request and response
// shapes and errcodes, the state they keep, and the corp's side of
// callbacks, encrypted and signed as WXBizMsgCrypt does. Only tests use it;
// it never talks to WeCom.
package wecomfake

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // WXBizMsgCrypt's signature is SHA-1
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is WeCom's server API as far as the customer layer uses it,
// with the documented request and response shapes and errcodes
// (https://developer.work.weixin.qq.com/document/path/91039, 92114):
//
//	GET /cgi-bin/gettoken?corpid&corpsecret -> access_token, expires_in; 40013 bad corp, 40001 bad secret
//	GET /cgi-bin/externalcontact/get?access_token&external_userid -> external_contact, follow_user;
//	    40014 bad token, 42001 expired token, 84061 not an external contact
//
// the contact-way endpoints of contactway.go, the mass-send endpoints of
// groupmsg.go, the corp tag endpoints of tags.go, the image and media uploads of
// media.go, and the corp's side of
// callbacks: it builds event XML, encrypts and signs it as WXBizMsgCrypt
// does, for the test to post to the workspace's callback URL.
type Server struct {
	T                             testing.TB
	Srv                           *httptest.Server
	CorpID, Secret, Token, AESKey string
	// Now is the fake's clock (WelcomeCodes expire by it); the test sets
	// it to the server's clock.
	Now func() time.Time

	Mu        sync.Mutex
	Tokens    map[string]bool
	Issued    int
	Customers map[string]*Customer // by external_userid
	Calls     map[string]int       // path -> count
	// Members are the corp's member ids add_contact_way accepts (any
	// when empty).
	Members []string
	// ContactWays are the codes add_contact_way made, by config_id.
	ContactWays map[string]*ContactWay
	// Welcomes are the WelcomeCodes issued with adds, by code.
	Welcomes map[string]*Welcome
	// AlreadyReceived are customers WeCom says already got a mass message
	// (send result 3) when a member sends a template.
	AlreadyReceived []string
	// LoseNextTemplateAnswer makes the next add_msg_template make its
	// template and answer 502, as if the answer were lost.
	LoseNextTemplateAnswer bool
	// HoldAnswerOf, when n > 0, makes the n-th template and holds its answer
	// until the caller hangs up (a killed worker) or 30 seconds pass.
	HoldAnswerOf int
	// SendOnCreate is every member sending each template as soon as it is
	// made (Confirm without waiting).
	SendOnCreate bool
	groupMsgs    []*GroupMsg
	// CorpTags is the corp's tag library; MemberTags the corp tags each
	// member put on each customer ("external_userid/userid" -> tag ids).
	CorpTags   []*TagGroup
	MemberTags map[string][]string
	tagSeq     int
	// CorpTagErrcodes are the answers of the next edit_corp_tag and
	// del_corp_tag calls, one per call, instead of doing them (tags.go).
	CorpTagErrcodes []int
	// Images are what media/uploadimg kept (media.go); ImageErrcode, when
	// set, is its answer to every upload instead.
	Images       []*Image
	ImageErrcode int
	// Media are what media/upload kept, by media_id (media.go);
	// MediaErrcodes are the answers of its next calls, one per call,
	// instead of keeping the file.
	Media         map[string]*Medium
	MediaErrcodes []int
	// HoldUploads, when set, makes each media/upload call first hand the
	// test a channel on it and wait until the test closes that channel, so
	// a test holds an upload in flight while it starts another (media.go).
	HoldUploads chan chan struct{}
	mediaSeq    int
	// Sidebar is the chat sidebar's application (sidebar.go).
	Sidebar Sidebar
}

// Customer is an external contact and the members who have it.
type Customer struct {
	ExternalUserID, Name, UnionID, CorpName string
	Follow                                  []Follow
}

// Follow is one member's side of a customer.
type Follow struct {
	UserID, State string
	Mobiles       []string
	CreateTime    int64
}

// New starts a fake corp with the customer-contact secret, the callback
// token and EncodingAESKey; it stops when the test ends.
func New(t testing.TB, corpID, secret, token, aesKey string) *Server {
	f := &Server{T: t, CorpID: corpID, Secret: secret, Token: token, AESKey: aesKey, Now: time.Now,
		Tokens: map[string]bool{}, Customers: map[string]*Customer{}, Calls: map[string]int{},
		ContactWays: map[string]*ContactWay{}, Welcomes: map[string]*Welcome{}, MemberTags: map[string][]string{},
		Media: map[string]*Medium{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", f.gettoken)
	mux.HandleFunc("GET /cgi-bin/externalcontact/get", f.externalContact)
	mux.HandleFunc("POST /cgi-bin/externalcontact/add_contact_way", f.addContactWay)
	mux.HandleFunc("POST /cgi-bin/externalcontact/update_contact_way", f.updateContactWay)
	mux.HandleFunc("POST /cgi-bin/externalcontact/del_contact_way", f.delContactWay)
	mux.HandleFunc("POST /cgi-bin/externalcontact/send_welcome_msg", f.sendWelcome)
	mux.HandleFunc("POST /cgi-bin/externalcontact/add_msg_template", f.addMsgTemplate)
	mux.HandleFunc("POST /cgi-bin/externalcontact/get_groupmsg_list_v2", f.groupMsgList)
	mux.HandleFunc("POST /cgi-bin/externalcontact/get_groupmsg_task", f.groupMsgTask)
	mux.HandleFunc("POST /cgi-bin/externalcontact/cancel_groupmsg_send", f.cancelGroupMsg)
	mux.HandleFunc("POST /cgi-bin/externalcontact/remind_groupmsg_send", f.remindGroupMsg)
	mux.HandleFunc("POST /cgi-bin/externalcontact/get_groupmsg_send_result", f.groupMsgSendResult)
	mux.HandleFunc("POST /cgi-bin/externalcontact/get_corp_tag_list", f.corpTagList)
	mux.HandleFunc("POST /cgi-bin/externalcontact/add_corp_tag", f.addCorpTag)
	mux.HandleFunc("POST /cgi-bin/externalcontact/edit_corp_tag", f.editCorpTag)
	mux.HandleFunc("POST /cgi-bin/externalcontact/del_corp_tag", f.delCorpTag)
	mux.HandleFunc("POST /cgi-bin/externalcontact/mark_tag", f.markTag)
	mux.HandleFunc("POST /cgi-bin/media/uploadimg", f.uploadImage)
	mux.HandleFunc("POST /cgi-bin/media/upload", f.uploadMedia)
	f.sidebarRoutes(mux)
	f.Srv = httptest.NewServer(mux)
	t.Cleanup(f.Srv.Close)
	return f
}

func (f *Server) Answer(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) gettoken(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Calls[r.URL.Path]++
	q := r.URL.Query()
	switch {
	case q.Get("corpid") != f.CorpID:
		f.Answer(w, map[string]any{"errcode": 40013, "errmsg": "invalid corpid"})
	case q.Get("corpsecret") == f.Sidebar.AppSecret && f.Sidebar.AppSecret != "":
		f.Issued++
		tok := fmt.Sprintf("fake-app-token-%d", f.Issued)
		f.Tokens[tok], f.Sidebar.AppTokens[tok] = true, true
		f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
	case q.Get("corpsecret") != f.Secret:
		f.Answer(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
	default:
		f.Issued++
		tok := fmt.Sprintf("fake-token-%d", f.Issued)
		f.Tokens[tok] = true
		f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
	}
}

func (f *Server) externalContact(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Calls[r.URL.Path]++
	q := r.URL.Query()
	if !f.Tokens[q.Get("access_token")] {
		f.Answer(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return
	}
	c := f.Customers[q.Get("external_userid")]
	if c == nil {
		f.Answer(w, map[string]any{"errcode": 84061, "errmsg": "not external contact"})
		return
	}
	var follows []map[string]any
	for _, fl := range c.Follow {
		follows = append(follows, map[string]any{"userid": fl.UserID, "remark": "", "description": "",
			"createtime": fl.CreateTime, "tags": f.followTags(c.ExternalUserID, fl.UserID), "remark_mobiles": fl.Mobiles, "add_way": 1, "state": fl.State})
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok",
		"external_contact": map[string]any{"external_userid": c.ExternalUserID, "name": c.Name, "type": 1,
			"gender": 1, "unionid": c.UnionID, "corp_name": c.CorpName},
		"follow_user": follows, "next_cursor": ""})
}

// Count is how many requests path got.
func (f *Server) Count(path string) int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.Calls[path]
}

// ExpireTokens makes every issued token invalid, as after 7200 s.
func (f *Server) ExpireTokens() {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Tokens = map[string]bool{}
}

// Add makes c an external contact of member userID (through state; the
// member noted mobiles as remark mobiles), issues a WelcomeCode for the add,
// and returns the callback WeCom sends for it.
func (f *Server) Add(c Customer, userID, state string, mobiles []string, at time.Time) Callback {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if prev := f.Customers[c.ExternalUserID]; prev != nil {
		c.Follow = prev.Follow
	}
	c.Follow = append(c.Follow, Follow{UserID: userID, State: state, Mobiles: mobiles, CreateTime: at.Unix()})
	f.Customers[c.ExternalUserID] = &c
	code := fmt.Sprintf("WELCOMECODE-%s-%d", c.ExternalUserID, len(f.Welcomes))
	f.Welcomes[code] = &Welcome{Code: code, ExternalUserID: c.ExternalUserID, UserID: userID, IssuedAt: at}
	return f.Event(at, userID, c.ExternalUserID, "add_external_contact",
		"<State><![CDATA["+state+"]]></State><WelcomeCode><![CDATA["+code+"]]></WelcomeCode>")
}

// Event is a change_external_contact Callback.
func (f *Server) Event(at time.Time, userID, externalUserID, change, extra string) Callback {
	ts := strconv.FormatInt(at.Unix(), 10)
	inner := "<xml><ToUserName><![CDATA[" + f.CorpID + "]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>" +
		"<CreateTime>" + ts + "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>" +
		"<ChangeType><![CDATA[" + change + "]]></ChangeType><UserID><![CDATA[" + userID + "]]></UserID>" +
		"<ExternalUserID><![CDATA[" + externalUserID + "]]></ExternalUserID>" + extra + "</xml>"
	return f.Seal(f.CorpID, inner, ts)
}

// Callback is one signed, encrypted request of WeCom.
type Callback struct {
	Query url.Values
	Body  string
}

// Seal encrypts msg as WXBizMsgCrypt does: AES-256-CBC with the key
// base64(EncodingAESKey + "="), IV = its first 16 bytes, over random(16) +
// msg_len(4, big endian) + msg + corpID, PKCS#7-padded to 32 bytes; the
// signature is SHA-1 over the sorted token, timestamp, nonce and ciphertext.
func (f *Server) Seal(toCorp, msg, ts string) Callback {
	return f.SealFor(toCorp, f.CorpID, msg, ts)
}

// SealFor is Seal with another corp id inside the ciphertext.
func (f *Server) SealFor(toCorp, innerCorp, msg, ts string) Callback {
	enc := f.encrypt(msg, innerCorp)
	nonce := randomHex(8)
	q := url.Values{"msg_signature": {Signature(f.Token, ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
	body := "<xml><ToUserName><![CDATA[" + toCorp + "]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	return Callback{Query: q, Body: body}
}

func (f *Server) encrypt(msg, corpID string) string {
	key, err := base64.StdEncoding.DecodeString(f.AESKey + "=")
	if err != nil || len(key) != 32 {
		f.T.Fatalf("bad EncodingAESKey: %v", err)
	}
	var plain bytes.Buffer
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	plain.Write(random)
	_ = binary.Write(&plain, binary.BigEndian, uint32(len(msg)))
	plain.WriteString(msg)
	plain.WriteString(corpID)
	pad := 32 - plain.Len()%32
	plain.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, err := aes.NewCipher(key)
	if err != nil {
		f.T.Fatal(err)
	}
	out := make([]byte, plain.Len())
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain.Bytes())
	return base64.StdEncoding.EncodeToString(out)
}

// Verification is the GET WeCom sends when the admin saves the Callback URL.
func (f *Server) Verification(echo string, at time.Time) url.Values {
	enc := f.encrypt(echo, f.CorpID)
	ts, nonce := strconv.FormatInt(at.Unix(), 10), randomHex(8)
	return url.Values{"msg_signature": {Signature(f.Token, ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {enc}}
}

func Signature(parts ...string) string {
	sort.Strings(parts)
	h := sha1.New() //nolint:gosec // WXBizMsgCrypt
	h.Write([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(h.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func CloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
