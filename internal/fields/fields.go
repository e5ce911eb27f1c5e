// Package fields validates and coerces the values of a workspace's custom
// fields, which live in one attributes jsonb column per entity, and turns
// filters and sorts on them into bound SQL.
//
// It follows PocketBase's core/field.go: one small Field interface and one
// file per field type (field_text.go, field_number.go, ...) that registers
// itself in init(). Everything that writes attributes goes through Schema.Validate
// so that what is stored is always the canonical form of its type; readers,
// filters and sorts can then rely on that form (a NUMBER is a JSON number, a
// DATE a "YYYY-MM-DD" string) and only have to survive, not interpret, data
// that predates a definition change.
//
// The package knows nothing about ent entities or tenants: callers convert
// their stored FieldDefinitions to Definition.
package fields

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// Type names a custom-field type. The values are the GraphQL FieldType enum
// and the stored fielddefinition.type, so conversions are plain casts.
type Type string

// The field types a workspace can define.
const (
	TypeText        Type = "TEXT"
	TypeLongText    Type = "LONG_TEXT"
	TypeNumber      Type = "NUMBER"
	TypeMoney       Type = "MONEY"
	TypeDate        Type = "DATE"
	TypeDateTime    Type = "DATETIME"
	TypeBoolean     Type = "BOOLEAN"
	TypeSelect      Type = "SELECT"
	TypeMultiSelect Type = "MULTI_SELECT"
	TypePhone       Type = "PHONE"
	TypeEmail       Type = "EMAIL"
	TypeURL         Type = "URL"
)

// builtinTypes is the order in which a UI offers the built-in types.
var builtinTypes = []Type{
	TypeText, TypeLongText, TypeNumber, TypeMoney, TypeDate, TypeDateTime,
	TypeBoolean, TypeSelect, TypeMultiSelect, TypePhone, TypeEmail, TypeURL,
}

// Types returns every registered field type in the order a UI should offer
// them: the built-in types, then any other in the order registered.
func Types() []Type {
	out := slices.Clone(builtinTypes)
	for _, t := range registered {
		if !slices.Contains(builtinTypes, t) {
			out = append(out, t)
		}
	}
	return out
}

// Valid reports whether t is a registered field type.
func (t Type) Valid() bool {
	_, ok := registry[t]
	return ok
}

// Option is one choice of a SELECT or MULTI_SELECT field. Value is what is
// stored and filtered on, so it never changes once used; Label is what people
// see and may be renamed freely.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Definition is the part of a FieldDefinition the validator needs. It is a
// plain struct, independent of ent, so this package can be tested and reused
// (segments, imports) without a database.
type Definition struct {
	Key      string
	Label    string
	Type     Type
	Required bool
	// Unique is carried for callers: whether two leads share a value can only
	// be answered by the database, so Validate does not check it.
	Unique bool
	// Options are the choices of SELECT and MULTI_SELECT fields.
	Options []Option
	// Pattern is an RE2 regular expression for TEXT, LONG_TEXT, PHONE, EMAIL
	// and URL. Like the HTML pattern attribute that form builders mirror, it
	// must match the whole canonical value ("[0-9]{6}" means exactly six
	// digits).
	Pattern string
	// Min and Max bound NUMBER and MONEY values; the length in characters of
	// TEXT, LONG_TEXT and URL; the number of choices of MULTI_SELECT; and
	// DATE and DATETIME values as Unix seconds (a DATE counts as midnight UTC).
	Min, Max *float64
	// Default is a JSON value applied on create when the field is absent or
	// empty; it is validated like a value.
	Default any
	// Archived fields keep their stored values but are hidden from reads and
	// refuse writes: data is never hard-deleted.
	Archived bool
}

