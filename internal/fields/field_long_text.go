package fields

import (
	"strings"
	"unicode"
)

// maxLongText is the ceiling of LONG_TEXT: notes and descriptions, not
// documents. Attributes are read with every lead, so they stay small.
const maxLongText = 10000

func init() { Register(longTextField{}) }

// longTextField is multi-line text. Line breaks are stored as "\n" whatever
// the client sent, so that equal notes compare equal; tabs and newlines are
// the only control characters kept.
type longTextField struct{}

func (longTextField) Type() Type { return TypeLongText }

func (longTextField) Describe() Descriptor {
	return Descriptor{
		Ops: textOps, Storage: TextStorage,
		GraphQLScalar: "String", CEL: CELString, Widget: WidgetTextarea, Sortable: true,
		Settings: Settings{Pattern: true, Bounds: BoundsLength, MaxLength: maxLongText},
	}
}

func (f longTextField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

func (longTextField) Coerce(d Definition, raw any) (any, error) {
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
	s = strings.TrimSpace(newlines.Replace(s))
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
		return nil, invalid("contains control characters")
	}
	if err := checkLength(d, s, maxLongText); err != nil {
		return nil, err
	}
	if err := matchPattern(d, s); err != nil {
		return nil, err
	}
	return s, nil
}
