//go:build !nofrontend

package frontend

import (
	"embed"
	"io/fs"
	"net/http"
)

// dist is the Vite build (make frontend). A build without it fails here:
// build with -tags nofrontend for a binary without the web app.
//
//go:embed all:dist
var dist embed.FS

// Built reports whether this binary carries the web app.
const Built = true

// Handler serves the embedded web app.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a literal directory of the embed pattern
	}
	h, err := newHandler(sub)
	if err != nil {
		// dist exists but holds no index.html (an interrupted build).
		return notBuilt()
	}
	return h
}
