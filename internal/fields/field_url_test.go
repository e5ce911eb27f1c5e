package fields_test

import (
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestURL(t *testing.T) {
	t.Parallel()
	runCoerce(t, fields.TypeURL, []coerceCase{
		{name: "https", raw: "https://example.com/a?b=c#d", want: "https://example.com/a?b=c#d"},
		{name: "http with port", raw: " http://example.com:8080 ", want: "http://example.com:8080"},
		{name: "unicode host kept readable", raw: "https://例子.中国/路径", want: "https://例子.中国/路径"},
		{name: "upper-case scheme", raw: "HTTPS://EXAMPLE.COM", want: "HTTPS://EXAMPLE.COM"},
		{name: "blank", raw: "", want: nil},
		{name: "relative", raw: "/path", err: "http:// or https://"},
		{name: "no scheme", raw: "example.com", err: "http:// or https://"},
		{name: "javascript", raw: "javascript:alert(1)", err: "http:// or https://"},
		{name: "ftp", raw: "ftp://example.com", err: "http:// or https://"},
		{name: "no host", raw: "https:///path", err: "with a host"},
		{name: "opaque", raw: "http:example.com", err: "with a host"},
		{name: "credentials", raw: "https://user:pw@example.com", err: "user name or password"},
		{name: "space", raw: "https://example.com/a b", err: "spaces"},
		{name: "bad escape", raw: "https://example.com/%zz", err: "not a valid URL"},
		{name: "too long", raw: "https://example.com/" + strings.Repeat("a", 2048), err: "longer than 2048"},
		{name: "number", raw: 1.0, err: "must be text"},
		{name: "max length", def: fields.Definition{Max: ptr(20)}, raw: "https://example.com/abc", err: "longer than 20"},
	})
	runSettings(t, fields.TypeURL, []settingsCase{
		{name: "bounds", def: fields.Definition{Min: ptr(10), Max: ptr(2048)}},
		{name: "max above ceiling", def: fields.Definition{Max: ptr(4096)}, setting: "max"},
		{name: "pattern", def: fields.Definition{Pattern: `https://.*`}},
		{name: "bad default", def: fields.Definition{Default: "ftp://x.com"}, setting: "default"},
	})
}
