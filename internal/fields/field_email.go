package fields

import (
	"errors"
	"strings"

	"github.com/scrmhq/scrm/internal/clean"
)

func init() { Register(emailField{}) }

// emailField stores a bare address, trimmed and lowercased, normalised by
// clean.Email exactly like the built-in lead email (so the same person's
// address is spelled one way everywhere). Display names ("Zhang <z@x.cn>")
// are refused: they come from pasted mail headers, not from a person typing
// an address. A pattern applies to the normalised address (e.g.
// `.*@example\.com` for a corporate domain).
type emailField struct{}

func (emailField) Type() Type { return TypeEmail }

func (emailField) Describe() Descriptor {
	return Descriptor{
		Ops: contactOps, Mask: clean.MaskEmail, Storage: TextStorage,
		GraphQLScalar: "String", CEL: CELString, Widget: WidgetEmail, Sortable: true,
		Settings: Settings{Pattern: true},
	}
}

func (f emailField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (emailField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	s, err := toString(raw)
	if err != nil {
		return nil, err
	}
	e, err := clean.Email(s)
	switch {
	case errors.Is(err, clean.ErrEmpty):
		return nil, nil
	case err != nil:
		return nil, invalid("is not a valid email address (%s)", strings.TrimPrefix(err.Error(), clean.ErrInvalidEmail.Error()+": "))
	}
	if err := matchPattern(d, e); err != nil {
		return nil, err
	}
	return e, nil
}
