package fields

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Settings are the definition settings a type takes, declared in its
// Descriptor: checkSettings enforces them the same way for all types, and
// the fieldTypes query serves them to the web app's field form.
type Settings struct {
	// Options: the type needs choices (Definition.Options).
	Options bool
	// Pattern: the type takes a regular expression its values must match.
	Pattern bool
	// Bounds says what Min and Max mean; "" when the type takes neither.
	Bounds Bounds
	// MaxLength is the type's ceiling on BoundsLength bounds.
	MaxLength int
}

// Bounds says what Min and Max mean for a type.
type Bounds string

// The meanings of Min and Max.
const (
	BoundsLength Bounds = "length" // characters of the value; whole numbers from 0 to MaxLength
	BoundsValue  Bounds = "value"  // any finite number
	BoundsCount  Bounds = "count"  // number of choices; whole numbers from 0
	BoundsTime   Bounds = "time"   // Unix seconds within years 1..9999
)

// Limits on definitions; generous for real forms, small enough that a
// hostile definition cannot make every write slow.
const (
	maxOptions      = 500
	maxOptionLength = 200
	maxPatternBytes = 500
)

// Unix seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range in
// which dates keep their four-digit, string-sortable form.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// checkSettings checks d against the settings f's descriptor declares.
func checkSettings(f Field, d Definition) error {
	spec := f.Describe().Settings
	if d.Type != f.Type() {
		return settingsErr("type", "definition of type %q checked as %s", d.Type, f.Type())
	}
	if err := checkOptions(d, spec); err != nil {
		return err
	}
	if d.Pattern != "" {
		if !spec.Pattern {
			return settingsErr("pattern", "%s fields do not take a pattern", d.Type)
		}
		if len(d.Pattern) > maxPatternBytes {
			return settingsErr("pattern", "is longer than %d bytes", maxPatternBytes)
		}
		if _, err := compilePattern(d.Pattern); err != nil {
			return settingsErr("pattern", "is not a valid regular expression: %v", err)
		}
	}
	if err := checkBounds(d, spec); err != nil {
		return err
	}
	if d.Default != nil {
		if _, err := f.Coerce(d, d.Default); err != nil {
			return settingsErr("default", "the default value %s", err.Error())
		}
	}
	return nil
}

func checkOptions(d Definition, spec Settings) error {
	if !spec.Options {
		if len(d.Options) > 0 {
			return settingsErr("options", "only SELECT and MULTI_SELECT fields have options")
		}
		return nil
	}
	if len(d.Options) == 0 {
		return settingsErr("options", "at least one option is required")
	}
	if len(d.Options) > maxOptions {
		return settingsErr("options", "at most %d options are allowed", maxOptions)
	}
	seen := make(map[string]bool, len(d.Options))
	for _, o := range d.Options {
		if o.Value == "" || strings.TrimSpace(o.Value) != o.Value {
			return settingsErr("options", "option value %q must be non-empty without surrounding space", truncate(o.Value, 40))
		}
		for _, s := range []string{o.Value, o.Label} {
			if !cleanLine(s) || utf8.RuneCountInString(s) > maxOptionLength {
				return settingsErr("options", "option %q must be at most %d characters of printable text", truncate(s, 40), maxOptionLength)
			}
		}
		if seen[o.Value] {
			return settingsErr("options", "option value %q appears twice", o.Value)
		}
		seen[o.Value] = true
	}
	return nil
}

// cleanLine reports UTF-8 text without control characters.
func cleanLine(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

func checkBounds(d Definition, spec Settings) error {
	if spec.Bounds == "" {
		switch {
		case d.Min != nil:
			return settingsErr("min", "%s fields do not take a minimum", d.Type)
		case d.Max != nil:
			return settingsErr("max", "%s fields do not take a maximum", d.Type)
		}
		return nil
	}
	for _, b := range []struct {
		name string
		v    *float64
	}{{"min", d.Min}, {"max", d.Max}} {
		if b.v == nil {
			continue
		}
		v := *b.v
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return settingsErr(b.name, "must be a finite number")
		}
		switch spec.Bounds {
		case BoundsLength, BoundsCount:
			if v < 0 || v != math.Trunc(v) {
				return settingsErr(b.name, "must be a whole number, 0 or more")
			}
			if spec.Bounds == BoundsLength && v > float64(spec.MaxLength) {
				return settingsErr(b.name, "must be at most %d for %s fields", spec.MaxLength, d.Type)
			}
			if spec.Bounds == BoundsCount && v > float64(len(d.Options)) && b.name == "min" {
				return settingsErr(b.name, "exceeds the number of choices (%d)", len(d.Options))
			}
		case BoundsTime:
			if v < minUnix || v > maxUnix {
				return settingsErr(b.name, "must be Unix seconds within years 1 to 9999")
			}
		}
	}
	if d.Min != nil && d.Max != nil && *d.Min > *d.Max {
		return settingsErr("min", "must not exceed max")
	}
	return nil
}
