package wecom

import (
	"context"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // the JS-SDK signature is defined with SHA-1
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/config"
	workctx "github.com/silenceper/wechat/v2/work/context"
	"github.com/silenceper/wechat/v2/work/oauth"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// The chat sidebar (聊天工具栏): a page WeCom opens beside a chat with a
// customer. Its member signs in through the application's OAuth2
// (auth/getuserinfo with the application's access token: corpId +
// corpSecret) and the page calls the JS-SDK, whose wx.config and
// wx.agentConfig are signed here with the corp's and the application's
// jsapi tickets. silenceper/wechat's work/oauth is used for getuserinfo; its
// work/jsapi is not: its ticket cache reads the wall clock, keeps tickets in
// its own cache and never drops one on a token errcode, so the tickets are
// fetched and cached here, like the access tokens (api.go).

// Reason codes of a refused sign-in, for the page to say in the UI language.
const (
	SignInAppNotConfigured = "WECOM_APP_NOT_CONFIGURED"
	SignInCodeRefused      = "WECOM_CODE_REFUSED"
	SignInNotMember        = "WECOM_NOT_MEMBER"
	SignInNotLinked        = "WECOM_MEMBER_NOT_LINKED"
	SignInUserInactive     = "WECOM_USER_INACTIVE"
)

// SignInError is a refused sidebar sign-in: Code is one of the SignIn*
// reason codes, nothing was issued.
type SignInError struct {
	Code    string
	Message string
	Err     error
}

func (e *SignInError) Error() string { return "wecom sign-in: " + e.Message }

// Unwrap is the cause.
func (e *SignInError) Unwrap() error { return e.Err }

// ErrAppNotConfigured is a workspace whose wecom channel lacks the
// application: corpId, corpSecret (the application's Secret) and agentId.
var ErrAppNotConfigured = &SignInError{Code: SignInAppNotConfigured,
	Message: "configure the wecom channel's corpId, agentId and corpSecret (the sidebar application's Secret) first"}

// Ticket types: the corp's (wx.config) and the application's (wx.agentConfig).
const (
	ticketCorp  = "jsapi"
	ticketAgent = "agent_config"
)

// tickets caches jsapi tickets per (base URL, corp, agent, type) for the
// process until shortly before their expires_in (7200 s).
type tickets struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

// appConfig is the workspace's wecom config, which must name the sidebar's
// application.
func (s *Service) appConfig(ctx context.Context) (wecomplug.Config, error) {
	raw, enabled, err := s.Channels.ChannelConfig(ctx, ChannelName)
	if ent.IsNotFound(err) || (err == nil && !enabled) {
		return wecomplug.Config{}, ErrAppNotConfigured
	}
	if err != nil {
		return wecomplug.Config{}, err
	}
	cfg, err := parseConfig(raw)
	if err != nil {
		return cfg, err
	}
	if cfg.CorpID == "" || cfg.CorpSecret == "" || cfg.AgentID <= 0 {
		return cfg, ErrAppNotConfigured
	}
	return cfg, nil
}

// app is the API with the application's access token.
func (s *Service) app(cfg wecomplug.Config) (*contacts, *workctx.Context) {
	h := tokenHandle{t: s.tokens, base: cfg.BaseURL, corp: cfg.CorpID, secret: cfg.CorpSecret}
	wc := &workctx.Context{Config: &config.Config{CorpID: cfg.CorpID, CorpSecret: cfg.CorpSecret,
		AgentID: strconv.FormatInt(cfg.AgentID, 10)}, AccessTokenHandle: h}
	return &contacts{handle: h}, wc
}

// AuthorizeURL is WeCom's OAuth2 page for the sidebar's application
// (snsapi_base: the member's userid only), which sends the member back to
// redirectPath on the sidebar's origin (the channel's sidebarOrigin, else
// requestOrigin, the origin the member's request came to) with code and
// state.
func (s *Service) AuthorizeURL(ctx context.Context, requestOrigin, redirectPath, state string) (string, error) {
	cfg, err := s.appConfig(ctx)
	if err != nil {
		return "", err
	}
	origin := cfg.SidebarOrigin
	if origin == "" {
		origin = requestOrigin
	}
	// The documented order of the parameters (url.Values would sort them).
	return "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + url.QueryEscape(cfg.CorpID) +
		"&redirect_uri=" + url.QueryEscape(origin+redirectPath) + "&response_type=code&scope=snsapi_base" +
		"&state=" + url.QueryEscape(state) + "&agentid=" + strconv.FormatInt(cfg.AgentID, 10) + "#wechat_redirect", nil
}

// SignIn exchanges a sidebar OAuth code (auth/getuserinfo) for the active
// user of the workspace linked to the member (updateUser wecomUserID). A
// code WeCom refuses (used before, expired: errcode 40029), a visitor who
// is not a member of the corp, a member no user is linked to and a
// deactivated user are SignInErrors, and nothing is issued.
func (s *Service) SignIn(ctx context.Context, code string) (*ent.User, error) {
	cfg, err := s.appConfig(ctx)
	if err != nil {
		return nil, err
	}
	if code == "" || len(code) > 512 {
		return nil, &SignInError{Code: SignInCodeRefused, Message: "the sign-in code is missing"}
	}
	api, wc := s.app(cfg)
	var res *oauth.GetUserInfoResponse
	err = api.retrying(func() error {
		var err error
		res, err = oauth.NewOauth(wc).GetUserInfo(code)
		return err
	})
	var ce *util.CommonError
	switch {
	case errors.As(err, &ce) && (ce.ErrCode == 40029 || ce.ErrCode == 40163 || ce.ErrCode == 42003):
		return nil, &SignInError{Code: SignInCodeRefused, Err: err,
			Message: fmt.Sprintf("WeCom refused the sign-in code (errcode %d: used before or expired); open the sidebar again", ce.ErrCode)}
	case err != nil:
		return nil, fmt.Errorf("wecom: auth/getuserinfo: %w", err)
	case res.UserID == "":
		return nil, &SignInError{Code: SignInNotMember, Message: "the visitor is not a member of the corp"}
	}
	u, err := s.Client.User.Query().Where(user.WecomUserID(res.UserID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &SignInError{Code: SignInNotLinked,
			Message: fmt.Sprintf("no user of the workspace is linked to WeCom member %q (updateUser wecomUserID)", res.UserID)}
	}
	if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, &SignInError{Code: SignInUserInactive, Message: "the user linked to the member is deactivated"}
	}
	return u, nil
}

// JsSdkConfig is what the page passes to wx.config (Signature, with the
// corp's ticket) and wx.agentConfig (AgentSignature, with the
// application's), for one page URL.
type JsSdkConfig struct {
	CorpID         string
	AgentID        int64
	Timestamp      int64
	NonceStr       string
	Signature      string
	AgentSignature string
}

// errPageURL is a page URL the JS-SDK config is refused for.
func errPageURL(format string, args ...any) error {
	return apperr.Input("url", format, args...)
}

// JsSdkConfig signs pageURL (its fragment dropped, as WeCom does) for the
// JS-SDK. The page must be served from the channel's sidebarOrigin, or
// without one from requestHost (the host the caller's request came to),
// so the signatures are never handed out for another site's page.
func (s *Service) JsSdkConfig(ctx context.Context, pageURL, requestHost string) (*JsSdkConfig, error) {
	cfg, err := s.appConfig(ctx)
	if errors.Is(err, ErrAppNotConfigured) {
		return nil, apperr.Wrap(err, apperr.Conflict, "", ErrAppNotConfigured.Message)
	}
	if err != nil {
		return nil, err
	}
	page, err := checkPageURL(pageURL, cfg.SidebarOrigin, requestHost)
	if err != nil {
		return nil, err
	}
	corp, err := s.ticket(cfg, ticketCorp)
	if err != nil {
		return nil, err
	}
	agent, err := s.ticket(cfg, ticketAgent)
	if err != nil {
		return nil, err
	}
	n := make([]byte, 8)
	if _, err := rand.Read(n); err != nil {
		return nil, err
	}
	out := &JsSdkConfig{CorpID: cfg.CorpID, AgentID: cfg.AgentID, Timestamp: s.Now().Unix(), NonceStr: hex.EncodeToString(n)}
	out.Signature = JsSdkSignature(corp, out.NonceStr, out.Timestamp, page)
	out.AgentSignature = JsSdkSignature(agent, out.NonceStr, out.Timestamp, page)
	return out, nil
}

// checkPageURL returns raw without its fragment when it is an http(s) URL
// of origin (scheme and host), or of host when origin is empty.
func checkPageURL(raw, origin, host string) (string, error) {
	u, err := url.Parse(raw)
	if raw == "" || len(raw) > 2048 || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errPageURL("must be the page's absolute http(s) URL (location.href)")
	}
	u.Fragment, u.RawFragment = "", ""
	if origin != "" {
		if !strings.EqualFold(u.Scheme+"://"+u.Host, origin) {
			return "", errPageURL("the page is not on the sidebar's origin %s (the wecom channel's sidebarOrigin)", origin)
		}
	} else if host == "" || !strings.EqualFold(u.Host, host) {
		return "", errPageURL("the page is not on this server's host %s; set the wecom channel's sidebarOrigin when the sidebar is served from another", host)
	}
	s, _, _ := strings.Cut(raw, "#")
	return s, nil
}

