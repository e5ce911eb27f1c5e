package server

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/internal/wecom"
)

// The WeCom chat sidebar's sign-in (docs/wecom.md "The chat sidebar"):
//
//	GET /v1/wecom/{workspace}/sidebar  the page URL given to WeCom: a 302 to
//	    WeCom's OAuth2 page with a signed state, its nonce kept in a cookie
//	GET /v1/wecom/{workspace}/oauth?code&state  WeCom's redirect back: the
//	    member's user gets a login token, handed to the web app's sidebar in
//	    the URL fragment (/wecom/sidebar#token=…), which no proxy or server
//	    log sees; a refusal is /wecom/sidebar#error=CODE and issues nothing.
//	    Both carry workspace=, so the page can start a new sign-in.
const (
	sidebarPage     = "/wecom/sidebar"
	sidebarCookie   = "scrm_wecom_oauth"
	sidebarPurpose  = "wecom-oauth"
	sidebarStateTTL = 10 * time.Minute
	// SignInBadState is a state that did not verify (CSRF, expired, another browser).
	signInBadState = "WECOM_STATE_INVALID"
)

func requestOrigin(r *http.Request) string {
	if secure(r) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// wecomSidebarStart sends the member to WeCom's OAuth2 page.
func wecomSidebarStart(res *graph.Resolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ws := r.PathValue("workspace")
		ctx, tid, ok := pathWorkspace(w, r)
		if !ok {
			return
		}
		state, nonce, err := res.Services.Auth.SignState(sidebarPurpose, tid, sidebarStateTTL)
		if err != nil {
			log.ErrorContext(ctx, "wecom sidebar state", "err", err)
			writeError(w, http.StatusInternalServerError, "INTERNAL", "could not start the sign-in")
			return
		}
		to, err := res.Services.WeCom.AuthorizeURL(ctx, requestOrigin(r), "/v1/wecom/"+url.PathEscape(ws)+"/oauth", state)
		if err != nil {
			sidebarRefused(w, r, log, err)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: sidebarCookie, Value: nonce, Path: "/v1/wecom/", MaxAge: int(sidebarStateTTL.Seconds()),
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure(r)})
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, to, http.StatusFound)
	}
}

// wecomSidebarOAuth takes WeCom's redirect back with the member's code.
func wecomSidebarOAuth(res *graph.Resolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, tid, ok := pathWorkspace(w, r)
		if !ok {
			return
		}
		// The nonce is single-use: the cookie goes whatever the outcome.
		http.SetCookie(w, &http.Cookie{Name: sidebarCookie, Value: "", Path: "/v1/wecom/", MaxAge: -1,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure(r)})
		nonce := ""
		if c, err := r.Cookie(sidebarCookie); err == nil {
			nonce = c.Value
		}
		q := r.URL.Query()
		if err := res.Services.Auth.VerifyState(sidebarPurpose, tid, q.Get("state"), nonce); err != nil {
			sidebarRefused(w, r, log, &wecom.SignInError{Code: signInBadState, Message: err.Error(), Err: err})
			return
		}
		u, err := res.Services.WeCom.SignIn(ctx, q.Get("code"))
		if err != nil {
			sidebarRefused(w, r, log, err)
			return
		}
		login, err := res.Services.Auth.IssueFor(ctx, u)
		if err != nil {
			sidebarRefused(w, r, log, err)
			return
		}
		frag := url.Values{"token": {login.Token}, "expiresAt": {login.ExpiresAt.UTC().Format(time.RFC3339)},
			"workspace": {r.PathValue("workspace")}}
		sidebarRedirect(w, r, frag)
	}
}

// sidebarRefused sends the page the reason code of a refused sign-in
// (#error=CODE); an unexpected failure is WECOM_SIGN_IN_FAILED and logged.
func sidebarRefused(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var se *wecom.SignInError
	code := "WECOM_SIGN_IN_FAILED"
	if errors.As(err, &se) {
		code = se.Code
		log.WarnContext(r.Context(), "wecom sidebar sign-in refused", "code", code, "err", err)
	} else {
		log.ErrorContext(r.Context(), "wecom sidebar sign-in failed", "err", err)
	}
	w.Header().Set("X-Scrm-Outcome", code)
	sidebarRedirect(w, r, url.Values{"error": {code}, "workspace": {r.PathValue("workspace")}})
}

func sidebarRedirect(w http.ResponseWriter, r *http.Request, fragment url.Values) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, sidebarPage+"#"+fragment.Encode(), http.StatusFound)
}
