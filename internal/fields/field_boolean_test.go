package fields_test

import (
	"encoding/json"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestBoolean(t *testing.T) {
	t.Parallel()
	runCoerce(t, fields.TypeBoolean, []coerceCase{
		{name: "true", raw: true, want: true},
		{name: "false", raw: false, want: false},
		{name: "string true", raw: "true", want: true},
		{name: "string FALSE", raw: " FALSE ", want: false},
		{name: "string 1", raw: "1", want: true},
		{name: "string 0", raw: "0", want: false},
		{name: "number 1", raw: json.Number("1"), want: true},
		{name: "float 0", raw: 0.0, want: false},
		{name: "blank", raw: "", want: nil},
		{name: "yes", raw: "yes", err: "true or false"},
		{name: "number 2", raw: 2.0, err: "true or false"},
		{name: "list", raw: []any{true}, err: "true or false"},
	})
	runSettings(t, fields.TypeBoolean, []settingsCase{
		{name: "plain", def: fields.Definition{}},
		{name: "default", def: fields.Definition{Default: false}},
		{name: "min", def: fields.Definition{Min: ptr(0)}, setting: "min"},
		{name: "pattern", def: fields.Definition{Pattern: "x"}, setting: "pattern"},
		{name: "bad default", def: fields.Definition{Default: "maybe"}, setting: "default"},
	})
}
