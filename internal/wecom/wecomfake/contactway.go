package wecomfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The contact-way endpoints, with the documented shapes
// (https://developer.work.weixin.qq.com/document/path/92228, 92137):
//
//	POST /cgi-bin/externalcontact/add_contact_way {type 1|2, scene 1|2, remark, skip_verify, state (≤30), user [...]}
//	    -> config_id, qr_code (scene 2); 40014 bad token, 40058 a bad parameter (type 1 with several users,
//	    a state over 30 characters), 60111 a user who is not a member
//	POST /cgi-bin/externalcontact/update_contact_way {config_id, remark, skip_verify, state, user [...]}
//	    -> ok; 40058 an unknown or deleted config_id or a bad parameter (type 1 with several users), 60111 as above
//	POST /cgi-bin/externalcontact/del_contact_way {config_id} -> ok; 40058 an unknown or deleted config_id
//	POST /cgi-bin/externalcontact/send_welcome_msg {welcome_code, text {content}, attachments [...] (≤9)}
//	    -> ok; 40014 bad token, 41096 a WelcomeCode that is unknown, used or past its 20 seconds,
//	    40058 no text and no attachment, or an attachment not in the documented shape (document/path/92137:
//	    msgtype image {media_id | pic_url}, link {title ≤128 bytes, url, picurl, desc ≤512 bytes},
//	    miniprogram {title ≤64 bytes, pic_media_id, appid, page}, video {media_id}, file {media_id});
//	    the fake also refuses an attachment carrying an object of another msgtype
//
// The corp's members are the users named in Members (all when empty).

// ContactWay is a code add_contact_way made.
type ContactWay struct {
	ConfigID, QRCode, State, Remark string
	Type, Scene                     int
	SkipVerify                      bool
	Users                           []string
	// Deleted: del_contact_way removed it (it no longer adds anyone).
	Deleted bool
}

// Welcome is a WelcomeCode issued with an add, and the message sent with
// it.
type Welcome struct {
	Code, ExternalUserID, UserID string
	IssuedAt                     time.Time
	// Text, Attachments and SentAt are set once send_welcome_msg used the code.
	Text        string
	Attachments []map[string]any
	SentAt      time.Time
}

// WelcomeWindow is how long a WelcomeCode is valid.
const WelcomeWindow = 20 * time.Second

