package fields

func init() { Register(numberField{}) }

// numberField stores a JSON number (float64). Numeric strings are accepted
// because CSV imports and many form libraries send numbers as text; NaN,
// infinities and values beyond float64 are refused because neither JSON nor
// PostgreSQL's numeric comparisons can hold them.
type numberField struct{}

func (numberField) Type() Type { return TypeNumber }

func (numberField) Describe() Descriptor {
	return Descriptor{
		Ops: orderedOps, Storage: NumberStorage,
		GraphQLScalar: "Float", CEL: CELDouble, Widget: WidgetNumber, Sortable: true,
		Settings: Settings{Bounds: BoundsValue},
	}
}

func (f numberField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (numberField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	v, _, err := toNumber(raw)
	if err != nil {
		return nil, err
	}
	if err := checkRange(d, v, formatNumber); err != nil {
		return nil, err
	}
	return v, nil
}