// JsSdkSignature is WeCom's JS-SDK signature: the hex SHA-1 of
// "jsapi_ticket=T&noncestr=N&timestamp=TS&url=URL", URL without its fragment.
func JsSdkSignature(ticket, nonce string, timestamp int64, pageURL string) string {
	//nolint:gosec // SHA-1 is WeCom's definition
	sum := sha1.Sum([]byte("jsapi_ticket=" + ticket + "&noncestr=" + nonce + "&timestamp=" +
		strconv.FormatInt(timestamp, 10) + "&url=" + pageURL))
	return hex.EncodeToString(sum[:])
}

// ticket returns the cached ticket of kind, fetching it when there is none
// or it is about to expire: GET /cgi-bin/get_jsapi_ticket (the corp's) or
// /cgi-bin/ticket/get?type=agent_config (the application's), with the
// application's access token. A token errcode (40001, 40014, 42001) fetches
// the token again and retries once; busy errcodes are retried with backoff.
func (s *Service) ticket(cfg wecomplug.Config, kind string) (string, error) {
	key := cfg.BaseURL + "\x00" + cfg.CorpID + "\x00" + strconv.FormatInt(cfg.AgentID, 10) + "\x00" + kind
	s.tickets.mu.Lock()
	defer s.tickets.mu.Unlock()
	if c, ok := s.tickets.m[key]; ok && s.Now().Before(c.expires) {
		return c.token, nil
	}
	api, _ := s.app(cfg)
	path := "/cgi-bin/get_jsapi_ticket?access_token="
	if kind == ticketAgent {
		path = "/cgi-bin/ticket/get?type=agent_config&access_token="
	}
	var res struct {
		util.CommonError
		Ticket    string `json:"ticket"`
		ExpiresIn int64  `json:"expires_in"`
	}
	err := api.retrying(func() error {
		tok, err := api.handle.GetAccessToken()
		if err != nil {
			return err
		}
		body, err := util.HTTPGet(cfg.BaseURL + path + url.QueryEscape(tok))
		if err != nil {
			return err
		}
		return util.DecodeWithError(body, &res, "get "+kind+" ticket")
	})
	if err != nil {
		return "", fmt.Errorf("wecom: %s ticket: %w", kind, err)
	}
	if res.Ticket == "" {
		return "", fmt.Errorf("wecom: %s ticket: no ticket in the answer", kind)
	}
	life := time.Duration(res.ExpiresIn)*time.Second - 5*time.Minute
	if life < time.Minute {
		life = time.Minute
	}
	s.tickets.m[key] = cachedToken{token: res.Ticket, expires: s.Now().Add(life)}
	return res.Ticket, nil
}
