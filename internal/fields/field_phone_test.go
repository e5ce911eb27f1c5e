package fields_test

import (
	"encoding/json"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestPhone(t *testing.T) {
	t.Parallel()
	runCoerce(t, fields.TypePhone, []coerceCase{
		{name: "mainland mobile, default region CN", raw: "138 0013 8000", want: "+8613800138000"},
		{name: "E.164", raw: "+8613800138000", want: "+8613800138000"},
		{name: "86 prefix", raw: "8613800138000", want: "+8613800138000"},
		{name: "Beijing landline", raw: "010-6552 9988", want: "+861065529988"},
		{name: "foreign with plus", raw: "+1 650-253-0000", want: "+16502530000"},
		{name: "spreadsheet number", raw: json.Number("13800138000"), want: "+8613800138000"},
		{name: "spreadsheet float", raw: 13800138000.0, want: "+8613800138000"},
		{name: "Go integer", raw: int64(13800138000), want: "+8613800138000"},
		{name: "blank", raw: " ", want: nil},
		{name: "too short", raw: "12345", err: "not a valid phone number"},
		{name: "letters", raw: "call me", err: "not a valid phone number"},
		{name: "unassigned", raw: "+86 100 0000 0000", err: "not a valid phone number"},
		{name: "fraction", raw: 1380013800.5, err: "must be a phone number"},
		{name: "bool", raw: true, err: "must be a phone number"},
		{name: "pattern on E.164", def: fields.Definition{Pattern: `\+86[0-9]+`}, raw: "+1 650-253-0000", err: "format"},
	})
	runSettings(t, fields.TypePhone, []settingsCase{
		{name: "pattern", def: fields.Definition{Pattern: `\+861[0-9]{10}`}},
		{name: "max", def: fields.Definition{Max: ptr(20)}, setting: "max"},
		{name: "bad default", def: fields.Definition{Default: "123"}, setting: "default"},
	})
}
