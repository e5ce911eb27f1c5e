package wecomfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The staff mass-send endpoints (客户群发), with the documented shapes
// (https://developer.work.weixin.qq.com/document/path/92135, 93338, 92136):
//
//	POST /cgi-bin/externalcontact/add_msg_template {chat_type "single", external_userid [...] (≤10000), sender, text {content},
//	    attachments [...] (≤9, text or attachments required; each in send_welcome_msg's shapes, checked by
//	    attachmentProblem: image {media_id | pic_url}, link {title ≤128 bytes, url, picurl, desc ≤512 bytes},
//	    miniprogram {title ≤64 bytes, pic_media_id, appid, page}, video, file)}
//	    -> msgid, fail_list (customers who are not the sender's); 40014 bad token, 40058 a bad parameter
//	    or attachment (the test fails on a bad attachment), 60111 a sender who is not a member
//	POST /cgi-bin/externalcontact/get_groupmsg_list_v2 {chat_type, start_time, end_time, creator, filter_type, limit, cursor}
//	    -> group_msg_list [{msgid, creator, create_time, create_type, text}], next_cursor
//	POST /cgi-bin/externalcontact/get_groupmsg_task {msgid, limit, cursor} -> task_list [{userid, status 0|2, send_time}]
//	POST /cgi-bin/externalcontact/get_groupmsg_send_result {msgid, userid, limit, cursor}
//	    -> send_list [{external_userid, userid, status 0 unsent|1 sent|2 not a contact|3 already got a mass message, send_time}]
//
//	POST /cgi-bin/externalcontact/cancel_groupmsg_send {msgid} -> errcode (members who have not sent it no longer can)
//	POST /cgi-bin/externalcontact/remind_groupmsg_send {msgid} -> errcode; at most three reminders of a msgid
//	    in 24 hours (document/path/97610; the fake answers a fourth with 45009, the frequency errcode, as WeCom
//	    documents no errcode of its own for it), 41063 an unknown msgid
//
// A template waits until its member sends it (Confirm), as in the WeCom app.

// GroupMsg is a mass-send template add_msg_template made.
type GroupMsg struct {
	MsgID, Sender, Content string
	// Attachments are the template's attachments as WeCom received them.
	Attachments []map[string]any
	CreatedAt   time.Time
	// SentAt is when the member sent it (zero: not yet).
	SentAt time.Time
	// Cancelled: cancel_groupmsg_send stopped it; Confirm no longer sends it.
	Cancelled bool
	// Reminders are the times remind_groupmsg_send reminded its member.
	Reminders []time.Time
	// Results are each customer's status: 0 unsent, 1 sent, 2 not a contact,
	// 3 already received a mass message.
	Results map[string]int
}

// GroupMsgs returns copies of the templates made, oldest first.
func (f *Server) GroupMsgs() []GroupMsg {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	out := make([]GroupMsg, 0, len(f.groupMsgs))
	for _, g := range f.groupMsgs {
		c := *g
		c.Reminders, c.Attachments = slices.Clone(g.Reminders), slices.Clone(g.Attachments)
		c.Results = map[string]int{}
		for k, v := range g.Results {
			c.Results[k] = v
		}
		out = append(out, c)
	}
	return out
}

// Confirm is member sender sending every template waiting for them in the
// WeCom app: each customer gets it (1), except those who are no longer the
// member's contact (2) and those in AlreadyReceived (3).
func (f *Server) Confirm(sender string) int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	n := 0
	for _, g := range f.groupMsgs {
		if g.Sender != sender || !g.SentAt.IsZero() || g.Cancelled {
			continue
		}
		f.send(g)
		n++
	}
	return n
}

// send is g's member sending it (callers hold Mu).
func (f *Server) send(g *GroupMsg) {
	g.SentAt = f.Now()
	for ext := range g.Results {
		switch {
		case !f.isContact(ext, g.Sender):
			g.Results[ext] = 2
		case slices.Contains(f.AlreadyReceived, ext):
			g.Results[ext] = 3
		default:
			g.Results[ext] = 1
		}
	}
}

// isContact reports whether ext is member's external contact (callers hold Mu).
func (f *Server) isContact(ext, member string) bool {
	c := f.Customers[ext]
	if c == nil {
		return false
	}
	return slices.ContainsFunc(c.Follow, func(fl Follow) bool { return fl.UserID == member })
}

