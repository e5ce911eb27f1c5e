package fields_test

import (
	"encoding/json"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestMoney(t *testing.T) {
	t.Parallel()
	runCoerce(t, fields.TypeMoney, []coerceCase{
		{name: "two decimals", raw: "12.34", want: 12.34},
		{name: "trailing zeros", raw: "12.300", want: 12.3},
		{name: "integer", raw: json.Number("1000"), want: 1000.0},
		{name: "float with cents", raw: 19.99, want: 19.99},
		{name: "exponent", raw: "1.5e2", want: 150.0},
		{name: "largest", raw: "9999999999999.99", want: 9999999999999.99},
		{name: "negative", raw: "-0.01", want: -0.01},
		{name: "three decimals", raw: "12.345", err: "2 decimal places"},
		{name: "float artefact", raw: sum(0.1, 0.2), err: "2 decimal places"},
		{name: "tiny exponent", raw: "1e-3", err: "2 decimal places"},
		{name: "too large", raw: "10000000000000", err: "less than"},
		{name: "bool", raw: false, err: "not a boolean"},
		{name: "currency sign", raw: "¥12", err: "not a number"},
		{name: "min", def: fields.Definition{Min: ptr(0)}, raw: "-5", err: "at least 0"},
	})
	runSettings(t, fields.TypeMoney, []settingsCase{
		{name: "bounds", def: fields.Definition{Min: ptr(0), Max: ptr(1e6)}},
		{name: "options", def: fields.Definition{Options: colors}, setting: "options"},
		{name: "default with cents", def: fields.Definition{Default: "9.99"}},
		{name: "default with mills", def: fields.Definition{Default: "9.999"}, setting: "default"},
	})
}

// sum adds at run time; 0.1 + 0.2 as constants would be exactly 0.3.
func sum(a, b float64) float64 { return a + b }
