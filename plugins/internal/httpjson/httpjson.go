// Package httpjson is the HTTP plumbing the HTTP channels share: a client with timeouts
// and one JSON request/response exchange with a bounded body.
package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"

	"github.com/scrmhq/scrm/internal/egress"
	"github.com/scrmhq/scrm/plugins"
)

// MaxBody bounds what is read of a response or callback body: providers answer with a
// few hundred bytes, and a misbehaving endpoint must not exhaust memory.
const MaxBody = 1 << 20

// Client returns the client a sender uses: a copy of c, or of a new client with timeouts
// that connects only where egress.Default allows when c is nil (owned is then true and
// the sender closes its idle connections on Close). Redirects are never followed: a redirected POST loses its body or method, so
// the 3xx is returned and treated as a configuration error.
func Client(c *http.Client) (client *http.Client, owned bool) {
	if c == nil {
		c = egress.Default().Client()
		owned = true
	}
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp, owned
}

// Response is a provider's answer, read in full (up to MaxBody).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request, with in marshalled as the JSON body unless it is nil, and reads
// the response. Every HTTP status is a Response; errors are network failures, timeouts
// and bodies that could not be read, all of them temporary but for an address the
// egress policy refuses (permanent: the configuration must change).
func Do(ctx context.Context, client *http.Client, method, url string, header http.Header, in any) (*Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// The error would repeat the URL, whose query may hold a token or secret.
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			err = fmt.Errorf("%s %s: %w", method, req.URL.Path, uerr.Err)
		}
		if errors.Is(err, egress.ErrRefused) {
			return nil, plugins.Permanent(fmt.Errorf("%s: %w", req.URL.Host, err))
		}
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// Snippet is the start of a body, for error messages.
func Snippet(b []byte) string {
	const limit = 200
	if len(b) > limit {
		return strings.ToValidUTF8(string(b[:limit]), "") + "…"
	}
	return strings.ToValidUTF8(string(b), "?")
}

// ReadBody reads a callback request's body, refusing one larger than MaxBody.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read callback body: %w", err)
	}
	if len(b) > MaxBody {
		return nil, fmt.Errorf("callback body larger than %d bytes", MaxBody)
	}
	return b, nil
}