func (f *Server) addMsgTemplate(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	locked := true
	defer func() {
		if locked {
			f.Mu.Unlock()
		}
	}()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		ChatType       string   `json:"chat_type"`
		ExternalUserID []string `json:"external_userid"`
		Sender         string   `json:"sender"`
		Text           struct {
			Content string `json:"content"`
		} `json:"text"`
		Attachments []map[string]any `json:"attachments"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ChatType != "single" || req.Sender == "" ||
		len(req.ExternalUserID) == 0 || len(req.ExternalUserID) > 10000 || (req.Text.Content == "" && len(req.Attachments) == 0) ||
		len(req.Attachments) > 9 {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	for i, a := range req.Attachments {
		why := attachmentProblem(a)
		if why == "" {
			why = f.mediaProblem(a)
		}
		if why != "" && strings.Contains(why, "media id") {
			f.T.Errorf("wecomfake: %s attachment %d %v: %s", "add_msg_template", i, a, why)
			f.Answer(w, map[string]any{"errcode": 40007, "errmsg": "invalid media_id: " + why})
			return
		}
		if why != "" {
			f.T.Errorf("wecomfake: add_msg_template attachment %d %v: %s", i, a, why)
			f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid attachments: " + why})
			return
		}
	}
	if len(f.Members) > 0 && !slices.Contains(f.Members, req.Sender) {
		f.Answer(w, map[string]any{"errcode": 60111, "errmsg": "userid not found"})
		return
	}
	g := &GroupMsg{MsgID: fmt.Sprintf("msgGAAAA%04d", len(f.groupMsgs)+1), Sender: req.Sender, Content: req.Text.Content,
		Attachments: req.Attachments, CreatedAt: f.Now(), Results: map[string]int{}}
	fail := []string{}
	for _, ext := range req.ExternalUserID {
		if f.isContact(ext, req.Sender) {
			g.Results[ext] = 0
		} else {
			fail = append(fail, ext)
		}
	}
	f.groupMsgs = append(f.groupMsgs, g)
	if f.SendOnCreate {
		f.send(g)
	}
	if f.HoldAnswerOf > 0 && f.HoldAnswerOf == len(f.groupMsgs) {
		// The template is made; its answer waits until the caller goes away
		// (a test kills it) or 30 seconds pass.
		f.Mu.Unlock()
		locked = false
		select {
		case <-r.Context().Done():
			return
		case <-time.After(30 * time.Second):
		}
		f.Mu.Lock()
		locked = true
	}
	if f.LoseNextTemplateAnswer {
		// The template is made, but its answer never reaches the caller (a
		// network cut, a killed worker).
		f.LoseNextTemplateAnswer = false
		http.Error(w, "upstream connection reset", http.StatusBadGateway)
		return
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": g.MsgID, "fail_list": fail})
}

func (f *Server) groupMsgList(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		ChatType  string `json:"chat_type"`
		StartTime int64  `json:"start_time"`
		EndTime   int64  `json:"end_time"`
		Limit     int    `json:"limit"`
		Cursor    string `json:"cursor"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.EndTime < req.StartTime || req.Limit > 100 {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	if req.Limit <= 0 {
		req.Limit = 50
	}
	var list []map[string]any
	for _, g := range f.groupMsgs {
		if t := g.CreatedAt.Unix(); t >= req.StartTime && t <= req.EndTime {
			// Templates made through the API are the corp's (create_type 0):
			// WeCom names no creator for them.
			list = append(list, map[string]any{"msgid": g.MsgID, "creator": "", "create_time": g.CreatedAt.Unix(),
				"create_type": 0, "text": map[string]any{"content": g.Content}})
		}
	}
	start, _ := strconv.Atoi(req.Cursor)
	start = min(start, len(list))
	end := min(start+req.Limit, len(list))
	next := ""
	if end < len(list) {
		next = strconv.Itoa(end)
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "group_msg_list": list[start:end], "next_cursor": next})
}

func (f *Server) groupMsg(id string) *GroupMsg {
	for _, g := range f.groupMsgs {
		if g.MsgID == id {
			return g
		}
	}
	return nil
}

func (f *Server) cancelGroupMsg(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		MsgID string `json:"msgid"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	g := f.groupMsg(req.MsgID)
	if g == nil {
		f.Answer(w, map[string]any{"errcode": 41063, "errmsg": "msgid not found"})
		return
	}
	g.Cancelled = true
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *Server) remindGroupMsg(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		MsgID string `json:"msgid"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.MsgID == "" {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	g := f.groupMsg(req.MsgID)
	if g == nil {
		f.Answer(w, map[string]any{"errcode": 41063, "errmsg": "msgid not found"})
		return
	}
	now, recent := f.Now(), 0
	for _, at := range g.Reminders {
		if now.Sub(at) < 24*time.Hour {
			recent++
		}
	}
	if recent >= 3 {
		f.T.Errorf("wecomfake: a fourth reminder of %s within 24 hours", g.MsgID)
		f.Answer(w, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		return
	}
	g.Reminders = append(g.Reminders, now)
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *Server) groupMsgTask(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		MsgID string `json:"msgid"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	g := f.groupMsg(req.MsgID)
	if g == nil {
		f.Answer(w, map[string]any{"errcode": 41063, "errmsg": "msgid not found"})
		return
	}
	status, at := 0, int64(0)
	if !g.SentAt.IsZero() {
		status, at = 2, g.SentAt.Unix()
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "next_cursor": "",
		"task_list": []map[string]any{{"userid": g.Sender, "status": status, "send_time": at}}})
}

func (f *Server) groupMsgSendResult(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		MsgID  string `json:"msgid"`
		UserID string `json:"userid"`
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Limit > 1000 {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	g := f.groupMsg(req.MsgID)
	if g == nil || g.Sender != req.UserID {
		f.Answer(w, map[string]any{"errcode": 41063, "errmsg": "msgid not found"})
		return
	}
	if req.Limit <= 0 {
		req.Limit = 500
	}
	exts := make([]string, 0, len(g.Results))
	for ext := range g.Results {
		exts = append(exts, ext)
	}
	slices.Sort(exts)
	start, _ := strconv.Atoi(req.Cursor)
	start = min(start, len(exts))
	end := min(start+req.Limit, len(exts))
	list := []map[string]any{}
	for _, ext := range exts[start:end] {
		at := int64(0)
		if g.Results[ext] == 1 {
			at = g.SentAt.Unix()
		}
		list = append(list, map[string]any{"external_userid": ext, "userid": g.Sender, "status": g.Results[ext], "send_time": at})
	}
	next := ""
	if end < len(exts) {
		next = strconv.Itoa(end)
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "send_list": list, "next_cursor": next})
}

// Lose is customer ext deleting member (流失): the member no longer has
// them, and the callback WeCom sends for it is returned.
func (f *Server) Lose(ext, member string, at time.Time) Callback {
	f.Mu.Lock()
	if c := f.Customers[ext]; c != nil {
		c.Follow = slices.DeleteFunc(c.Follow, func(fl Follow) bool { return fl.UserID == member })
	}
	f.Mu.Unlock()
	return f.Event(at, member, ext, "del_follow_user", "")
}
