package fields

import (
	"math"
	"math/big"
)

// maxMoney bounds amounts so that every amount with two decimals has at most
// 15 significant digits, which float64 (and therefore JSON and jsonb) carries
// exactly: 9,999,999,999,999.99 stores and reads back as written.
const maxMoney = 1e13

func init() { Register(moneyField{}) }

// moneyField stores an amount as a JSON number with at most two decimals.
// It is a number, not a decimal string, so that filters and sorts compare
// amounts numerically exactly like NUMBER. Amounts with more decimals are
// refused rather than rounded: silently changing 10.005 to 10.01 (or 10.00)
// is the kind of surprise money must not have. The amount carries no
// currency; a workspace has one.
type moneyField struct{}

func (moneyField) Type() Type { return TypeMoney }

func (moneyField) Describe() Descriptor {
	return Descriptor{
		Ops: orderedOps, Storage: NumberStorage, FilterAs: TypeNumber,
		GraphQLScalar: "Float", CEL: CELDouble, Widget: WidgetMoney, Sortable: true,
		Settings: Settings{Bounds: BoundsValue},
	}
}

func (f moneyField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (moneyField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	v, text, err := toNumber(raw)
	if err != nil {
		return nil, err
	}
	if math.Abs(v) >= maxMoney {
		return nil, invalid("must be less than 10,000,000,000,000 in absolute value")
	}
	// The decimal check reads the text as written (or the shortest text of a
	// float64), exactly: 0.1+0.2 arrives as 0.30000000000000004 and is refused.
	r, ok := new(big.Rat).SetString(text)
	if !ok || !r.Mul(r, big.NewRat(100, 1)).IsInt() {
		return nil, invalid("must have at most 2 decimal places")
	}
	if err := checkRange(d, v, formatNumber); err != nil {
		return nil, err
	}
	return v, nil
}
