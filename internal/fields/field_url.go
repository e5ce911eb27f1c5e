package fields

import (
	"net/url"
	"strings"
	"unicode"
)

// maxURL is the ceiling of URL values: longer links do not survive browsers
// and mail clients reliably.
const maxURL = 2048

func init() { Register(urlField{}) }

// urlField stores an absolute http or https URL as written (trimmed).
// Other schemes are refused because the value is rendered as a link to reps:
// javascript: and data: links are how stored data turns into script. Links
// with credentials (https://user:pass@host) are refused so that secrets are
// not stored in a field every rep can read. The text is not re-encoded:
// net/url would percent-escape non-ASCII hosts and paths, which people
// could no longer read.
type urlField struct{}

func (urlField) Type() Type { return TypeURL }

func (urlField) Describe() Descriptor {
	return Descriptor{
		Ops: textOps, Storage: TextStorage,
		GraphQLScalar: "String", CEL: CELString, Widget: WidgetURL, Sortable: true,
		Settings: Settings{Pattern: true, Bounds: BoundsLength, MaxLength: maxURL},
	}
}

func (f urlField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (urlField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	s, err := toString(raw)
	if err != nil {
		return nil, err
	}
	if err := storable(s); err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return nil, invalid("must not contain spaces")
	}
	if err := checkLength(d, s, maxURL); err != nil {
		return nil, err
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, invalid("is not a valid URL")
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return nil, invalid("must start with http:// or https://")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, invalid("must be an absolute URL with a host, like https://example.com")
	}
	if u.User != nil {
		return nil, invalid("must not contain a user name or password")
	}
	if err := matchPattern(d, s); err != nil {
		return nil, err
	}
	return s, nil
}
