package fields_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"entgo.io/ent/dialect/sql"

	"github.com/scrmhq/scrm/internal/fields"
)

// fuzzDefinition builds a definition of the type picked by typ; variant adds
// the settings the type takes, so both plain and constrained coercion run.
func fuzzDefinition(typ, variant uint8, key string) fields.Definition {
	types := fields.Types()
	d := fields.Definition{Key: key, Type: types[int(typ)%len(types)]}
	switch d.Type {
	case fields.TypeSelect, fields.TypeMultiSelect:
		d.Options = []fields.Option{
			{Value: "red", Label: "Red"}, {Value: "green", Label: "Green"},
			{Value: "50%_off", Label: "Half"}, {Value: "a'b", Label: "Same"}, {Value: "c\\d", Label: "Same"},
		}
	}
	if variant%2 == 1 {
		switch d.Type {
		case fields.TypeText, fields.TypeLongText, fields.TypeURL:
			d.Min, d.Max = ptr(2), ptr(40)
			d.Pattern = `[^x]*`
		case fields.TypeNumber, fields.TypeMoney:
			d.Min, d.Max = ptr(-1000), ptr(1000)
		case fields.TypeDate, fields.TypeDateTime:
			d.Min, d.Max = ptr(0), ptr(4102444800) // 1970 to 2100
		case fields.TypeMultiSelect:
			d.Min, d.Max = ptr(1), ptr(2)
		case fields.TypePhone:
			d.Pattern = `\+86.*`
		case fields.TypeEmail:
			d.Pattern = `.*\.cn`
		}
	}
	return d
}

// decodeInput reads the fuzzer's text as a JSON value when asJSON and it
// parses (numbers as json.Number, as the jsonb decoder gives them), and as
// a plain string otherwise.
func decodeInput(input string, asJSON bool) any {
	if !asJSON {
		return input
	}
	dec := json.NewDecoder(strings.NewReader(input))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return input
	}
	return v
}

// FuzzCoerce checks, for arbitrary input to every type, that Coerce does not
// panic, fails only with ErrInvalidValue, and that what it returns is
// canonical: it coerces to itself, also after the JSON round trip through
// the jsonb column.
func FuzzCoerce(f *testing.F) {
	seeds := []struct {
		typ    fields.Type
		input  string
		asJSON bool
	}{
		{fields.TypeText, "  Shanghai ", false},
		{fields.TypeText, `12.50`, true},
		{fields.TypeText, "a\u3000b\u200b", false},
		{fields.TypeLongText, "a\r\nb\rc\t", false},
		{fields.TypeNumber, "1e400", false},
		{fields.TypeNumber, `-0.0`, true},
		{fields.TypeNumber, "1e-400", false},
		{fields.TypeMoney, "12.345", false},
		{fields.TypeMoney, `0.30000000000000004`, true},
		{fields.TypeMoney, "9999999999999.99", false},
		{fields.TypeDate, "2025-02-30", false},
		{fields.TypeDate, "2025-03-01T00:30:00+08:00", false},
		{fields.TypeDate, "0001-01-01T00:00:00+01:00", false},
		{fields.TypeDateTime, "9999-12-31T23:59:59-01:00", false},
		{fields.TypeDateTime, "2025-03-01 09:30:00.123+08:00", false},
		{fields.TypeBoolean, "TRUE", false},
		{fields.TypeBoolean, `1`, true},
		{fields.TypeSelect, "Same", false},
		{fields.TypeSelect, `["red"]`, true},
		{fields.TypeMultiSelect, `["green","Red","red",""]`, true},
		{fields.TypeMultiSelect, `"Half"`, true},
		{fields.TypePhone, "138 0013 8000", false},
		{fields.TypePhone, `13800138000`, true},
		{fields.TypePhone, "＋８６ １３８００１３８０００", false},
		{fields.TypeEmail, " Zhang@Example.COM ", false},
		{fields.TypeEmail, "\"quoted\"@example.com", false},
		{fields.TypeURL, "https://例子.中国/路径?q=1#x", false},
		{fields.TypeURL, "HTTP://[::1]:80/", false},
	}
	for _, s := range seeds {
		idx := 0
		for i, t := range fields.Types() {
			if t == s.typ {
				idx = i
			}
		}
		f.Add(uint8(idx), uint8(0), s.input, s.asJSON)
		f.Add(uint8(idx), uint8(1), s.input, s.asJSON)
	}
	f.Fuzz(func(t *testing.T, typ, variant uint8, input string, asJSON bool) {
		d := fuzzDefinition(typ, variant, "f")
		field, _ := fields.Lookup(d.Type)
		raw := decodeInput(input, asJSON)
		v, err := field.Coerce(d, raw)
		if err != nil {
			if !errors.Is(err, fields.ErrInvalidValue) {
				t.Fatalf("%s: error %v does not wrap ErrInvalidValue", d.Type, err)
			}
			return
		}
		if v == nil {
			return
		}
		assertCanonical(t, field, d, v)
		if s, ok := v.(string); ok && strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("%s: canonical value has a NUL, which jsonb refuses: %q", d.Type, s)
		}
	})
}

