package server

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/scrmhq/scrm/frontend"
)

// graphiQLCSP confines the GraphiQL page to this server: its scripts, Monaco's
// workers and its requests all come from the binary's own assets and
// /graphql; Monaco injects its styles, and GraphiQL's icon fonts are inline.
const graphiQLCSP = "default-src 'self'; script-src 'self'; worker-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

// graphiQL serves GraphiQL at /graphiql: the page the web app's build makes
// of it (frontend/graphiql.html), so it renders in an install without
// Internet access. A binary built without the web app (-tags nofrontend)
// has no such page and falls back to gqlgen's playground, which loads
// GraphiQL from a CDN.
func graphiQL() http.Handler {
	if !frontend.Built {
		return playground.Handler("scrm GraphiQL", "/graphql")
	}
	app := frontend.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", graphiQLCSP)
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		page := r.Clone(r.Context())
		page.URL.Path, page.URL.RawPath = "/graphiql.html", ""
		app.ServeHTTP(w, page)
	})
}
