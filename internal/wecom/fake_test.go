package wecom_test

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

// fakeWeCom is WeCom's server API as far as the customer layer uses it,
// with the documented request and response shapes and errcodes
// (https://developer.work.weixin.qq.com/document/path/91039, 92114):
//
//	GET /cgi-bin/gettoken?corpid&corpsecret -> access_token, expires_in; 40013 bad corp, 40001 bad secret
//	GET /cgi-bin/externalcontact/get?access_token&external_userid -> external_contact, follow_user;
//	    40014 bad token, 42001 expired token, 84061 not an external contact
//
// and the corp's side of callbacks: it builds event XML, encrypts and signs
// it as WXBizMsgCrypt does, and posts it to the workspace's callback URL.
type fakeWeCom struct {
	t                             *testing.T
	srv                           *httptest.Server
	corpID, secret, token, aesKey string

	mu        sync.Mutex
	tokens    map[string]bool
	issued    int
	customers map[string]*customer // by external_userid
	calls     map[string]int       // path -> count
}

// customer is an external contact and the members who have it.
type customer struct {
	ExternalUserID, Name, UnionID, CorpName string
	Follow                                  []follow
}

type follow struct {
	UserID, State string
	Mobiles       []string
	CreateTime    int64
}

func newFakeWeCom(t *testing.T, corpID, secret, token, aesKey string) *fakeWeCom {
	f := &fakeWeCom{t: t, corpID: corpID, secret: secret, token: token, aesKey: aesKey,
		tokens: map[string]bool{}, customers: map[string]*customer{}, calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", f.gettoken)
	mux.HandleFunc("GET /cgi-bin/externalcontact/get", f.externalContact)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeCom) answer(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeWeCom) gettoken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[r.URL.Path]++
	q := r.URL.Query()
	switch {
	case q.Get("corpid") != f.corpID:
		f.answer(w, map[string]any{"errcode": 40013, "errmsg": "invalid corpid"})
	case q.Get("corpsecret") != f.secret:
		f.answer(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
	default:
		f.issued++
		tok := fmt.Sprintf("fake-token-%d", f.issued)
		f.tokens[tok] = true
		f.answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
	}
}

func (f *fakeWeCom) externalContact(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[r.URL.Path]++
	q := r.URL.Query()
	if !f.tokens[q.Get("access_token")] {
		f.answer(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return
	}
	c := f.customers[q.Get("external_userid")]
	if c == nil {
		f.answer(w, map[string]any{"errcode": 84061, "errmsg": "not external contact"})
		return
	}
	var follows []map[string]any
	for _, fl := range c.Follow {
		follows = append(follows, map[string]any{"userid": fl.UserID, "remark": "", "description": "",
			"createtime": fl.CreateTime, "tags": []any{}, "remark_mobiles": fl.Mobiles, "add_way": 1, "state": fl.State})
	}
	f.answer(w, map[string]any{"errcode": 0, "errmsg": "ok",
		"external_contact": map[string]any{"external_userid": c.ExternalUserID, "name": c.Name, "type": 1,
			"gender": 1, "unionid": c.UnionID, "corp_name": c.CorpName},
		"follow_user": follows, "next_cursor": ""})
}

// count is how many requests path got.
func (f *fakeWeCom) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// expireTokens makes every issued token invalid, as after 7200 s.
func (f *fakeWeCom) expireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]bool{}
}

// add makes c an external contact of member userID (through state; the
// member noted mobiles as remark mobiles) and returns the callback WeCom
// sends for it.
func (f *fakeWeCom) add(c customer, userID, state string, mobiles []string, at time.Time) callback {
	f.mu.Lock()
	defer f.mu.Unlock()
	if prev := f.customers[c.ExternalUserID]; prev != nil {
		c.Follow = prev.Follow
	}
	c.Follow = append(c.Follow, follow{UserID: userID, State: state, Mobiles: mobiles, CreateTime: at.Unix()})
	f.customers[c.ExternalUserID] = &c
	return f.event(at, userID, c.ExternalUserID, "add_external_contact",
		"<State><![CDATA["+state+"]]></State><WelcomeCode><![CDATA[WELCOMECODE-"+c.ExternalUserID+"]]></WelcomeCode>")
}

// event is a change_external_contact callback.
func (f *fakeWeCom) event(at time.Time, userID, externalUserID, change, extra string) callback {
	ts := strconv.FormatInt(at.Unix(), 10)
	inner := "<xml><ToUserName><![CDATA[" + f.corpID + "]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>" +
		"<CreateTime>" + ts + "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>" +
		"<ChangeType><![CDATA[" + change + "]]></ChangeType><UserID><![CDATA[" + userID + "]]></UserID>" +
		"<ExternalUserID><![CDATA[" + externalUserID + "]]></ExternalUserID>" + extra + "</xml>"
	return f.seal(f.corpID, inner, ts)
}

// callback is one signed, encrypted request of WeCom.
type callback struct {
	Query url.Values
	Body  string
}

// seal encrypts msg as WXBizMsgCrypt does: AES-256-CBC with the key
// base64(EncodingAESKey + "="), IV = its first 16 bytes, over random(16) +
// msg_len(4, big endian) + msg + corpID, PKCS#7-padded to 32 bytes; the
// signature is SHA-1 over the sorted token, timestamp, nonce and ciphertext.
func (f *fakeWeCom) seal(toCorp, msg, ts string) callback {
	return f.sealFor(toCorp, f.corpID, msg, ts)
}

// sealFor is seal with another corp id inside the ciphertext.
func (f *fakeWeCom) sealFor(toCorp, innerCorp, msg, ts string) callback {
	enc := f.encrypt(msg, innerCorp)
	nonce := randomHex(8)
	q := url.Values{"msg_signature": {signature(f.token, ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
	body := "<xml><ToUserName><![CDATA[" + toCorp + "]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	return callback{Query: q, Body: body}
}

func (f *fakeWeCom) encrypt(msg, corpID string) string {
	key, err := base64.StdEncoding.DecodeString(f.aesKey + "=")
	if err != nil || len(key) != 32 {
		f.t.Fatalf("bad EncodingAESKey: %v", err)
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
		f.t.Fatal(err)
	}
	out := make([]byte, plain.Len())
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain.Bytes())
	return base64.StdEncoding.EncodeToString(out)
}

// verification is the GET WeCom sends when the admin saves the callback URL.
func (f *fakeWeCom) verification(echo string, at time.Time) url.Values {
	enc := f.encrypt(echo, f.corpID)
	ts, nonce := strconv.FormatInt(at.Unix(), 10), randomHex(8)
	return url.Values{"msg_signature": {signature(f.token, ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {enc}}
}

func signature(parts ...string) string {
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

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