// authorized counts the request and answers 40014 unless it carries a
// token the fake issued (callers hold Mu).
func (f *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	f.Calls[r.URL.Path]++
	if !f.Tokens[r.URL.Query().Get("access_token")] {
		f.Answer(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return false
	}
	return true
}

func (f *Server) addContactWay(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		Type       int      `json:"type"`
		Scene      int      `json:"scene"`
		Remark     string   `json:"remark"`
		SkipVerify bool     `json:"skip_verify"`
		State      string   `json:"state"`
		User       []string `json:"user"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || (req.Type != 1 && req.Type != 2) ||
		(req.Scene != 1 && req.Scene != 2) || len(req.User) == 0 || (req.Type == 1 && len(req.User) != 1) ||
		len([]rune(req.State)) > 30 || len([]rune(req.Remark)) > 30 {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	for _, u := range req.User {
		if len(f.Members) > 0 && !slices.Contains(f.Members, u) {
			f.Answer(w, map[string]any{"errcode": 60111, "errmsg": "userid not found"})
			return
		}
	}
	id := fmt.Sprintf("cfg%04d", len(f.ContactWays)+1)
	cw := &ContactWay{ConfigID: id, State: req.State, Remark: req.Remark, Type: req.Type, Scene: req.Scene,
		SkipVerify: req.SkipVerify, Users: req.User}
	res := map[string]any{"errcode": 0, "errmsg": "ok", "config_id": id}
	if req.Scene == 2 {
		cw.QRCode = "https://wework.qpic.cn/wwpic/fake/" + id + ".png"
		res["qr_code"] = cw.QRCode
	}
	f.ContactWays[id] = cw
	f.Answer(w, res)
}

func (f *Server) updateContactWay(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		ConfigID   string   `json:"config_id"`
		Remark     string   `json:"remark"`
		SkipVerify bool     `json:"skip_verify"`
		State      string   `json:"state"`
		User       []string `json:"user"`
	}
	err := json.NewDecoder(r.Body).Decode(&req)
	cw := f.ContactWays[req.ConfigID]
	if err != nil || cw == nil || cw.Deleted || len(req.User) == 0 || (cw.Type == 1 && len(req.User) != 1) ||
		len([]rune(req.State)) > 30 || len([]rune(req.Remark)) > 30 {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	for _, u := range req.User {
		if len(f.Members) > 0 && !slices.Contains(f.Members, u) {
			f.Answer(w, map[string]any{"errcode": 60111, "errmsg": "userid not found"})
			return
		}
	}
	cw.Remark, cw.SkipVerify, cw.State, cw.Users = req.Remark, req.SkipVerify, req.State, req.User
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *Server) delContactWay(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		ConfigID string `json:"config_id"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	cw := f.ContactWays[req.ConfigID]
	if cw == nil || cw.Deleted {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	cw.Deleted = true
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *Server) sendWelcome(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		WelcomeCode string `json:"welcome_code"`
		Text        struct {
			Content string `json:"content"`
		} `json:"text"`
		Attachments []map[string]any `json:"attachments"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || (req.Text.Content == "" && len(req.Attachments) == 0) ||
		len(req.Attachments) > 9 || len(req.Text.Content) > 4000 {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	for i, a := range req.Attachments {
		why := attachmentProblem(a)
		if why == "" {
			why = f.mediaProblem(a)
		}
		if why != "" && strings.Contains(why, "media id") {
			f.T.Errorf("wecomfake: %s attachment %d %v: %s", "send_welcome_msg", i, a, why)
			f.Answer(w, map[string]any{"errcode": 40007, "errmsg": "invalid media_id: " + why})
			return
		}
		if why != "" {
			f.T.Errorf("wecomfake: send_welcome_msg attachment %d %v: %s", i, a, why)
			f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid attachments: " + why})
			return
		}
	}
	wc := f.Welcomes[req.WelcomeCode]
	if wc == nil || !wc.SentAt.IsZero() || f.Now().Sub(wc.IssuedAt) > WelcomeWindow {
		f.Answer(w, map[string]any{"errcode": 41096, "errmsg": "invalid welcome_code"})
		return
	}
	wc.Text, wc.Attachments, wc.SentAt = req.Text.Content, req.Attachments, f.Now()
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// ByState is the code add_contact_way made with state, nil when none: the
// live one when a state was used again (a restored code), otherwise a
// deleted one.
func (f *Server) ByState(state string) *ContactWay {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out *ContactWay
	for _, cw := range f.ContactWays {
		if cw.State == state && (out == nil || out.Deleted) {
			c := *cw
			out = &c
		}
	}
	return out
}

// WithState are the codes add_contact_way made with state, live or deleted.
func (f *Server) WithState(state string) []ContactWay {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []ContactWay
	for _, cw := range f.ContactWays {
		if cw.State == state {
			out = append(out, *cw)
		}
	}
	return out
}

// AddThrough is Add for a customer who scans code: the test fails unless
// the code exists and userID is one of its members, as WeCom only lets a
// code's members be added through it.
func (f *Server) AddThrough(code *ContactWay, c Customer, userID string, mobiles []string, at time.Time) Callback {
	f.T.Helper()
	if code == nil || code.Deleted || !slices.Contains(code.Users, userID) {
		f.T.Fatalf("wecomfake: %s is not a member of code %+v", userID, code)
	}
	return f.Add(c, userID, code.State, mobiles, at)
}

// WelcomeTo is the welcome sent to customer ext's latest add, nil when none.
func (f *Server) WelcomeTo(ext string) *Welcome {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var last *Welcome
	for _, wc := range f.Welcomes {
		if wc.ExternalUserID == ext && (last == nil || wc.IssuedAt.After(last.IssuedAt)) {
			last = wc
		}
	}
	if last == nil {
		return nil
	}
	c := *last
	return &c
}

// attachmentProblem says what is wrong with one send_welcome_msg attachment
// ("" when it has the documented shape).
func attachmentProblem(a map[string]any) string {
	kind, _ := a["msgtype"].(string)
	required := map[string][]string{"image": nil, "link": {"title", "url"}, "miniprogram": {"title", "pic_media_id", "appid", "page"},
		"video": {"media_id"}, "file": {"media_id"}}
	need, ok := required[kind]
	if !ok {
		return fmt.Sprintf("msgtype %q", kind)
	}
	for k := range a {
		if k != "msgtype" && k != kind {
			return fmt.Sprintf("an object %q in a %s attachment", k, kind)
		}
	}
	obj, _ := a[kind].(map[string]any)
	if obj == nil {
		return "no " + kind + " object"
	}
	str := func(k string) string { v, _ := obj[k].(string); return v }
	for _, k := range need {
		if str(k) == "" {
			return kind + "." + k + " is required"
		}
	}
	limits := map[string]int{"link.title": 128, "link.desc": 512, "miniprogram.title": 64}
	for k, n := range limits {
		if f, ok := strings.CutPrefix(k, kind+"."); ok && len(str(f)) > n {
			return fmt.Sprintf("%s longer than %d bytes", k, n)
		}
	}
	if kind == "image" && str("media_id") == "" && str("pic_url") == "" {
		return "image needs media_id or pic_url"
	}
	return ""
}
