package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/internal/wecom"
)

// wecomCallbacks serves /v1/callbacks/{workspace}/wecom, the URL an admin
// gives WeCom as the customer-contact callback (docs/wecom.md): GET is the
// URL verification (the decrypted echostr), POST an encrypted event. What
// does not verify is 401 and changes nothing; a replay is 200 and changes
// nothing (X-Scrm-Outcome says which); a failure is 500, which WeCom retries.
func wecomCallbacks(res *graph.Resolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, _, ok := pathWorkspace(w, r)
		if !ok {
			return
		}
		svc := res.Services.WeCom
		var (
			answer string
			err    error
		)
		if r.Method == http.MethodGet {
			answer, err = svc.Verify(ctx, r.URL.Query())
		} else {
			var body []byte
			body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCallbackBytes))
			if err == nil {
				var out wecom.Outcome
				out, err = svc.Receive(ctx, r.URL.Query(), body)
				w.Header().Set("X-Scrm-Outcome", string(out))
				answer = "success"
			}
		}
		var tooBig *http.MaxBytesError
		switch {
		case err == nil:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, answer)
		case errors.Is(err, wecom.ErrRefused):
			log.WarnContext(ctx, "wecom callback refused", "err", err)
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "the callback signature is missing or invalid")
		case errors.Is(err, wecom.ErrNotConfigured):
			writeError(w, http.StatusNotFound, "NOT_FOUND", "WeCom callbacks are not configured in this workspace")
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED", "the body is too large")
		default:
			log.ErrorContext(ctx, "wecom callback failed", "err", err)
			writeError(w, http.StatusInternalServerError, "INTERNAL", "the callback could not be applied; WeCom will retry")
		}
	}
}
