// Package textinput checks the short free-text inputs of admin forms (names,
// colours, reasons) the same way everywhere.
package textinput

import (
	"strings"
	"unicode/utf8"

	"github.com/scrmhq/scrm/internal/apperr"
)

// Clean trims s and checks it: non-empty when required, valid UTF-8, and at
// most maxChars characters (the schema's limits count characters, so a
// Chinese name is as long as an English one). Errors name field.
func Clean(field, s string, maxChars int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", apperr.Input(field, "%s is required", field)
	case !utf8.ValidString(s):
		return "", apperr.Input(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(s) > maxChars:
		return "", apperr.Input(field, "must be at most %d characters", maxChars)
	}
	return s, nil
}
