package fields

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// boundKind says what Min and Max mean for a type.
type boundKind int

const (
	boundsNone   boundKind = iota
	boundsLength           // characters of the value; whole numbers from 0 to a ceiling
	boundsValue            // any finite number
	boundsCount            // number of choices; whole numbers from 0
	boundsTime             // Unix seconds within years 1..9999
)

// settingsSpec lists the settings a type accepts; each type file declares
// its spec and checkSettings enforces the rest the same way for all types.
type settingsSpec struct {
	pattern  bool
	options  bool
	bounds   boundKind
	lenLimit int // boundsLength: the type's ceiling
}

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

func checkSettings(f Field, d Definition, spec settingsSpec) error {
	if d.Type != f.Type() {
		return settingsErr("type", "definition of type %q checked as %s", d.Type, f.Type())
	}
	if err := checkOptions(d, spec); err != nil {
		return err
	}
	if d.Pattern != "" {
		if !spec.pattern {
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

func checkOptions(d Definition, spec settingsSpec) error {
	if !spec.options {
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

func checkBounds(d Definition, spec settingsSpec) error {
	if spec.bounds == boundsNone {
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
		switch spec.bounds {
		case boundsLength, boundsCount:
			if v < 0 || v != math.Trunc(v) {
				return settingsErr(b.name, "must be a whole number, 0 or more")
			}
			if spec.bounds == boundsLength && v > float64(spec.lenLimit) {
				return settingsErr(b.name, "must be at most %d for %s fields", spec.lenLimit, d.Type)
			}
			if spec.bounds == boundsCount && v > float64(len(d.Options)) && b.name == "min" {
				return settingsErr(b.name, "exceeds the number of choices (%d)", len(d.Options))
			}
		case boundsTime:
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
