package fields

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// isEmpty reports input that means "no value". Blank strings count because
// forms and CSV cells send "" for a field left alone; storing it would make
// "is empty" filters and required checks depend on how the value was sent.
func isEmpty(raw any) bool {
	switch v := raw.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case []string:
		return len(v) == 0
	}
	return false
}

// describe names the JSON type of a value for messages.
func describe(raw any) string {
	switch raw.(type) {
	case string:
		return "text"
	case bool:
		return "a boolean"
	case float64, float32, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "a number"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	case time.Time:
		return "a time"
	}
	return "an unsupported value"
}

// storable checks what PostgreSQL's jsonb and text types refuse: invalid
// UTF-8 and the NUL character. Every string that reaches SQL passes here.
func storable(s string) error {
	if !utf8.ValidString(s) {
		return invalid("is not valid UTF-8 text")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return invalid("contains a NUL character")
	}
	return nil
}

// numberText matches plain decimal notation. strconv.ParseFloat alone would
// also take "Inf", "NaN", hex floats and underscores, none of which a person
// means as an amount.
var numberText = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$`)

// toNumber reads a number from JSON numbers, Go numbers and numeric strings.
// It returns the value and its decimal text (as written, for MONEY's decimal
// check).
func toNumber(raw any) (float64, string, error) {
	var text string
	switch v := raw.(type) {
	case float64:
		return finite(v)
	case float32:
		return finite(float64(v))
	case int:
		return finite(float64(v))
	case int8:
		return finite(float64(v))
	case int16:
		return finite(float64(v))
	case int32:
		return finite(float64(v))
	case int64:
		return finite(float64(v))
	case uint:
		return finite(float64(v))
	case uint8:
		return finite(float64(v))
	case uint16:
		return finite(float64(v))
	case uint32:
		return finite(float64(v))
	case uint64:
		return finite(float64(v))
	case json.Number:
		text = string(v)
	case string:
		text = strings.TrimSpace(v)
	case bool:
		return 0, "", invalid("must be a number, not a boolean")
	default:
		return 0, "", invalid("must be a number, not %s", describe(raw))
	}
	if len(text) > 400 || !numberText.MatchString(text) {
		return 0, "", invalid("%q is not a number", truncate(text, 40))
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, "", invalid("%s is out of range", truncate(text, 40))
	}
	if f == 0 {
		// ParseFloat turns "1e-400" into 0 without complaint; storing 0 for a
		// value that is not 0 would be a silent change.
		mantissa, _, _ := strings.Cut(strings.ToLower(text), "e")
		if strings.ContainsAny(mantissa, "123456789") {
			return 0, "", invalid("%s is out of range", truncate(text, 40))
		}
		f = 0 // no negative zero: -0 and 0 are one value to a person
	}
	return f, text, nil
}

func finite(f float64) (float64, string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "", invalid("must be a finite number")
	}
	if f == 0 {
		f = 0
	}
	return f, strconv.FormatFloat(f, 'g', -1, 64), nil
}

// formatNumber writes a bound or value for a message.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// toText reads text from a string, or from a number or boolean written as
// one, which is what a spreadsheet cell or a changed field type gives.
func toText(raw any) (string, error) {
	switch v := raw.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case json.Number:
		return string(v), nil
	case float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		f, _, err := toNumber(v)
		if err != nil {
			return "", err
		}
		return formatNumber(f), nil
	}
	return "", invalid("must be text, not %s", describe(raw))
}

// toString reads a string and nothing else; for values where a number would
// only be a mistake (URLs, choices).
func toString(raw any) (string, error) {
	if s, ok := raw.(string); ok {
		return s, nil
	}
	return "", invalid("must be text, not %s", describe(raw))
}

// patterns caches compiled patterns; definitions are few and are read on
// every write, so compiling each time would be waste.
var (
	patternsMu sync.Mutex
	patterns   = map[string]*regexp.Regexp{}
)

const maxCachedPatterns = 4096

// compilePattern compiles p anchored at both ends. p is compiled on its own
// first so that a pattern such as "a)|(b" cannot escape the anchors.
func compilePattern(p string) (*regexp.Regexp, error) {
	patternsMu.Lock()
	re, ok := patterns[p]
	patternsMu.Unlock()
	if ok {
		return re, nil
	}
	if _, err := regexp.Compile(p); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, err
	}
	patternsMu.Lock()
	if len(patterns) < maxCachedPatterns {
		patterns[p] = re
	}
	patternsMu.Unlock()
	return re, nil
}

// matchPattern applies d.Pattern to a canonical value.
func matchPattern(d Definition, s string) error {
	if d.Pattern == "" {
		return nil
	}
	re, err := compilePattern(d.Pattern)
	if err != nil {
		return invalid("the field's format rule does not compile")
	}
	if !re.MatchString(s) {
		return invalid("does not have the required format")
	}
	return nil
}

// checkLength applies length bounds in characters (runes), with hardMax the
// type's own ceiling when Max is unset.
func checkLength(d Definition, s string, hardMax int) error {
	n := utf8.RuneCountInString(s)
	limit := float64(hardMax)
	if d.Max != nil && *d.Max < limit {
		limit = *d.Max
	}
	if float64(n) > limit {
		return invalid("is longer than %s characters", formatNumber(limit))
	}
	if d.Min != nil && float64(n) < *d.Min {
		return invalid("is shorter than %s characters", formatNumber(*d.Min))
	}
	return nil
}

// checkRange applies value bounds; show formats a bound for the message.
func checkRange(d Definition, v float64, show func(float64) string) error {
	if d.Min != nil && v < *d.Min {
		return invalid("must be at least %s", show(*d.Min))
	}
	if d.Max != nil && v > *d.Max {
		return invalid("must be at most %s", show(*d.Max))
	}
	return nil
}

// single unwraps a one-element list, so that a value converted from a
// MULTI_SELECT or sent as ["x"] by a generic client is read as "x".
func single(raw any) any {
	switch v := raw.(type) {
	case []any:
		if len(v) == 1 {
			return v[0]
		}
	case []string:
		if len(v) == 1 {
			return v[0]
		}
	}
	return raw
}
