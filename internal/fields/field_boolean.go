package fields

import (
	"encoding/json"
	"strings"
)

func init() { Register(booleanField{}) }

// booleanField stores a JSON boolean. "true"/"false" and "1"/"0" (and the
// numbers 1 and 0) are accepted because that is how checkboxes arrive from
// HTML forms and spreadsheets; anything else ("yes", "on") is refused rather
// than guessed.
type booleanField struct{}

func (booleanField) Type() Type { return TypeBoolean }

func (booleanField) Describe() Descriptor {
	return Descriptor{
		Ops: boolOps, Storage: BooleanStorage,
		GraphQLScalar: "Boolean", CEL: CELBool, Widget: WidgetSwitch, Sortable: true,
	}
}

func (f booleanField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (booleanField) Coerce(_ Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	switch v := raw.(type) {
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, invalid("must be true or false, not %q", truncate(v, 40))
	case json.Number, float64, int, int64:
		if n, _, err := toNumber(v); err == nil && (n == 0 || n == 1) {
			return n == 1, nil
		}
	}
	return nil, invalid("must be true or false")
}
