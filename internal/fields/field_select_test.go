package fields_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestSelect(t *testing.T) {
	t.Parallel()
	opts := fields.Definition{Options: colors}
	ambiguous := fields.Definition{Options: []fields.Option{{Value: "a", Label: "Same"}, {Value: "b", Label: "Same"}, {Value: "Red", Label: "Not red"}, {Value: "c", Label: "Red"}}}
	runCoerce(t, fields.TypeSelect, []coerceCase{
		{name: "value", def: opts, raw: "green", want: "green"},
		{name: "label", def: opts, raw: "Green", want: "green"},
		{name: "trimmed", def: opts, raw: " blue ", want: "blue"},
		{name: "one-element list", def: opts, raw: []any{"red"}, want: "red"},
		{name: "blank", def: opts, raw: "", want: nil},
		{name: "value wins over label", def: ambiguous, raw: "Red", want: "Red"},
		{name: "unique label", def: ambiguous, raw: "Not red", want: "Red"},
		{name: "unknown", def: opts, raw: "purple", err: "not one of the choices"},
		{name: "case differs", def: opts, raw: "GREEN", err: "not one of the choices"},
		{name: "ambiguous label", def: ambiguous, raw: "Same", err: "more than one choice"},
		{name: "two values", def: opts, raw: []any{"red", "blue"}, err: "must be text"},
		{name: "number", def: opts, raw: 1.0, err: "must be text"},
	})
	runSettings(t, fields.TypeSelect, []settingsCase{
		{name: "options", def: opts},
		{name: "no options", def: fields.Definition{}, setting: "options"},
		{name: "duplicate value", def: fields.Definition{Options: []fields.Option{{Value: "a"}, {Value: "a"}}}, setting: "options"},
		{name: "padded value", def: fields.Definition{Options: []fields.Option{{Value: " a"}}}, setting: "options"},
		{name: "empty value", def: fields.Definition{Options: []fields.Option{{Value: "", Label: "None"}}}, setting: "options"},
		{name: "control in label", def: fields.Definition{Options: []fields.Option{{Value: "a", Label: "x\ny"}}}, setting: "options"},
		{name: "min", def: fields.Definition{Options: colors, Min: ptr(1)}, setting: "min"},
		{name: "default label", def: fields.Definition{Options: colors, Default: "Red"}},
		{name: "default unknown", def: fields.Definition{Options: colors, Default: "pink"}, setting: "default"},
	})
}
