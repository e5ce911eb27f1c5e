package fields_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestNumber(t *testing.T) {
	t.Parallel()
	runCoerce(t, fields.TypeNumber, []coerceCase{
		{name: "float", raw: 12.5, want: 12.5},
		{name: "json number", raw: json.Number("42"), want: 42.0},
		{name: "numeric string", raw: " 12.5 ", want: 12.5},
		{name: "exponent", raw: "1.5e3", want: 1500.0},
		{name: "negative", raw: "-3", want: -3.0},
		{name: "negative zero", raw: "-0", want: 0.0},
		{name: "int from Go", raw: 7, want: 7.0},
		{name: "leading dot", raw: ".5", want: 0.5},
		{name: "blank", raw: "", want: nil},
		{name: "bool", raw: true, err: "not a boolean"},
		{name: "text", raw: "twelve", err: "not a number"},
		{name: "thousands separator", raw: "1,000", err: "not a number"},
		{name: "NaN string", raw: "NaN", err: "not a number"},
		{name: "Inf string", raw: "Inf", err: "not a number"},
		{name: "NaN float", raw: math.NaN(), err: "finite"},
		{name: "Inf float", raw: math.Inf(1), err: "finite"},
		{name: "overflow", raw: "1e400", err: "out of range"},
		{name: "underflow", raw: "1e-400", err: "out of range"},
		{name: "hex", raw: "0x10", err: "not a number"},
		{name: "list", raw: []any{1.0}, err: "must be a number"},
		{name: "min", def: fields.Definition{Min: ptr(0)}, raw: -1.0, err: "at least 0"},
		{name: "max", def: fields.Definition{Max: ptr(100)}, raw: "100.5", err: "at most 100"},
		{name: "within bounds", def: fields.Definition{Min: ptr(0), Max: ptr(100)}, raw: "100", want: 100.0},
	})
	runSettings(t, fields.TypeNumber, []settingsCase{
		{name: "negative bounds", def: fields.Definition{Min: ptr(-10.5), Max: ptr(-1)}},
		{name: "min above max", def: fields.Definition{Min: ptr(2), Max: ptr(1)}, setting: "min"},
		{name: "infinite max", def: fields.Definition{Max: ptr(math.Inf(1))}, setting: "max"},
		{name: "pattern", def: fields.Definition{Pattern: `[0-9]+`}, setting: "pattern"},
		{name: "default", def: fields.Definition{Default: json.Number("5"), Min: ptr(1)}},
		{name: "default below min", def: fields.Definition{Default: 0.0, Min: ptr(1)}, setting: "default"},
	})
}
