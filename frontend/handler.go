// Package frontend serves the admin web app (the Vite build in dist/) at "/":
// files by path, hashed assets with a long cache lifetime, and index.html for
// every other path so that client-side routes load the app. Paths of the API
// (/graphql, /v1/, /healthz, ...) are never answered with the app.
//
// dist/ is embedded with //go:embed in default builds (make frontend builds
// it); with the nofrontend build tag the binary carries no app and "/"
// answers a short page that says so.
package frontend

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// reserved are the path prefixes of the API and operator endpoints. The app
// never answers them, even where the server has no handler for a sub-path,
// so a typo in an API URL is a 404 instead of a page of HTML.
var reserved = []string{"/graphql", "/graphiql", "/v1/", "/healthz", "/readyz", "/metrics", "/ops/"}

// Reserved reports whether the URL path p belongs to the API rather than the
// web app: one of the reserved paths or anything below it.
func Reserved(p string) bool {
	for _, r := range reserved {
		base := strings.TrimSuffix(r, "/")
		if p == base || strings.HasPrefix(p, base+"/") {
			return true
		}
	}
	return false
}

// Cache lifetimes: Vite names everything under assets/ by its content hash,
// so those files never change; index.html and unhashed files must be
// revalidated so a deploy is picked up on the next load. Images may also
// come from WeCom's picture hosts (*.qpic.cn): contact-way codes' QR codes
// (createContactWay's qr_code) are shown from there.
const (
	cacheImmutable   = "public, max-age=31536000, immutable"
	cacheRevalidate  = "no-cache"
	assetsDir        = "assets/"
	minGzipBytes     = 1024
	contentSecPolicy = "default-src 'self'; script-src 'self'%s; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob: https://*.qpic.cn http://*.qpic.cn; font-src 'self' data:; connect-src 'self'; " +
		"object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)

// The WeCom chat sidebar's page loads WeCom's JS-SDK (jweixin for
// wx.config, jwxwork for wx.agentConfig) from WeCom's hosts; no other page
// may run their scripts.
const (
	sidebarPath  = "/wecom/sidebar"
	wecomScripts = "https://res.wx.qq.com https://open.work.weixin.qq.com"
)

// inlineScript matches a script element without a src attribute in index.html.
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// scriptHashes are the CSP sources that allow index.html's own inline scripts
// (the leads list's early request, frontend/index.html) and nothing else inline.
func scriptHashes(index []byte) string {
	var b strings.Builder
	for _, m := range inlineScript.FindAllSubmatch(index, -1) {
		sum := sha256.Sum256(m[1])
		b.WriteString(" 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'")
	}
	return b.String()
}

// spa serves the files of one fs.FS as a single-page app.
type spa struct {
	files fs.FS
	index []byte
	csp   string
	gz    sync.Map // path -> []byte, gzip of compressible files, made on first request
	tags  sync.Map // path -> ETag of the file's bytes
}

// newHandler serves files from fsys, which must hold index.html at its root.
func newHandler(fsys fs.FS) (http.Handler, error) {
	index, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		return nil, err
	}
	return &spa{files: fsys, index: index, csp: fmt.Sprintf(contentSecPolicy, scriptHashes(index))}, nil
}

func (s *spa) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if Reserved(r.URL.Path) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || name == "index.html" {
		s.serveIndex(w, r)
		return
	}
	data, err := fs.ReadFile(s.files, name)
	switch {
	case err == nil:
		s.serveFile(w, r, name, data)
	case errors.Is(err, fs.ErrNotExist) && !strings.HasPrefix(name, assetsDir) && path.Ext(name) == "":
		// A client-side route such as /leads/123: the app decides what to show.
		s.serveIndex(w, r)
	default:
		// A missing asset (an old hash after a deploy, a typo): HTML in its
		// place would only break the page in a more confusing way.
		http.NotFound(w, r)
	}
}

func (s *spa) serveIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", cacheRevalidate)
	csp := s.csp
	if r.URL.Path == sidebarPath {
		csp = strings.Replace(csp, "script-src 'self'", "script-src 'self' "+wecomScripts, 1)
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	s.write(w, r, "index.html", s.index)
}

func (s *spa) serveFile(w http.ResponseWriter, r *http.Request, name string, data []byte) {
	if strings.HasPrefix(name, assetsDir) {
		w.Header().Set("Cache-Control", cacheImmutable)
	} else {
		w.Header().Set("Cache-Control", cacheRevalidate)
	}
	s.write(w, r, name, data)
}

// write sends data, gzipped when the client takes it and it is worth it,
// with an ETag of its content; http.ServeContent handles HEAD, ranges and
// If-None-Match.
func (s *spa) write(w http.ResponseWriter, r *http.Request, name string, data []byte) {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Add("Vary", "Accept-Encoding")
	tag := s.etag(name, data)
	if compressible(ctype) && len(data) >= minGzipBytes && acceptsGzip(r) && r.Header.Get("Range") == "" {
		if z := s.gzipped(name, data); z != nil {
			h.Set("Content-Encoding", "gzip")
			data = z
			tag = strings.TrimSuffix(tag, `"`) + `-gz"`
		}
	}
	h.Set("ETag", tag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func (s *spa) etag(name string, data []byte) string {
	if t, ok := s.tags.Load(name); ok {
		return t.(string)
	}
	sum := sha256.Sum256(data)
	t := `"` + hex.EncodeToString(sum[:12]) + `"`
	s.tags.Store(name, t)
	return t
}

func (s *spa) gzipped(name string, data []byte) []byte {
	if z, ok := s.gz.Load(name); ok {
		return z.([]byte)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(data); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	z := buf.Bytes()
	s.gz.Store(name, z)
	return z
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "text/javascript", "application/json", "image/svg+xml", "application/manifest+json"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// notBuiltPage is what "/" answers when the binary carries no web app.
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scrm</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>scrm</h1>
<p>This binary was built without the web app (build tag <code>nofrontend</code>).
Build it with <code>make build</code> (which runs <code>make frontend</code>) to serve the admin UI here.</p>
<p>The API works: <a href="/graphiql">GraphiQL</a> · <code>POST /graphql</code> · <a href="/healthz">/healthz</a></p>
</body></html>
`

// notBuilt answers every app path with notBuiltPage.
func notBuilt() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Reserved(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", cacheRevalidate)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, notBuiltPage)
		}
	})
}
