package timeline

import (
	"regexp"
	"strconv"

	"github.com/scrmhq/scrm/internal/clean"
)

// Event properties and message replies are free-form: a phone number or an
// email address may sit anywhere in them. For a viewer who sees contact data
// masked, every string that looks like either is masked wherever it is, as
// the lead's own phone and email are.
var (
	emailPattern = regexp.MustCompile(`[^\s@<>(),;:"']+@[^\s@<>(),;:"']+\.[^\s@<>(),;:"']+`)
	// phonePattern: 7 or more digits, with the separators people type.
	phonePattern = regexp.MustCompile(`\+?\d[\d\s\-().]{5,}\d`)
	// datePattern: a match that starts like a date is left alone.
	datePattern = regexp.MustCompile(`^\d{4}[-.]\d{1,2}[-.]\d{1,2}`)
)

// maskValue masks every string inside v (maps and lists included).
func maskValue(v any) any {
	switch x := v.(type) {
	case string:
		return maskText(x)
	case float64:
		// A phone number sent as a JSON number: 11 digits or more (a
		// mainland mobile) is masked like one.
		if x == float64(int64(x)) && x >= 1e10 && x < 1e16 {
			return clean.MaskPhone(strconv.FormatInt(int64(x), 10))
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = maskValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskValue(e)
		}
		return out
	}
	return v
}

// maskText masks the emails and phone numbers inside s.
func maskText(s string) string {
	s = emailPattern.ReplaceAllStringFunc(s, clean.MaskEmail)
	return phonePattern.ReplaceAllStringFunc(s, func(m string) string {
		if digits(m) < 7 || datePattern.MatchString(m) {
			return m
		}
		return clean.MaskPhone(m)
	})
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}
