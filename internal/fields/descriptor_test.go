package fields_test

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/fields"
)

// TestDescriptors: every type describes itself, with valid operators; the
// contact types (and only they) are masked, match whole values, and hide
// what a masked value must not show.
func TestDescriptors(t *testing.T) {
	contact := map[fields.Type]string{fields.TypePhone: "+8613812345678", fields.TypeEmail: "zhang.san@example.com"}
	for _, typ := range fields.Types() {
		d, ok := fields.Describe(typ)
		if !ok || len(d.Ops) == 0 {
			t.Fatalf("%s: no descriptor or no operators", typ)
		}
		for _, op := range d.Ops {
			if !op.Valid() {
				t.Errorf("%s: operator %q is not one of fields.Op", typ, op)
			}
		}
		if len(slices.Compact(slices.Clone(d.Ops))) != len(d.Ops) {
			t.Errorf("%s: repeated operators %v", typ, d.Ops)
		}
		sample, isContact := contact[typ]
		if d.ContactSensitive() != isContact || fields.ContactSensitive(typ) != isContact {
			t.Errorf("%s: ContactSensitive = %v, want %v", typ, d.ContactSensitive(), isContact)
		}
		if !isContact {
			continue
		}
		if slices.Contains(d.Ops, fields.OpContains) {
			t.Errorf("%s: a contact type must not take CONTAINS", typ)
		}
		m := d.Mask(sample)
		if m == sample || !strings.Contains(m, "*") || strings.Contains(m, "12345") || strings.Contains(m, "hang.san") {
			t.Errorf("%s: Mask(%q) = %q shows too much", typ, sample, m)
		}
	}
	if _, ok := fields.Describe("NOPE"); ok || fields.Ops("NOPE") != nil || fields.ContactSensitive("NOPE") {
		t.Error("an unknown type has a descriptor")
	}
	// Ops returns a copy: a caller cannot change the table.
	ops := fields.Ops(fields.TypeText)
	ops[0] = fields.OpGT
	if fields.Ops(fields.TypeText)[0] == fields.OpGT {
		t.Error("Ops shares the descriptor's slice")
	}
}

// TestEveryDescriptorIsComplete walks every registered type, including any
// added later, and fails when its descriptor lacks something another layer
// reads: operators its storage can build, a storage, a GraphQL scalar, a
// CEL type, a widget; and when its SQL cannot be built for sorting,
// indexing and the operators every type shares.
func TestEveryDescriptorIsComplete(t *testing.T) {
	t.Parallel()
	for _, typ := range fields.Types() {
		t.Run(string(typ), func(t *testing.T) {
			d, ok := fields.Describe(typ)
			if !ok {
				t.Fatal("no descriptor")
			}
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			switch {
			case len(d.Ops) == 0:
				t.Error("no operators")
			case d.Storage == nil:
				t.Error("no storage")
			case d.GraphQLScalar == "":
				t.Error("no GraphQL scalar")
			case d.CEL == "":
				t.Error("no CEL type")
			case d.Widget == "":
				t.Error("no widget")
			}
			for _, op := range d.Ops {
				if !slices.Contains(d.Storage.Ops(), op) {
					t.Errorf("%s: the %s storage cannot build it", op, d.Storage.Name())
				}
			}
			if d.FilterAs != "" {
				fd, ok := fields.Describe(d.FilterAs)
				if !ok || fd.Storage != d.Storage {
					t.Errorf("FilterAs %s is not a type stored alike", d.FilterAs)
				}
			}
			def := fields.Definition{Key: "f", Type: typ, Options: []fields.Option{{Value: "a", Label: "A"}}}
			for _, op := range []fields.Op{fields.OpIsEmpty, fields.OpIsNotEmpty} {
				if _, err := fields.Condition("attributes", def, op, nil); err != nil {
					t.Errorf("%s: %v", op, err)
				}
			}
			if _, err := fields.OrderTerm("attributes", def, false); (err == nil) != d.Sortable {
				t.Errorf("OrderTerm: %v, but Sortable is %v", err, d.Sortable)
			}
			if expr, err := fields.IndexExpr(def); err != nil || !strings.Contains(expr, "'f'") {
				t.Errorf("IndexExpr = %q, %v", expr, err)
			}
		})
	}
}

