package fields

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/scrmhq/scrm/internal/clean"
)

// DefaultRegion is the region assumed for phone numbers written without a
// country code. It is process-wide, not per definition, because it is a
// property of the market the deployment serves (mainland China: "CN"), and
// because the built-in lead phone uses the same default through package
// clean; a custom PHONE field must normalise a number exactly as the
// built-in one does, or dedup and templates would see two spellings. Set it
// once at start-up, before serving.
var DefaultRegion = clean.DefaultRegion

func init() { Register(phoneField{}) }

// phoneField stores E.164 ("+8613812345678"), normalised by clean.Phone with
// libphonenumber metadata: invalid or unassigned numbers are refused. A
// pattern applies to the E.164 form (e.g. `\+86.*` for mainland numbers only).
type phoneField struct{}

func (phoneField) Type() Type { return TypePhone }

func (phoneField) Describe() Descriptor {
	return Descriptor{
		Ops: contactOps, Mask: clean.MaskPhone, Storage: TextStorage,
		GraphQLScalar: "String", CEL: CELString, Widget: WidgetPhone, Sortable: true,
		Settings: Settings{Pattern: true},
	}
}

func (f phoneField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (phoneField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	var s string
	switch v := raw.(type) {
	case string:
		s = v
	case bool, []any, []string, map[string]any:
		return nil, invalid("must be a phone number, not %s", describe(raw))
	default:
		// Spreadsheets turn 13812345678 into a number; a whole number of at
		// most 15 digits (E.164's limit) is still a phone number.
		n, _, err := toNumber(v)
		if err != nil || n != math.Trunc(n) || n < 0 || n >= 1e15 {
			return nil, invalid("must be a phone number")
		}
		s = strconv.FormatFloat(n, 'f', 0, 64)
	}
	p, err := clean.Phone(s, DefaultRegion)
	switch {
	case errors.Is(err, clean.ErrEmpty):
		return nil, nil
	case err != nil:
		return nil, invalid("is not a valid phone number (%s)", strings.TrimPrefix(err.Error(), clean.ErrInvalidPhone.Error()+": "))
	}
	if err := matchPattern(d, p); err != nil {
		return nil, err
	}
	return p, nil
}
