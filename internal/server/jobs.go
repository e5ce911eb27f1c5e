package server

import (
	"io"
	"mime"
	"net/http"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/gid"
)

// jobResult serves GET /v1/jobs/{id}/result: a job's result CSV (an
// import's rejected rows, an export's leads) to the users who may see the
// job (its creator and the workspace's admins), with their usual
// credentials (Authorization: Bearer, or X-API-Key). Anyone else gets 404,
// as for a job that does not exist. The file starts with a UTF-8 byte order
// mark, so Excel opens Chinese text as UTF-8.
func jobResult(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if auth.FromContext(r.Context()) == nil {
			writeError(w, http.StatusUnauthorized, string(apperr.Unauthenticated), "sign in to download a job's result")
			return
		}
		id, err := gid.DecodeAs(r.PathValue("id"), gid.Job)
		if err != nil {
			writeError(w, http.StatusNotFound, string(apperr.NotFound), "no such job")
			return
		}
		var bw *bomWriter
		err = d.Services.Jobs.WriteResult(r.Context(), id, func(name string) io.Writer {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
			w.Header().Set("Cache-Control", "private, no-store")
			bw = &bomWriter{w: w}
			return bw
		})
		if err == nil {
			_ = bw.finish()
			return
		}
		if bw != nil {
			// The headers are gone; cut the response short so the client
			// sees a broken download, not a short file.
			d.Log.ErrorContext(r.Context(), "job result download failed", "err", err)
			panic(http.ErrAbortHandler)
		}
		if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound {
			writeError(w, http.StatusNotFound, string(apperr.NotFound), e.Message)
			return
		}
		d.Log.ErrorContext(r.Context(), "job result", "err", err)
		writeError(w, http.StatusInternalServerError, string(apperr.Internal), "internal error")
	}
}

// bomWriter writes a UTF-8 byte order mark before the file unless the file
// starts with one.
type bomWriter struct {
	w       io.Writer
	checked bool
	head    []byte
}

var bom = []byte("\uFEFF")

func (b *bomWriter) Write(p []byte) (int, error) {
	if b.checked {
		return b.w.Write(p)
	}
	b.head = append(b.head, p...)
	if len(b.head) < len(bom) {
		return len(p), nil
	}
	if err := b.flushHead(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flushHead writes the mark (when missing) and what was held back.
func (b *bomWriter) flushHead() error {
	b.checked = true
	if len(b.head) < len(bom) || string(b.head[:len(bom)]) != string(bom) {
		if _, err := b.w.Write(bom); err != nil {
			return err
		}
	}
	_, err := b.w.Write(b.head)
	b.head = nil
	return err
}

// finish writes what a file shorter than the mark left held back.
func (b *bomWriter) finish() error {
	if b.checked {
		return nil
	}
	return b.flushHead()
}
