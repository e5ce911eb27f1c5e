package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/plugins"
)

// MaxCallbackBytes bounds a provider callback's body.
const MaxCallbackBytes = 1 << 20

// callbacks serves POST /v1/callbacks/{workspace}/{channel}: a channel
// provider's delivery reports and replies. Providers cannot hold our
// credentials, so the request is authenticated by the channel plugin's
// signature check with the workspace's channel secret; a bad signature is
// 401 and changes nothing.
func callbacks(res *graph.Resolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, _, ok := pathWorkspace(w, r)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxCallbackBytes)
		out, err := res.Broadcaster.Callback(ctx, r.PathValue("channel"), r)
		var tooBig *http.MaxBytesError
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, map[string]any{"matched": out.Matched, "ignored": out.Ignored})
		case errors.Is(err, plugins.ErrSignature):
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "the callback signature is missing or invalid")
		case errors.Is(err, plugins.ErrUnsupported):
			writeError(w, http.StatusNotFound, "NOT_FOUND", "this channel has no callbacks")
		case ent.IsNotFound(err):
			writeError(w, http.StatusNotFound, "NOT_FOUND", "the channel is not configured in this workspace")
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED", "the body is too large")
		default:
			log.ErrorContext(ctx, "channel callback failed", "channel", r.PathValue("channel"), "err", err)
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "the callback could not be read")
		}
	}
}

// pathWorkspace reads the {workspace} of a provider-facing path (callbacks,
// WeCom's redirects), which carries no credential to name it, and returns
// the request's context in that workspace; an unknown one is answered 404
// here and ok is false.
func pathWorkspace(w http.ResponseWriter, r *http.Request) (ctx context.Context, tid uuid.UUID, ok bool) {
	tid, ok = broadcast.WorkspaceOf(r.PathValue("workspace"))
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "unknown workspace")
		return nil, uuid.Nil, false
	}
	return tenant.NewContext(r.Context(), tid), tid, true
}
