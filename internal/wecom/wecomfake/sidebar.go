package wecomfake

import (
	"fmt"
	"net/http"
)

// The chat sidebar's endpoints, with the application's access token
// (gettoken with AppSecret; https://developer.work.weixin.qq.com/document/path/91023, 90506, 94313):
//
//	GET /cgi-bin/auth/getuserinfo?access_token&code -> userid (a member) or openid (a visitor);
//	    40029 a code used before or unknown; 40014 a token that is not the application's
//	GET /cgi-bin/get_jsapi_ticket?access_token -> ticket, expires_in 7200 (the corp's)
//	GET /cgi-bin/ticket/get?access_token&type=agent_config -> ticket, expires_in 7200 (the application's)

// Sidebar is the fake's state of the sidebar's endpoints, under Mu.
type Sidebar struct {
	// AppSecret is the application's Secret (the channel's corpSecret).
	AppSecret string
	// AppTokens are the tokens gettoken issued for AppSecret.
	AppTokens map[string]bool
	// Codes are the OAuth codes not used yet: code -> member userid ("" a visitor outside the corp).
	Codes map[string]string
	// Tickets counts the tickets issued, by type ("jsapi", "agent_config").
	Tickets map[string]int
	// TicketErrcodes are the answers of the next ticket calls, one per
	// call, instead of a ticket (40014, 42001, -1 …).
	TicketErrcodes []int
	codeSeq        int
}

// EnableSidebar gives the corp an application with secret; gettoken then
// issues its tokens too.
func (f *Server) EnableSidebar(secret string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Sidebar = Sidebar{AppSecret: secret, AppTokens: map[string]bool{}, Codes: map[string]string{}, Tickets: map[string]int{}}
}

// Code is the OAuth code WeCom hands the sidebar page of member userID
// ("" for a visitor who is not a member) when it redirects back.
func (f *Server) Code(userID string) string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Sidebar.codeSeq++
	c := fmt.Sprintf("CODE%06d", f.Sidebar.codeSeq)
	f.Sidebar.Codes[c] = userID
	return c
}

// TicketsIssued is how many tickets of type kind were issued.
func (f *Server) TicketsIssued(kind string) int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.Sidebar.Tickets[kind]
}

// appToken reports whether the request carries a live token of the application.
func (f *Server) appToken(r *http.Request) bool {
	tok := r.URL.Query().Get("access_token")
	return f.Tokens[tok] && f.Sidebar.AppTokens[tok]
}

func (f *Server) sidebarRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /cgi-bin/auth/getuserinfo", f.getUserInfo)
	mux.HandleFunc("GET /cgi-bin/get_jsapi_ticket", f.ticket("jsapi"))
	mux.HandleFunc("GET /cgi-bin/ticket/get", f.ticket(""))
}

func (f *Server) getUserInfo(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Calls[r.URL.Path]++
	if !f.appToken(r) {
		f.Answer(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return
	}
	code := r.URL.Query().Get("code")
	uid, ok := f.Sidebar.Codes[code]
	if !ok {
		f.Answer(w, map[string]any{"errcode": 40029, "errmsg": "invalid code"})
		return
	}
	delete(f.Sidebar.Codes, code) // a code is good once
	if uid == "" {
		f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "openid": "oVISITOR", "external_userid": "wmVISITOR"})
		return
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "userid": uid, "user_ticket": "", "expires_in": 1800})
}

// ticket answers get_jsapi_ticket (kind "jsapi") or ticket/get (its type).
func (f *Server) ticket(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.Mu.Lock()
		defer f.Mu.Unlock()
		f.Calls[r.URL.Path]++
		k := kind
		if k == "" {
			if k = r.URL.Query().Get("type"); k != "agent_config" {
				f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid type"})
				return
			}
		}
		if len(f.Sidebar.TicketErrcodes) > 0 {
			code := f.Sidebar.TicketErrcodes[0]
			f.Sidebar.TicketErrcodes = f.Sidebar.TicketErrcodes[1:]
			if code == 40014 || code == 42001 {
				delete(f.Tokens, r.URL.Query().Get("access_token")) // expired for good
			}
			f.Answer(w, map[string]any{"errcode": code, "errmsg": "injected"})
			return
		}
		if !f.appToken(r) {
			f.Answer(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
			return
		}
		f.Sidebar.Tickets[k]++
		f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "ticket": fmt.Sprintf("%s-ticket-%d", k, f.Sidebar.Tickets[k]), "expires_in": 7200})
	}
}
