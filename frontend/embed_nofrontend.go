//go:build nofrontend

package frontend

import "net/http"

// Built reports whether this binary carries the web app.
const Built = false

// Handler answers every app path with a page saying the web app was not built.
func Handler() http.Handler { return notBuilt() }
