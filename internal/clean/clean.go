// Package clean normalises the contact data of leads at ingest: phone numbers
// to E.164, emails to one canonical spelling, names to tidy text, and masks
// phone and email for callers without the grant to see them.
//
// Cleaning is what makes deduplication work: two copies of the same person are
// only found when their phone or email is spelled the same way, so every
// function here is idempotent (cleaning a cleaned value returns it unchanged).
package clean

import (
	"errors"
	"unicode"
)

// Sentinel errors; the functions wrap them with the reason, so compare with
// errors.Is.
var (
	// ErrEmpty means the input held nothing but space. It is distinct from the
	// invalid errors because an empty contact field is normal, not bad input.
	ErrEmpty = errors.New("empty value")
	// ErrInvalidPhone means the input is not a valid phone number.
	ErrInvalidPhone = errors.New("invalid phone number")
	// ErrInvalidEmail means the input is not a usable email address.
	ErrInvalidEmail = errors.New("invalid email address")
	// ErrInvalidRegion means the default region passed to Phone is not a
	// region code the phone metadata knows; a configuration error, not bad
	// lead data.
	ErrInvalidRegion = errors.New("unknown phone region")
)

// foldWidth maps full-width ASCII forms (U+FF01..U+FF5E) and the ideographic
// space to their ASCII counterparts. Chinese input methods produce them easily
// (１３８, ＠, ．) and people paste them into forms without noticing.
func foldWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// isInvisible reports runes that render as nothing: control and format
// characters (zero-width space and joiners, BOM, bidi overrides, soft hyphen)
// and the blank fillers people use to make a name look empty or to spoof one.
func isInvisible(r rune) bool {
	switch r {
	case 0x115F, 0x1160, 0x3164, 0xFFA0, // Hangul fillers
		0x2800: // braille blank
		return true
	}
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)
}
