package fields

import "strings"

func init() { Register(selectField{}) }

// selectField stores the value of one option. A label is accepted in place
// of the value when it names exactly one option, because people and CSV
// files write what they see; an ambiguous label is refused rather than
// resolved to an arbitrary option.
type selectField struct{}

func (selectField) Type() Type { return TypeSelect }

func (selectField) Describe() Descriptor {
	return Descriptor{
		Ops: choiceOps, Storage: OptionStorage,
		GraphQLScalar: "String", CEL: CELString, Widget: WidgetSelect, Sortable: true,
		Settings: Settings{Options: true},
	}
}

func (f selectField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (selectField) Coerce(d Definition, raw any) (any, error) {
	raw = single(raw)
	if isEmpty(raw) {
		return nil, nil
	}
	s, err := toString(raw)
	if err != nil {
		return nil, err
	}
	i, err := resolveOption(d, s)
	if err != nil {
		return nil, err
	}
	return d.Options[i].Value, nil
}

// resolveOption finds the option s names, by value first and then by label.
func resolveOption(d Definition, s string) (int, error) {
	s = strings.TrimSpace(s)
	for i, o := range d.Options {
		if o.Value == s {
			return i, nil
		}
	}
	found := -1
	for i, o := range d.Options {
		if o.Label != "" && o.Label == s {
			if found >= 0 {
				return 0, invalid("%q is the label of more than one choice; use the value", truncate(s, 40))
			}
			found = i
		}
	}
	if found < 0 {
		return 0, invalid("%q is not one of the choices", truncate(s, 40))
	}
	return found, nil
}
