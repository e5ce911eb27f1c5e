package fields_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestEveryTypeRegistered(t *testing.T) {
	t.Parallel()
	if len(fields.Types()) != 12 {
		t.Fatalf("Types() = %v", fields.Types())
	}
	for _, typ := range fields.Types() {
		f, ok := fields.Lookup(typ)
		if !ok || f.Type() != typ {
			t.Errorf("%s: Lookup = %v, %v", typ, f, ok)
		}
		if !typ.Valid() {
			t.Errorf("%s not Valid", typ)
		}
		if len(fields.Ops(typ)) == 0 {
			t.Errorf("%s has no filter operators", typ)
		}
	}
	if fields.Type("JSON").Valid() {
		t.Error("JSON is not a field type")
	}
	if _, ok := fields.Lookup("JSON"); ok {
		t.Error("Lookup(JSON) found something")
	}
}

func TestValidateCreate(t *testing.T) {
	t.Parallel()
	s := testSchema(t)
	input := map[string]any{
		"req":     " here ",
		"t_num":   "12.5",
		"t_multi": []any{"Blue", "red"},
		"t_phone": "13800138000",
		"t_text":  "",  // empty: not stored
		"t_bool":  nil, // absent
		"t_dt":    "2025-03-01T09:00:00+08:00",
		"t_email": "A@B.CN",
	}
	before := clone(t, input)
	got, err := s.Validate(fields.ModeCreate, map[string]any{"ignored": 1.0}, input)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"req":     "here",
		"t_num":   12.5,
		"t_multi": []string{"red", "blue"},
		"t_phone": "+8613800138000",
		"t_dt":    "2025-03-01T01:00:00Z",
		"t_email": "a@b.cn",
		"tone":    "red", // default "Red" is a label, stored as the value
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged = %#v\nwant     %#v", got, want)
	}
	if !reflect.DeepEqual(input, before) {
		t.Error("input was modified")
	}
}

func TestValidateCreateExplicitValueBeatsDefault(t *testing.T) {
	t.Parallel()
	got, err := testSchema(t).Validate(fields.ModeCreate, nil, map[string]any{"req": "x", "tone": "blue"})
	if err != nil {
		t.Fatal(err)
	}
	if got["tone"] != "blue" {
		t.Fatalf("tone = %v", got["tone"])
	}
}

func TestValidatePatch(t *testing.T) {
	t.Parallel()
	s := testSchema(t)
	current := map[string]any{
		"req":     "present",
		"t_text":  "old",
		"t_multi": []any{"red"},
		"t_num":   json.Number("5"),
		"old":     "archived value",
		"legacy":  "unknown key from an old import",
	}
	input := map[string]any{
		"t_text":  "new",
		"t_num":   nil, // removes
		"t_url":   "https://example.com",
		"t_email": "", // removing an absent key is fine
	}
	beforeCurrent, beforeInput := clone(t, current), clone(t, input)
	got, err := s.Validate(fields.ModePatch, current, input)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"req":     "present",
		"t_text":  "new",
		"t_multi": []any{"red"}, // untouched keys are not re-coerced
		"t_url":   "https://example.com",
		"old":     "archived value",
		"legacy":  "unknown key from an old import",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged = %#v\nwant     %#v", got, want)
	}
	if !reflect.DeepEqual(current, beforeCurrent) || !reflect.DeepEqual(input, beforeInput) {
		t.Fatal("inputs were modified")
	}
	got["t_multi"].([]any)[0] = "changed"
	if current["t_multi"].([]any)[0] != "red" {
		t.Fatal("merged shares a list with current")
	}
}

func TestValidatePatchNilCurrent(t *testing.T) {
	t.Parallel()
	got, err := testSchema(t).Validate(fields.ModePatch, nil, map[string]any{"t_bool": "1"})
	if err != nil || !reflect.DeepEqual(got, map[string]any{"t_bool": true}) {
		t.Fatalf("Validate = %v, %v", got, err)
	}
}

func TestValidateUnknownMode(t *testing.T) {
	t.Parallel()
	if _, err := testSchema(t).Validate(fields.Mode(0), nil, nil); err == nil {
		t.Fatal("mode 0 accepted")
	}
}

