package fields_test

import (
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestLongText(t *testing.T) {
	t.Parallel()
	runCoerce(t, fields.TypeLongText, []coerceCase{
		{name: "lines", raw: "line one\nline two", want: "line one\nline two"},
		{name: "CRLF becomes LF", raw: "a\r\nb\rc", want: "a\nb\nc"},
		{name: "tabs kept", raw: "a\tb", want: "a\tb"},
		{name: "trimmed", raw: "\n  note \n\n", want: "note"},
		{name: "blank lines only", raw: "\n\n\t", want: nil},
		{name: "10000 runes", raw: strings.Repeat("备", 10000), want: strings.Repeat("备", 10000)},
		{name: "10001 runes", raw: strings.Repeat("备", 10001), err: "longer than 10000"},
		{name: "bell", raw: "ding\x07", err: "control"},
		{name: "escape sequence", raw: "\x1b[31mred", err: "control"},
		{name: "NUL", raw: "a\x00", err: "NUL"},
		{name: "bool list", raw: []any{true}, err: "must be text"},
		{name: "max length", def: fields.Definition{Max: ptr(5)}, raw: "abcdef", err: "longer than 5"},
	})
	runSettings(t, fields.TypeLongText, []settingsCase{
		{name: "max at ceiling", def: fields.Definition{Max: ptr(10000)}},
		{name: "max above ceiling", def: fields.Definition{Max: ptr(10001)}, setting: "max"},
		{name: "pattern", def: fields.Definition{Pattern: `(?s).*`}},
		{name: "options", def: fields.Definition{Options: colors}, setting: "options"},
	})
}
