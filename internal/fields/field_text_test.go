package fields_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestText(t *testing.T) {
	t.Parallel()
	runCoerce(t, fields.TypeText, []coerceCase{
		{name: "plain", raw: "Shanghai", want: "Shanghai"},
		{name: "trimmed", raw: "  上海 \u3000", want: "上海"},
		{name: "number from a spreadsheet", raw: json.Number("10086"), want: "10086"},
		{name: "float", raw: 12.5, want: "12.5"},
		{name: "bool", raw: true, want: "true"},
		{name: "blank is empty", raw: "   ", want: nil},
		{name: "nil is empty", raw: nil, want: nil},
		{name: "255 runes", raw: strings.Repeat("字", 255), want: strings.Repeat("字", 255)},
		{name: "256 runes", raw: strings.Repeat("字", 256), err: "longer than 255"},
		{name: "newline", raw: "a\nb", err: "single line"},
		{name: "tab", raw: "a\tb", err: "single line"},
		{name: "NUL", raw: "a\x00b", err: "NUL"},
		{name: "bad UTF-8", raw: "a\xffb", err: "UTF-8"},
		{name: "list", raw: []any{"a"}, err: "must be text"},
		{name: "object", raw: map[string]any{}, err: "must be text"},
		{name: "max length", def: fields.Definition{Max: ptr(3)}, raw: "abcd", err: "longer than 3"},
		{name: "min length", def: fields.Definition{Min: ptr(2)}, raw: "a", err: "shorter than 2"},
		{name: "pattern is anchored", def: fields.Definition{Pattern: `[0-9]{6}`}, raw: "1234567", err: "format"},
		{name: "pattern ok", def: fields.Definition{Pattern: `[0-9]{6}`}, raw: " 200000 ", want: "200000"},
	})
	runSettings(t, fields.TypeText, []settingsCase{
		{name: "plain", def: fields.Definition{}},
		{name: "bounds", def: fields.Definition{Min: ptr(1), Max: ptr(255)}},
		{name: "max above ceiling", def: fields.Definition{Max: ptr(256)}, setting: "max"},
		{name: "fractional min", def: fields.Definition{Min: ptr(1.5)}, setting: "min"},
		{name: "negative min", def: fields.Definition{Min: ptr(-1)}, setting: "min"},
		{name: "min above max", def: fields.Definition{Min: ptr(5), Max: ptr(4)}, setting: "min"},
		{name: "bad pattern", def: fields.Definition{Pattern: `(`}, setting: "pattern"},
		{name: "pattern escaping anchors", def: fields.Definition{Pattern: `a)|(b`}, setting: "pattern"},
		{name: "options", def: fields.Definition{Options: colors}, setting: "options"},
		{name: "default", def: fields.Definition{Default: "x"}},
		{name: "bad default", def: fields.Definition{Default: "a\nb"}, setting: "default"},
		{name: "default against pattern", def: fields.Definition{Pattern: `[0-9]+`, Default: "x"}, setting: "default"},
		{name: "wrong type", def: fields.Definition{Type: fields.TypeNumber}, setting: "type"},
	})
}