// storedKeys are the keys of leadRows; the fuzzer picks them by number so
// that most runs reach PostgreSQL (a random string is rarely a valid key),
// and crosses them with every type, so filters meet data of other types.
var storedKeys = []string{"n", "amt", "d", "dt", "b", "s", "ms", "t", "p", "e", "u", "missing"}

// fuzzOps are the operators picked by number, plus strings that are not
// operators.
var fuzzOps = []fields.Op{
	fields.OpEQ, fields.OpNEQ, fields.OpIn, fields.OpNotIn, fields.OpContains, fields.OpGT, fields.OpGTE,
	fields.OpLT, fields.OpLTE, fields.OpBetween, fields.OpIsEmpty, fields.OpIsNotEmpty, "eq", "", "LIKE",
}

// FuzzPredicate builds filters and sorts from arbitrary keys, operators and
// values, and runs every one that is accepted against a real table of
// mixed, partly malformed data: an accepted filter must never make
// PostgreSQL fail (a bad cast, a bad LIKE escape, invalid text). keySel
// odd uses the fuzzed key itself, even one of storedKeys; the operator is
// fuzzOps[op], or the fuzzed key text when op is past the list.
func FuzzPredicate(f *testing.F) {
	db := newLeadsDB(f)
	seeds := []struct {
		typ   fields.Type
		key   string
		op    fields.Op
		value string
	}{
		{fields.TypeNumber, "n", fields.OpGT, `9`},
		{fields.TypeNumber, "n", fields.OpBetween, `[1, "1e3"]`},
		{fields.TypeNumber, "n", fields.OpNotIn, `[1, 2.5, "-3"]`},
		{fields.TypeMoney, "amt", fields.OpLTE, `"9.995"`},
		{fields.TypeDate, "d", fields.OpGTE, `"2025-01-10"`},
		{fields.TypeDate, "d", fields.OpIn, `["2025-01-10", "2024/12/31"]`},
		{fields.TypeDateTime, "dt", fields.OpLT, `"2025-01-10T17:00:00+08:00"`},
		{fields.TypeBoolean, "b", fields.OpNEQ, `true`},
		{fields.TypeSelect, "s", fields.OpIn, `["red", "Half"]`},
		{fields.TypeMultiSelect, "ms", fields.OpContains, `["red", "a'b"]`},
		{fields.TypeMultiSelect, "ms", fields.OpIn, `["c\\d"]`},
		{fields.TypeText, "t", fields.OpContains, `"50%_\\'"`},
		{fields.TypeText, "t", fields.OpEQ, `42`},
		{fields.TypeLongText, "t", fields.OpIsEmpty, `null`},
		{fields.TypePhone, "p", fields.OpContains, `"138-0013"`},
		{fields.TypeEmail, "e", fields.OpIsNotEmpty, ``},
		{fields.TypeURL, "u", fields.OpEQ, `"https://example.com/a"`},
		{fields.TypeText, "n", fields.OpContains, `"9"`},
		{fields.TypeNumber, "t", fields.OpLT, `0`},
		{fields.TypeDate, "n", fields.OpEQ, `"2025-01-01"`},
		{fields.TypeBoolean, "s", fields.OpEQ, `"0"`},
		{fields.TypeMultiSelect, "t", fields.OpNotIn, `["green"]`},
		{fields.TypeText, "a'; DROP TABLE leads; --", fields.OpEQ, `"x"`},
	}
	for _, s := range seeds {
		typ, op, keySel := 0, 0, 1
		for i, t := range fields.Types() {
			if t == s.typ {
				typ = i
			}
		}
		for i, o := range fuzzOps {
			if o == s.op {
				op = i
			}
		}
		for i, k := range storedKeys {
			if k == s.key {
				keySel = 2 * i
			}
		}
		f.Add(uint8(typ), uint8(op), uint8(keySel), s.key, s.value)
	}
	f.Fuzz(func(t *testing.T, typ, opSel, keySel uint8, key, value string) {
		if keySel%2 == 0 {
			key = storedKeys[int(keySel/2)%len(storedKeys)]
		}
		op := fields.Op(key)
		if int(opSel) < len(fuzzOps) {
			op = fuzzOps[opSel]
		}
		d := fuzzDefinition(typ, 0, key)
		v := decodeInput(value, true)
		var preds []func(*sql.Selector)
		p, err := fields.Predicate(d, op, v)
		if err != nil {
			if !errors.Is(err, fields.ErrInvalidValue) {
				t.Fatalf("error %v does not wrap ErrInvalidValue", err)
			}
		} else {
			preds = append(preds, p)
		}
		o, err := fields.OrderExpr(d, len(value)%2 == 0)
		if err != nil {
			if !errors.Is(err, fields.ErrInvalidValue) {
				t.Fatalf("error %v does not wrap ErrInvalidValue", err)
			}
			if len(preds) == 0 {
				return
			}
		}
		var orders []func(*sql.Selector)
		if o != nil {
			orders = append(orders, o)
		}
		if _, err := selectIDs(t, db, preds, orders...); err != nil {
			t.Fatalf("%s %q %s %q: %v", d.Type, key, op, value, err)
		}
	})
}
