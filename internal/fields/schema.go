package fields

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Mode says how Validate combines input with what is stored.
type Mode int

const (
	// ModeCreate validates the attributes of a new entity: defaults are
	// applied to absent or empty fields and required fields must end up with
	// a value.
	ModeCreate Mode = iota + 1
	// ModePatch merges input into the stored attributes key by key: a key
	// with a value replaces it, a key with null (or an empty value) removes
	// it, keys not in input are kept. Removing a required field's value is an
	// error; required fields that were already absent are left alone, since
	// the patch did not touch them.
	ModePatch
)

// Codes of FieldError, for clients (GraphQL extensions.code).
const (
	CodeUnknownField  = "UNKNOWN_FIELD"
	CodeArchivedField = "ARCHIVED_FIELD"
	CodeInvalidValue  = "INVALID_VALUE"
	CodeRequired      = "REQUIRED"
)

// FieldError is what is wrong with one attribute.
type FieldError struct {
	// Field is the input path, "attributes.<key>", so that API errors point at
	// the value to fix.
	Field string
	// Code is one of the Code constants.
	Code string
	// Message is for the person who typed the value.
	Message string
}

// Error reads "attributes.key: message".
func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError lists every problem of one input, so a form can mark all
// bad fields at once instead of one per round trip.
type ValidationError struct {
	// Errors are sorted by Field, one per attribute at most.
	Errors []FieldError
}

// Error joins the field errors.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalidValue) hold, so callers map all input
// problems to one client error kind.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidValue }

// Schema is a workspace's field definitions, checked once, for validating
// many values. It is immutable and safe for concurrent use.
type Schema struct {
	defs  []Definition
	byKey map[string]int
}

// NewSchema checks every definition (key, type, settings, no duplicate key)
// and returns the schema, or an error listing every bad definition. The
// definitions are copied; Definitions keeps their order.
func NewSchema(defs []Definition) (*Schema, error) {
	s := &Schema{defs: make([]Definition, len(defs)), byKey: make(map[string]int, len(defs))}
	var errs []error
	for i, d := range defs {
		d = cloneDefinition(d)
		s.defs[i] = d
		if _, dup := s.byKey[d.Key]; dup {
			errs = append(errs, fmt.Errorf("field %q: %w: defined twice", d.Key, ErrInvalidSettings))
			continue
		}
		s.byKey[d.Key] = i
		if err := ValidateSettings(d); err != nil {
			errs = append(errs, fmt.Errorf("field %q: %w", d.Key, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func cloneDefinition(d Definition) Definition {
	d.Options = slices.Clone(d.Options)
	if d.Min != nil {
		v := *d.Min
		d.Min = &v
	}
	if d.Max != nil {
		v := *d.Max
		d.Max = &v
	}
	d.Default = cloneJSON(d.Default)
	return d
}

// Definitions returns a copy of the definitions, archived ones included.
func (s *Schema) Definitions() []Definition {
	out := make([]Definition, len(s.defs))
	for i, d := range s.defs {
		out[i] = cloneDefinition(d)
	}
	return out
}

// Lookup returns the definition of key, archived or not.
func (s *Schema) Lookup(key string) (Definition, bool) {
	i, ok := s.byKey[key]
	if !ok {
		return Definition{}, false
	}
	return cloneDefinition(s.defs[i]), true
}

// Validate checks input against the schema and returns the attributes to
// store: for ModeCreate the coerced input with defaults (current is
// ignored), for ModePatch current with input applied key by key.
//
// Keys of current that are archived or unknown are carried over untouched:
// archiving hides data, it never deletes it. Writing an archived or unknown
// key is an error. Every problem is reported in one *ValidationError (sorted
// by field); on error no map is returned, so a caller cannot store a half
// validated one. Neither current nor input is modified, and the result
// shares no lists or maps with them.
//
// Uniqueness is not checked: only the database can see other leads.
func (s *Schema) Validate(mode Mode, current, input map[string]any) (map[string]any, error) {
	merged := make(map[string]any, len(current)+len(input))
	switch mode {
	case ModeCreate:
	case ModePatch:
		for k, v := range current {
			merged[k] = cloneJSON(v)
		}
	default:
		return nil, fmt.Errorf("fields: unknown validation mode %d", mode)
	}
	var errs []FieldError
	failed := map[string]bool{}
	fail := func(key, code, msg string) {
		errs = append(errs, FieldError{Field: "attributes." + key, Code: code, Message: msg})
		failed[key] = true
	}
	for _, key := range slices.Sorted(maps.Keys(input)) {
		i, ok := s.byKey[key]
		if !ok {
			fail(key, CodeUnknownField, "is not a field of this workspace")
			continue
		}
		def := s.defs[i]
		if def.Archived {
			fail(key, CodeArchivedField, "is archived; restore the field to change its values")
			continue
		}
		v, err := Coerce(def, input[key])
		switch {
		case err != nil:
			fail(key, CodeInvalidValue, message(err))
		case v != nil:
			merged[key] = v
		case mode == ModePatch && def.Required:
			fail(key, CodeRequired, "is required and cannot be emptied")
		default:
			delete(merged, key)
		}
	}
	if mode == ModeCreate {
		for _, def := range s.defs {
			if def.Archived || failed[def.Key] {
				continue
			}
			if _, ok := merged[def.Key]; ok {
				continue
			}
			if def.Default != nil {
				// NewSchema checked the default, so this cannot fail; a failure
				// would be reported rather than stored.
				v, err := Coerce(def, def.Default)
				if err != nil {
					fail(def.Key, CodeInvalidValue, "the field's default "+message(err))
					continue
				}
				if v != nil {
					merged[def.Key] = v
					continue
				}
			}
			if def.Required {
				fail(def.Key, CodeRequired, "is required")
			}
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b FieldError) int {
			return cmp.Or(strings.Compare(a.Field, b.Field), strings.Compare(a.Code, b.Code))
		})
		return nil, &ValidationError{Errors: errs}
	}
	return merged, nil
}

// Visible returns the stored attributes a reader may see: values of known,
// unarchived fields. Archived values stay in the database for a restore, and
// unknown keys (left by a definition of another entity or an old import)
// mean nothing to a client.
func (s *Schema) Visible(stored map[string]any) map[string]any {
	out := make(map[string]any, len(stored))
	for k, v := range stored {
		if i, ok := s.byKey[k]; ok && !s.defs[i].Archived {
			out[k] = cloneJSON(v)
		}
	}
	return out
}

// message is the human text of a Coerce error.
func message(err error) string {
	var ve *valueError
	if errors.As(err, &ve) {
		return ve.msg
	}
	return err.Error()
}

// cloneJSON deep-copies a decoded JSON value, so results never alias inputs.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSON(e)
		}
		return out
	case []string:
		return slices.Clone(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSON(e)
		}
		return out
	}
	return v
}
