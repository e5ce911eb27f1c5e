package fields

import (
	"strings"
	"unicode"
)

// maxText is the ceiling of TEXT: one line, as a form's text input holds.
// Longer prose belongs in LONG_TEXT.
const maxText = 255

func init() { Register(textField{}) }

// textField is a single line of text: trimmed, without control characters
// (a tab or newline in a one-line value breaks CSV exports and templates).
type textField struct{}

func (textField) Type() Type { return TypeText }

func (textField) Describe() Descriptor {
	return Descriptor{
		Ops: textOps, Storage: TextStorage,
		GraphQLScalar: "String", CEL: CELString, Widget: WidgetText, Sortable: true,
		Settings: Settings{Pattern: true, Bounds: BoundsLength, MaxLength: maxText},
	}
}

func (f textField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (textField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	s, err := toText(raw)
	if err != nil {
		return nil, err
	}
	if err := storable(s); err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return nil, invalid("must be a single line without control characters")
	}
	if err := checkLength(d, s, maxText); err != nil {
		return nil, err
	}
	if err := matchPattern(d, s); err != nil {
		return nil, err
	}
	return s, nil
}
