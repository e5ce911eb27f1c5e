package server

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/scrmhq/scrm/graph"
)

// wecomVerifyFile serves WeCom's domain verification file (可信域名,
// docs/wecom.md "The chat sidebar"): GET /WW_verify_….txt answers the text
// a workspace's wecom channel configured for that name (verifyFileName,
// verifyFileContent), as plain text; any other WW_verify_ name is a 404
// (not the web app's page). Every other path goes to next.
func wecomVerifyFile(res *graph.Resolver, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, root := strings.CutPrefix(r.URL.Path, "/")
		if !root || !strings.HasPrefix(name, "WW_verify_") || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			next.ServeHTTP(w, r)
			return
		}
		content, ok, err := res.Services.WeCom.VerifyFile(r.Context(), name)
		if err != nil {
			log.ErrorContext(r.Context(), "wecom verification file", "err", err)
			writeError(w, http.StatusInternalServerError, "INTERNAL", "could not read the verification file")
			return
		}
		if !ok {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "no such file")
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = io.WriteString(w, content)
	})
}