func TestVisible(t *testing.T) {
	t.Parallel()
	s := testSchema(t)
	stored := map[string]any{"t_text": "a", "old": "hidden", "legacy": 1.0, "t_multi": []any{"red"}}
	got := s.Visible(stored)
	want := map[string]any{"t_text": "a", "t_multi": []any{"red"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Visible = %v", got)
	}
	got["t_multi"].([]any)[0] = "x"
	if stored["t_multi"].([]any)[0] != "red" {
		t.Fatal("Visible shares a list with stored")
	}
}

func TestSchemaAccessors(t *testing.T) {
	t.Parallel()
	s := testSchema(t)
	defs := s.Definitions()
	if len(defs) != 15 || defs[0].Key != "t_text" || defs[14].Key != "tone" {
		t.Fatalf("Definitions order = %v", defs)
	}
	*defs[0].Max = 1
	defs[7].Options[0].Value = "mutated"
	d, ok := s.Lookup("t_text")
	if !ok || *d.Max != 10 {
		t.Fatal("Definitions returned shared state")
	}
	if d, _ := s.Lookup("t_sel"); d.Options[0].Value != "red" {
		t.Fatal("Definitions returned shared options")
	}
	if d, ok := s.Lookup("old"); !ok || !d.Archived {
		t.Fatal("Lookup does not return archived definitions")
	}
	if _, ok := s.Lookup("nope"); ok {
		t.Fatal("Lookup(nope)")
	}
}

func TestNewSchemaRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		defs []fields.Definition
		is   error
	}{
		{"duplicate key", []fields.Definition{{Key: "a", Type: fields.TypeText}, {Key: "a", Type: fields.TypeNumber}}, fields.ErrInvalidSettings},
		{"reserved key", []fields.Definition{{Key: "created_at", Type: fields.TypeText}}, fields.ErrInvalidKey},
		{"malformed key", []fields.Definition{{Key: "A", Type: fields.TypeText}}, fields.ErrInvalidKey},
		{"unknown type", []fields.Definition{{Key: "a", Type: "JSON"}}, fields.ErrInvalidSettings},
		{"bad settings", []fields.Definition{{Key: "a", Type: fields.TypeSelect}}, fields.ErrInvalidSettings},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := fields.NewSchema(tc.defs)
			if s != nil || !errors.Is(err, tc.is) {
				t.Fatalf("NewSchema = %v, %v; want error %v", s, err, tc.is)
			}
		})
	}
	if s, err := fields.NewSchema(nil); err != nil || len(s.Definitions()) != 0 {
		t.Fatalf("empty schema: %v", err)
	}
}

// TestConvertible is the type-change check: which stored values (as the
// jsonb decoder returns them) survive a new definition.
func TestConvertible(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		to     fields.Definition
		stored any
		want   bool
	}{
		{"text to number", fields.Definition{Type: fields.TypeNumber}, "12.5", true},
		{"text to number, word", fields.Definition{Type: fields.TypeNumber}, "twelve", false},
		{"number to text", fields.Definition{Type: fields.TypeText}, json.Number("12.5"), true},
		{"number to money, cents", fields.Definition{Type: fields.TypeMoney}, json.Number("12.5"), true},
		{"number to money, mills", fields.Definition{Type: fields.TypeMoney}, json.Number("12.505"), false},
		{"text to date", fields.Definition{Type: fields.TypeDate}, "2025-03-01", true},
		{"text to date, bad", fields.Definition{Type: fields.TypeDate}, "soon", false},
		{"datetime to date", fields.Definition{Type: fields.TypeDate}, "2025-03-01T10:00:00Z", true},
		{"select to multi", fields.Definition{Type: fields.TypeMultiSelect, Options: colors}, "red", true},
		{"multi to select, one", fields.Definition{Type: fields.TypeSelect, Options: colors}, []any{"red"}, true},
		{"multi to select, two", fields.Definition{Type: fields.TypeSelect, Options: colors}, []any{"red", "blue"}, false},
		{"option removed", fields.Definition{Type: fields.TypeSelect, Options: colors[:1]}, "blue", false},
		{"tighter max", fields.Definition{Type: fields.TypeNumber, Max: ptr(10)}, json.Number("11"), false},
		{"text to boolean", fields.Definition{Type: fields.TypeBoolean}, "true", true},
		{"boolean to text", fields.Definition{Type: fields.TypeText}, true, true},
		{"text to phone", fields.Definition{Type: fields.TypePhone}, "13800138000", true},
		{"empty always converts", fields.Definition{Type: fields.TypeNumber}, "", true},
		{"unknown type", fields.Definition{Type: "JSON"}, "x", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.to.Key = "f"
			if got := fields.Convertible(tc.to, tc.stored); got != tc.want {
				t.Fatalf("Convertible = %v, want %v", got, tc.want)
			}
		})
	}
}

// clone copies a map and its lists (the only nested values these tests use)
// for before/after comparisons.
func clone(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case []any:
			out[k] = append([]any(nil), x...)
		default:
			out[k] = v
		}
	}
	return out
}
