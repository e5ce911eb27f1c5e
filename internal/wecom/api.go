package wecom

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/config"
	workctx "github.com/silenceper/wechat/v2/work/context"
	"github.com/silenceper/wechat/v2/work/externalcontact"
	"github.com/silenceper/wechat/v2/work/material"

	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// apiHost is the prefix of every URL silenceper/wechat calls; the library
// has no per-client base URL, see hosts.
const apiHost = "https://qyapi.weixin.qq.com"

var (
	// tokenErrcodes mean the access token must be fetched again.
	tokenErrcodes = []int64{40001, 40014, 42001}
	// temporaryErrcodes are WeCom busy (-1) and its frequency limits.
	temporaryErrcodes = []int64{-1, 45009, 45033}
	// backoff is the pause before each retry of a temporary error.
	backoff = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond}
)

// hosts maps an access token to the base URL it was issued by. The library
// builds every request URL from a constant host and a global HTTP client;
// its one hook, util.SetURIModifier, is process-wide. A token belongs to
// exactly one corp and gateway, so rewriting a request by the token it
// carries sends each workspace's calls to its own baseURL, whatever runs
// concurrently.
var hosts sync.Map // access token -> base URL

func init() {
	util.SetURIModifier(func(uri string) string {
		rest, ok := strings.CutPrefix(uri, apiHost)
		if !ok {
			return uri
		}
		u, err := url.Parse(uri)
		if err != nil {
			return uri
		}
		if base, ok := hosts.Load(u.Query().Get("access_token")); ok {
			return base.(string) + rest
		}
		return uri
	})
}

// tokens caches access tokens per (base URL, corp, secret) for the process.
type tokens struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]cachedToken
}

type cachedToken struct {
	token   string
	expires time.Time
}

// tokenHandle is a credential.AccessTokenHandle for one corp and secret.
type tokenHandle struct {
	t                  *tokens
	base, corp, secret string
}

// GetAccessToken returns the cached token, fetching one from
// {base}/cgi-bin/gettoken when there is none or it is about to expire.
func (h tokenHandle) GetAccessToken() (string, error) {
	key := h.base + "\x00" + h.corp + "\x00" + h.secret
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	if c, ok := h.t.m[key]; ok && h.t.now().Before(c.expires) {
		return c.token, nil
	}
	q := url.Values{"corpid": {h.corp}, "corpsecret": {h.secret}}
	body, err := util.HTTPGet(h.base + "/cgi-bin/gettoken?" + q.Encode())
	if err != nil {
		return "", fmt.Errorf("wecom gettoken: %w", err)
	}
	var res struct {
		util.CommonError
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := util.DecodeWithError(body, &res, "gettoken"); err != nil {
		return "", err
	}
	if res.AccessToken == "" {
		return "", errors.New("wecom gettoken: no access_token in the answer")
	}
	// Refresh a few minutes early so a call never carries an expiring token.
	life := time.Duration(res.ExpiresIn)*time.Second - 5*time.Minute
	if life < time.Minute {
		life = time.Minute
	}
	if old, ok := h.t.m[key]; ok {
		hosts.Delete(old.token)
	}
	h.t.m[key] = cachedToken{token: res.AccessToken, expires: h.t.now().Add(life)}
	hosts.Store(res.AccessToken, h.base)
	return res.AccessToken, nil
}

// forget drops the cached token after WeCom refused it.
func (h tokenHandle) forget() {
	key := h.base + "\x00" + h.corp + "\x00" + h.secret
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	if old, ok := h.t.m[key]; ok {
		hosts.Delete(old.token)
		delete(h.t.m, key)
	}
}

// contacts is the external-contact API of one workspace's corp, and its
// media upload (welcome images) with the same token.
type contacts struct {
	handle tokenHandle
	client *externalcontact.Client
	media  *material.Client
}

func (t *tokens) contacts(cfg wecomplug.Config) *contacts {
	h := tokenHandle{t: t, base: cfg.BaseURL, corp: cfg.CorpID, secret: cfg.ContactSecret}
	wc := &workctx.Context{
		Config:            &config.Config{CorpID: cfg.CorpID, CorpSecret: cfg.ContactSecret, EncodingAESKey: cfg.EncodingAESKey, Token: cfg.CallbackToken},
		AccessTokenHandle: h,
	}
	return &contacts{handle: h, client: externalcontact.NewClient(wc), media: material.NewClient(wc)}
}

// detail fetches externalcontact/get for one customer. A refused token is
// fetched again and the call retried once; busy and rate-limit errcodes are
// retried with a short backoff that stays inside WeCom's 5-second callback
// window.
func (c *contacts) detail(externalUserID string) (*externalcontact.ExternalUserDetailResponse, error) {
	var res *externalcontact.ExternalUserDetailResponse
	err := c.retrying(func() error {
		var err error
		res, err = c.client.GetExternalUserDetail(externalUserID)
		return err
	})
	return res, err
}

func isTokenError(code int64) bool { return slices.Contains(tokenErrcodes, code) }

// isPermanent reports whether err is WeCom's refusal that no retry changes
// (an errcode neither of the token nor busy or rate-limited).
func isPermanent(err error) bool {
	var ce *util.CommonError
	return errors.As(err, &ce) && !isTokenError(ce.ErrCode) && !slices.Contains(temporaryErrcodes, ce.ErrCode)
}

// parseConfig reads the channel's stored config.
func parseConfig(raw json.RawMessage) (wecomplug.Config, error) {
	return wecomplug.ParseConfig(raw)
}
