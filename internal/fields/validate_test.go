package fields_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

// testSchema has one field of every type plus the structural cases:
// required, archived, and a default.
func testSchema(t testing.TB) *fields.Schema {
	t.Helper()
	s, err := fields.NewSchema([]fields.Definition{
		{Key: "t_text", Label: "Text", Type: fields.TypeText, Max: ptr(10)},
		{Key: "t_long", Label: "Long", Type: fields.TypeLongText},
		{Key: "t_num", Label: "Number", Type: fields.TypeNumber, Min: ptr(0), Max: ptr(100)},
		{Key: "t_money", Label: "Money", Type: fields.TypeMoney},
		{Key: "t_date", Label: "Date", Type: fields.TypeDate},
		{Key: "t_dt", Label: "Datetime", Type: fields.TypeDateTime},
		{Key: "t_bool", Label: "Bool", Type: fields.TypeBoolean},
		{Key: "t_sel", Label: "Select", Type: fields.TypeSelect, Options: colors},
		{Key: "t_multi", Label: "Multi", Type: fields.TypeMultiSelect, Options: colors, Max: ptr(2)},
		{Key: "t_phone", Label: "Phone", Type: fields.TypePhone},
		{Key: "t_email", Label: "Email", Type: fields.TypeEmail},
		{Key: "t_url", Label: "URL", Type: fields.TypeURL},
		{Key: "req", Label: "Required", Type: fields.TypeText, Required: true},
		{Key: "old", Label: "Archived", Type: fields.TypeText, Archived: true},
		{Key: "tone", Label: "With default", Type: fields.TypeSelect, Options: colors, Default: "Red", Required: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestValidateBadValues feeds one bad value at a time and checks that it is
// the only error, with the exact path and code, and that nothing is returned
// to store.
func TestValidateBadValues(t *testing.T) {
	t.Parallel()
	s := testSchema(t)
	stored := map[string]any{"req": "present", "old": "kept", "t_text": "before"}
	cases := []struct {
		name  string
		mode  fields.Mode
		input map[string]any
		field string
		code  string
	}{
		// TEXT
		{"text newline", fields.ModeCreate, map[string]any{"t_text": "a\nb"}, "attributes.t_text", fields.CodeInvalidValue},
		{"text over max", fields.ModeCreate, map[string]any{"t_text": "12345678901"}, "attributes.t_text", fields.CodeInvalidValue},
		{"text list", fields.ModePatch, map[string]any{"t_text": []any{"x"}}, "attributes.t_text", fields.CodeInvalidValue},
		{"text object", fields.ModeCreate, map[string]any{"t_text": map[string]any{"a": 1.0}}, "attributes.t_text", fields.CodeInvalidValue},
		{"text NUL", fields.ModeCreate, map[string]any{"t_text": "a\x00"}, "attributes.t_text", fields.CodeInvalidValue},
		{"text bad UTF-8", fields.ModePatch, map[string]any{"t_text": "\xc3"}, "attributes.t_text", fields.CodeInvalidValue},
		// LONG_TEXT
		{"long text bell", fields.ModeCreate, map[string]any{"t_long": "a\x07"}, "attributes.t_long", fields.CodeInvalidValue},
		{"long text too long", fields.ModeCreate, map[string]any{"t_long": strings.Repeat("x", 10001)}, "attributes.t_long", fields.CodeInvalidValue},
		{"long text object", fields.ModePatch, map[string]any{"t_long": map[string]any{}}, "attributes.t_long", fields.CodeInvalidValue},
		// NUMBER
		{"number word", fields.ModeCreate, map[string]any{"t_num": "abc"}, "attributes.t_num", fields.CodeInvalidValue},
		{"number bool", fields.ModeCreate, map[string]any{"t_num": true}, "attributes.t_num", fields.CodeInvalidValue},
		{"number below min", fields.ModeCreate, map[string]any{"t_num": -1.0}, "attributes.t_num", fields.CodeInvalidValue},
		{"number above max", fields.ModePatch, map[string]any{"t_num": "101"}, "attributes.t_num", fields.CodeInvalidValue},
		{"number overflow", fields.ModeCreate, map[string]any{"t_num": "1e400"}, "attributes.t_num", fields.CodeInvalidValue},
		{"number NaN", fields.ModeCreate, map[string]any{"t_num": math.NaN()}, "attributes.t_num", fields.CodeInvalidValue},
		// MONEY
		{"money three decimals", fields.ModeCreate, map[string]any{"t_money": "1.234"}, "attributes.t_money", fields.CodeInvalidValue},
		{"money word", fields.ModeCreate, map[string]any{"t_money": "ten"}, "attributes.t_money", fields.CodeInvalidValue},
		{"money too large", fields.ModePatch, map[string]any{"t_money": 1e13}, "attributes.t_money", fields.CodeInvalidValue},
		{"money bool", fields.ModeCreate, map[string]any{"t_money": false}, "attributes.t_money", fields.CodeInvalidValue},
		// DATE
		{"date February 30", fields.ModeCreate, map[string]any{"t_date": "2025-02-30"}, "attributes.t_date", fields.CodeInvalidValue},
		{"date month 13", fields.ModeCreate, map[string]any{"t_date": "2025-13-01"}, "attributes.t_date", fields.CodeInvalidValue},
		{"date number", fields.ModePatch, map[string]any{"t_date": 20250101.0}, "attributes.t_date", fields.CodeInvalidValue},
		{"date word", fields.ModeCreate, map[string]any{"t_date": "yesterday"}, "attributes.t_date", fields.CodeInvalidValue},
		// DATETIME
		{"datetime date only", fields.ModeCreate, map[string]any{"t_dt": "2025-03-01"}, "attributes.t_dt", fields.CodeInvalidValue},
		{"datetime without zone", fields.ModeCreate, map[string]any{"t_dt": "2025-03-01T10:00:00"}, "attributes.t_dt", fields.CodeInvalidValue},
		{"datetime garbage", fields.ModePatch, map[string]any{"t_dt": "garbage"}, "attributes.t_dt", fields.CodeInvalidValue},
		{"datetime number", fields.ModeCreate, map[string]any{"t_dt": 1.0}, "attributes.t_dt", fields.CodeInvalidValue},
		// BOOLEAN
		{"boolean yes", fields.ModeCreate, map[string]any{"t_bool": "yes"}, "attributes.t_bool", fields.CodeInvalidValue},
		{"boolean 2", fields.ModeCreate, map[string]any{"t_bool": 2.0}, "attributes.t_bool", fields.CodeInvalidValue},
		{"boolean list", fields.ModePatch, map[string]any{"t_bool": []any{true}}, "attributes.t_bool", fields.CodeInvalidValue},
		// SELECT
		{"select unknown", fields.ModeCreate, map[string]any{"t_sel": "pink"}, "attributes.t_sel", fields.CodeInvalidValue},
		{"select two values", fields.ModeCreate, map[string]any{"t_sel": []any{"red", "blue"}}, "attributes.t_sel", fields.CodeInvalidValue},
		{"select number", fields.ModePatch, map[string]any{"t_sel": 1.0}, "attributes.t_sel", fields.CodeInvalidValue},
		// MULTI_SELECT
		{"multi unknown", fields.ModeCreate, map[string]any{"t_multi": []any{"red", "pink"}}, "attributes.t_multi", fields.CodeInvalidValue},
		{"multi too many", fields.ModeCreate, map[string]any{"t_multi": []any{"red", "green", "blue"}}, "attributes.t_multi", fields.CodeInvalidValue},
		{"multi object", fields.ModePatch, map[string]any{"t_multi": map[string]any{"red": true}}, "attributes.t_multi", fields.CodeInvalidValue},
		{"multi number item", fields.ModeCreate, map[string]any{"t_multi": []any{1.0}}, "attributes.t_multi", fields.CodeInvalidValue},
		// PHONE
		{"phone too short", fields.ModeCreate, map[string]any{"t_phone": "12345"}, "attributes.t_phone", fields.CodeInvalidValue},
		{"phone words", fields.ModeCreate, map[string]any{"t_phone": "hello"}, "attributes.t_phone", fields.CodeInvalidValue},
		{"phone bool", fields.ModePatch, map[string]any{"t_phone": true}, "attributes.t_phone", fields.CodeInvalidValue},
		// EMAIL
		{"email no at", fields.ModeCreate, map[string]any{"t_email": "not-an-email"}, "attributes.t_email", fields.CodeInvalidValue},
		{"email display name", fields.ModeCreate, map[string]any{"t_email": "A <a@b.com>"}, "attributes.t_email", fields.CodeInvalidValue},
		{"email number", fields.ModePatch, map[string]any{"t_email": 5.0}, "attributes.t_email", fields.CodeInvalidValue},
		// URL
		{"url ftp", fields.ModeCreate, map[string]any{"t_url": "ftp://x.com"}, "attributes.t_url", fields.CodeInvalidValue},
		{"url javascript", fields.ModeCreate, map[string]any{"t_url": "javascript:alert(1)"}, "attributes.t_url", fields.CodeInvalidValue},
		{"url relative", fields.ModePatch, map[string]any{"t_url": "/rel"}, "attributes.t_url", fields.CodeInvalidValue},
		{"url credentials", fields.ModeCreate, map[string]any{"t_url": "https://u:p@x.com"}, "attributes.t_url", fields.CodeInvalidValue},
		// Structure: unknown, archived, required.
		{"unknown key", fields.ModeCreate, map[string]any{"nope": "x"}, "attributes.nope", fields.CodeUnknownField},
		{"malformed key", fields.ModePatch, map[string]any{"Bad Key": "x"}, "attributes.Bad Key", fields.CodeUnknownField},
		{"built-in name", fields.ModePatch, map[string]any{"status": "WON"}, "attributes.status", fields.CodeUnknownField},
		{"archived write", fields.ModeCreate, map[string]any{"old": "x"}, "attributes.old", fields.CodeArchivedField},
		{"archived removal", fields.ModePatch, map[string]any{"old": nil}, "attributes.old", fields.CodeArchivedField},
		{"required nulled", fields.ModePatch, map[string]any{"req": nil}, "attributes.req", fields.CodeRequired},
		{"required blanked", fields.ModePatch, map[string]any{"req": "   "}, "attributes.req", fields.CodeRequired},
		{"required with default nulled", fields.ModePatch, map[string]any{"tone": nil}, "attributes.tone", fields.CodeRequired},
		{"required blank on create", fields.ModeCreate, map[string]any{"req": ""}, "attributes.req", fields.CodeRequired},
	}
	if n := len(cases); n < 40 {
		t.Fatalf("only %d cases", n)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			input := map[string]any{}
			if tc.mode == fields.ModeCreate {
				input["req"] = "present" // so that the case's error is the only one
			}
			for k, v := range tc.input {
				input[k] = v
			}
			var current map[string]any
			if tc.mode == fields.ModePatch {
				current = stored
			}
			merged, err := s.Validate(tc.mode, current, input)
			if merged != nil {
				t.Errorf("returned a map to store despite the error: %v", merged)
			}
			var ve *fields.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if !errors.Is(err, fields.ErrInvalidValue) {
				t.Error("errors.Is(err, ErrInvalidValue) is false")
			}
			if len(ve.Errors) != 1 || ve.Errors[0].Field != tc.field || ve.Errors[0].Code != tc.code {
				t.Fatalf("errors = %+v, want exactly {%s %s}", ve.Errors, tc.field, tc.code)
			}
			if ve.Errors[0].Message == "" {
				t.Error("empty message")
			}
		})
	}
}

// TestValidateReportsAll checks that every bad key is reported, sorted by
// field, including required fields missing on create.
func TestValidateReportsAll(t *testing.T) {
	t.Parallel()
	s := testSchema(t)
	_, err := s.Validate(fields.ModeCreate, nil, map[string]any{
		"t_url": "ftp://x", "zzz": 1.0, "t_num": "x", "old": "y", "t_bool": "maybe",
	})
	var ve *fields.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	want := []struct{ field, code string }{
		{"attributes.old", fields.CodeArchivedField},
		{"attributes.req", fields.CodeRequired},
		{"attributes.t_bool", fields.CodeInvalidValue},
		{"attributes.t_num", fields.CodeInvalidValue},
		{"attributes.t_url", fields.CodeInvalidValue},
		{"attributes.zzz", fields.CodeUnknownField},
	}
	if len(ve.Errors) != len(want) {
		t.Fatalf("errors = %+v", ve.Errors)
	}
	for i, w := range want {
		if ve.Errors[i].Field != w.field || ve.Errors[i].Code != w.code {
			t.Errorf("error %d = %+v, want %s %s", i, ve.Errors[i], w.field, w.code)
		}
	}
	if !strings.Contains(err.Error(), "attributes.t_num: ") {
		t.Errorf("Error() = %q", err)
	}
}
