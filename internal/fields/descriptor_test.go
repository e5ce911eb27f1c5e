package fields_test

import (
	"slices"
	"strings"
	"testing"

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