// Field is one field type: it checks a definition's settings and turns raw
// input into the canonical stored value.
type Field interface {
	// Type is the type this Field implements.
	Type() Type
	// ValidateSettings checks the type-specific settings of d: options for
	// selects, pattern, min and max, and that the default is a valid value.
	// Errors are *SettingsError naming the offending setting.
	ValidateSettings(d Definition) error
	// Coerce turns raw, a decoded JSON value (string, float64, json.Number,
	// bool, []any, map[string]any or nil; Go callers may also pass ints,
	// []string and time.Time), into the canonical stored value. Empty input
	// (nil, a blank string, an empty list) returns nil, nil: "no value", which
	// is never stored. Bad input returns an error wrapping ErrInvalidValue
	// whose text is a message for a person. Coerce of a canonical value
	// returns it unchanged.
	Coerce(d Definition, raw any) (any, error)
	// Describe returns everything else the type declares about itself:
	// storage, operators, contact sensitivity, GraphQL and CEL types, UI
	// hints. It must return the same complete Descriptor every time.
	Describe() Descriptor
}

// registry and registered are written only by init functions, so reads
// need no lock.
var (
	registry   = map[Type]Field{}
	registered []Type
)

// typeName is how a type is spelled: it is a GraphQL enum value and the
// stored fielddefinition.type.
var typeName = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,39}$`)

// Register makes a Field available to Lookup; the built-in types register
// in the init of their field_<type>.go. It is meant for init functions and
// panics on a malformed or duplicate type or an incomplete descriptor
// (Descriptor.Check), programming errors that must not reach production.
func Register(f Field) {
	t := f.Type()
	if !typeName.MatchString(string(t)) {
		panic(fmt.Sprintf("fields: Register of malformed type %q", t))
	}
	if _, dup := registry[t]; dup {
		panic(fmt.Sprintf("fields: Register called twice for %s", t))
	}
	if err := f.Describe().Check(); err != nil {
		panic(fmt.Sprintf("fields: Register of %s: %v", t, err))
	}
	registry[t] = f
	registered = append(registered, t)
}

// Lookup returns the Field of type t.
func Lookup(t Type) (Field, bool) {
	f, ok := registry[t]
	return f, ok
}

// Sentinel errors; compare with errors.Is.
var (
	// ErrInvalidValue marks input that does not fit a field: a bad value, an
	// unknown or archived key, a missing required value, a bad filter.
	ErrInvalidValue = errors.New("invalid value")
	// ErrInvalidSettings marks a field definition whose settings do not fit
	// its type.
	ErrInvalidSettings = errors.New("invalid field settings")
	// ErrInvalidKey marks a field key that is malformed or reserved.
	ErrInvalidKey = errors.New("invalid field key")
)

// SettingsError says which setting of a definition is wrong. Setting is one
// of "type", "options", "pattern", "min", "max" and "default", so an API can
// point at the input field to fix.
type SettingsError struct {
	Setting string
	Message string
}

// Error reads "setting: message".
func (e *SettingsError) Error() string { return e.Setting + ": " + e.Message }

// Unwrap makes errors.Is(err, ErrInvalidSettings) hold.
func (e *SettingsError) Unwrap() error { return ErrInvalidSettings }

func settingsErr(setting, format string, args ...any) error {
	return &SettingsError{Setting: setting, Message: fmt.Sprintf(format, args...)}
}

// valueError carries a message meant for the person who typed the value;
// its text has no "invalid value:" prefix so it reads well in a form.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

func (e *valueError) Is(target error) bool { return target == ErrInvalidValue }

// invalid returns an error wrapping ErrInvalidValue with a human message.
func invalid(format string, args ...any) error {
	return &valueError{msg: fmt.Sprintf(format, args...)}
}

// Coerce coerces raw with the Field of d's type; see Field.Coerce.
func Coerce(d Definition, raw any) (any, error) {
	f, ok := Lookup(d.Type)
	if !ok {
		return nil, invalid("unknown field type %q", d.Type)
	}
	return f.Coerce(d, raw)
}

// ValidateSettings checks d with the Field of its type, after its key; see
// Field.ValidateSettings.
func ValidateSettings(d Definition) error {
	if err := ValidKey(d.Key); err != nil {
		return err
	}
	f, ok := Lookup(d.Type)
	if !ok {
		return settingsErr("type", "unknown field type %q", d.Type)
	}
	return f.ValidateSettings(d)
}

// Convertible reports whether a stored value would be accepted under the
// definition to, so that a type or rule change can count the leads it would
// strand before it is saved. Empty values always convert.
func Convertible(to Definition, stored any) bool {
	_, err := Coerce(to, stored)
	return err == nil
}
