package fields

func init() { Register(multiSelectField{}) }

// multiSelectField stores a list of option values, without duplicates and
// in the order of the options, so that two leads with the same choices store
// the same list whatever order they were picked in. A single string is read
// as a one-choice list (how a SELECT converts to MULTI_SELECT). Min and Max
// bound the number of choices.
type multiSelectField struct{}

func (multiSelectField) Type() Type { return TypeMultiSelect }

func (multiSelectField) Describe() Descriptor {
	return Descriptor{
		Ops: textOps, Storage: OptionListStorage,
		GraphQLScalar: "String", CEL: CELStringList, Widget: WidgetMultiSelect, Sortable: true,
		Settings: Settings{Options: true, Bounds: BoundsCount},
	}
}

func (f multiSelectField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (multiSelectField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	var items []any
	switch v := raw.(type) {
	case []any:
		items = v
	case []string:
		items = make([]any, len(v))
		for i, s := range v {
			items[i] = s
		}
	case string:
		items = []any{v}
	default:
		return nil, invalid("must be a list of choices, not %s", describe(raw))
	}
	if len(items) > maxOptions {
		return nil, invalid("has more than %d choices", maxOptions)
	}
	picked := make([]bool, len(d.Options))
	for _, it := range items {
		if isEmpty(it) {
			continue // blank cells of a split CSV column, nulls from generic clients
		}
		s, err := toString(it)
		if err != nil {
			return nil, invalid("every choice must be text")
		}
		i, err := resolveOption(d, s)
		if err != nil {
			return nil, err
		}
		picked[i] = true
	}
	var out []string
	for i, ok := range picked {
		if ok {
			out = append(out, d.Options[i].Value)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	n := float64(len(out))
	if d.Min != nil && n < *d.Min {
		return nil, invalid("needs at least %s choices", formatNumber(*d.Min))
	}
	if d.Max != nil && n > *d.Max {
		return nil, invalid("allows at most %s choices", formatNumber(*d.Max))
	}
	return out, nil
}
