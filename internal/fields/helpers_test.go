package fields_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

// coerceCase is one row of a type's table test: raw input and either the
// canonical value or a fragment of the error message.
type coerceCase struct {
	name string
	def  fields.Definition // Type and Key are filled in by runCoerce
	raw  any
	want any    // canonical value; nil means "empty, not stored"
	err  string // non-empty: Coerce must fail with a message containing it
}

func runCoerce(t *testing.T, typ fields.Type, cases []coerceCase) {
	t.Helper()
	f, ok := fields.Lookup(typ)
	if !ok {
		t.Fatalf("type %s is not registered", typ)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := tc.def
			d.Type = typ
			if d.Key == "" {
				d.Key = "f"
			}
			got, err := f.Coerce(d, tc.raw)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("Coerce(%#v) = %#v, want error containing %q", tc.raw, got, tc.err)
				}
				if !errors.Is(err, fields.ErrInvalidValue) {
					t.Errorf("error %v does not wrap ErrInvalidValue", err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %q does not contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Coerce(%#v): %v", tc.raw, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Coerce(%#v) = %#v (%T), want %#v (%T)", tc.raw, got, got, tc.want, tc.want)
			}
			assertCanonical(t, f, d, got)
		})
	}
}

// assertCanonical checks that a coerced value coerces to itself, both as it
// is and after the JSON round trip it makes through the jsonb column.
func assertCanonical(t testing.TB, f fields.Field, d fields.Definition, v any) {
	t.Helper()
	again, err := f.Coerce(d, v)
	if err != nil || !reflect.DeepEqual(again, v) {
		t.Fatalf("not idempotent: Coerce(%#v) = %#v, %v", v, again, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("canonical value %#v does not marshal: %v", v, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var stored any
	if err := dec.Decode(&stored); err != nil {
		t.Fatal(err)
	}
	again, err = f.Coerce(d, stored)
	if err != nil || !reflect.DeepEqual(again, v) {
		t.Fatalf("not stable through JSON: %s coerces to %#v, %v; want %#v", b, again, err, v)
	}
}

// settingsCase is one row of a type's settings table: setting is the
// SettingsError.Setting expected, "" when the definition is valid.
type settingsCase struct {
	name    string
	def     fields.Definition
	setting string
}

func runSettings(t *testing.T, typ fields.Type, cases []settingsCase) {
	t.Helper()
	f, _ := fields.Lookup(typ)
	for _, tc := range cases {
		t.Run("settings/"+tc.name, func(t *testing.T) {
			t.Parallel()
			d := tc.def
			if d.Type == "" {
				d.Type = typ
			}
			if d.Key == "" {
				d.Key = "f"
			}
			err := f.ValidateSettings(d)
			if tc.setting == "" {
				if err != nil {
					t.Fatalf("ValidateSettings: %v", err)
				}
				return
			}
			var se *fields.SettingsError
			if !errors.As(err, &se) || !errors.Is(err, fields.ErrInvalidSettings) {
				t.Fatalf("ValidateSettings = %v, want a SettingsError for %s", err, tc.setting)
			}
			if se.Setting != tc.setting {
				t.Fatalf("ValidateSettings = %v, want setting %q", err, tc.setting)
			}
		})
	}
}

func ptr(f float64) *float64 { return &f }

var colors = []fields.Option{
	{Value: "red", Label: "Red"},
	{Value: "green", Label: "Green"},
	{Value: "blue", Label: "Blue"},
}
