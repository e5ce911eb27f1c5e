package fields_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestMultiSelect(t *testing.T) {
	t.Parallel()
	opts := fields.Definition{Options: colors}
	runCoerce(t, fields.TypeMultiSelect, []coerceCase{
		{name: "option order", def: opts, raw: []any{"blue", "red"}, want: []string{"red", "blue"}},
		{name: "deduplicated", def: opts, raw: []any{"red", "Red", "red"}, want: []string{"red"}},
		{name: "labels", def: opts, raw: []string{"Green", "Blue"}, want: []string{"green", "blue"}},
		{name: "single string", def: opts, raw: "green", want: []string{"green"}},
		{name: "blank items skipped", def: opts, raw: []any{"", nil, "red"}, want: []string{"red"}},
		{name: "empty list", def: opts, raw: []any{}, want: nil},
		{name: "only blanks", def: opts, raw: []any{" "}, want: nil},
		{name: "unknown", def: opts, raw: []any{"red", "pink"}, err: `"pink" is not one of the choices`},
		{name: "number item", def: opts, raw: []any{1.0}, err: "every choice must be text"},
		{name: "object", def: opts, raw: map[string]any{"red": true}, err: "list of choices"},
		{name: "too few", def: fields.Definition{Options: colors, Min: ptr(2)}, raw: []any{"red"}, err: "at least 2"},
		{name: "too many", def: fields.Definition{Options: colors, Max: ptr(1)}, raw: []any{"red", "blue"}, err: "at most 1"},
		{name: "count after dedup", def: fields.Definition{Options: colors, Max: ptr(1)}, raw: []any{"red", "Red"}, want: []string{"red"}},
	})
	runSettings(t, fields.TypeMultiSelect, []settingsCase{
		{name: "count bounds", def: fields.Definition{Options: colors, Min: ptr(1), Max: ptr(2)}},
		{name: "min beyond options", def: fields.Definition{Options: colors, Min: ptr(4)}, setting: "min"},
		{name: "fractional max", def: fields.Definition{Options: colors, Max: ptr(1.5)}, setting: "max"},
		{name: "no options", def: fields.Definition{}, setting: "options"},
		{name: "pattern", def: fields.Definition{Options: colors, Pattern: "x"}, setting: "pattern"},
		{name: "default", def: fields.Definition{Options: colors, Default: []any{"blue", "red"}}},
		{name: "default too long", def: fields.Definition{Options: colors, Max: ptr(1), Default: []any{"blue", "red"}}, setting: "default"},
	})
}