// TestBuiltinDescriptors pins what each built-in type declares, the facts
// the filter builder, typed schema, rule language and web app used to keep
// in tables of their own.
func TestBuiltinDescriptors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ     fields.Type
		storage *fields.Storage
		scalar  string
		cel     fields.CELType
		widget  fields.Widget
	}{
		{fields.TypeText, fields.TextStorage, "String", fields.CELString, fields.WidgetText},
		{fields.TypeLongText, fields.TextStorage, "String", fields.CELString, fields.WidgetTextarea},
		{fields.TypeNumber, fields.NumberStorage, "Float", fields.CELDouble, fields.WidgetNumber},
		{fields.TypeMoney, fields.NumberStorage, "Float", fields.CELDouble, fields.WidgetMoney},
		{fields.TypeDate, fields.DateStorage, "Date", fields.CELTimestamp, fields.WidgetDate},
		{fields.TypeDateTime, fields.DateTimeStorage, "Time", fields.CELTimestamp, fields.WidgetDateTime},
		{fields.TypeBoolean, fields.BooleanStorage, "Boolean", fields.CELBool, fields.WidgetSwitch},
		{fields.TypeSelect, fields.OptionStorage, "String", fields.CELString, fields.WidgetSelect},
		{fields.TypeMultiSelect, fields.OptionListStorage, "String", fields.CELStringList, fields.WidgetMultiSelect},
		{fields.TypePhone, fields.TextStorage, "String", fields.CELString, fields.WidgetPhone},
		{fields.TypeEmail, fields.TextStorage, "String", fields.CELString, fields.WidgetEmail},
		{fields.TypeURL, fields.TextStorage, "String", fields.CELString, fields.WidgetURL},
	}
	if len(cases) != 12 || !slices.Equal(fields.Types()[:12], func() []fields.Type {
		var ts []fields.Type
		for _, c := range cases {
			ts = append(ts, c.typ)
		}
		return ts
	}()) {
		t.Fatalf("the built-in types are, in order, %v", fields.Types())
	}
	for _, c := range cases {
		d, _ := fields.Describe(c.typ)
		if d.Storage != c.storage || d.GraphQLScalar != c.scalar || d.CEL != c.cel || d.Widget != c.widget || !d.Sortable {
			t.Errorf("%s: storage %s, scalar %s, CEL %s, widget %s, sortable %v; want %s, %s, %s, %s, true",
				c.typ, d.Storage.Name(), d.GraphQLScalar, d.CEL, d.Widget, d.Sortable, c.storage.Name(), c.scalar, c.cel, c.widget)
		}
	}
}

// TestStorageRead: Read accepts only canonical stored values, and Holds
// tells a value of the storage's JSON type from one left by another type.
func TestStorageRead(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		s    *fields.Storage
		raw  any
		want any // nil: absent
	}{
		{fields.TextStorage, "x", "x"},
		{fields.TextStorage, "", nil},
		{fields.TextStorage, 3.0, nil},
		{fields.NumberStorage, json.Number("2.5"), 2.5},
		{fields.NumberStorage, 3, 3.0},
		{fields.NumberStorage, "3", nil},
		{fields.NumberStorage, math.NaN(), nil},
		{fields.DateStorage, "2025-03-01", day},
		{fields.DateStorage, "2025-02-30", nil},
		{fields.DateTimeStorage, "2025-03-01T00:00:00Z", day},
		{fields.DateTimeStorage, "2025-03-01", nil},
		{fields.BooleanStorage, false, false},
		{fields.BooleanStorage, "true", nil},
		{fields.OptionStorage, "a", "a"},
		{fields.OptionListStorage, []any{"a", "b"}, []string{"a", "b"}},
		{fields.OptionListStorage, []any{}, nil},
		{fields.OptionListStorage, []any{"a", 1.0}, nil},
		{fields.OptionListStorage, "a", nil},
	}
	for _, c := range cases {
		got, ok := c.s.Read(c.raw)
		if c.want == nil {
			if ok {
				t.Errorf("%s.Read(%#v) = %#v, want absent", c.s.Name(), c.raw, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s.Read(%#v) = %#v, %v; want %#v", c.s.Name(), c.raw, got, ok, c.want)
		}
		if !c.s.Holds(c.raw) {
			t.Errorf("%s.Holds(%#v) = false", c.s.Name(), c.raw)
		}
	}
	if fields.NumberStorage.Holds("3") || fields.TextStorage.Holds(3.0) || fields.OptionListStorage.Holds("a") || fields.BooleanStorage.Holds(nil) {
		t.Error("Holds accepts a value of another JSON type")
	}
}
