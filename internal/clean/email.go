package clean

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of RFC 5321 on what a mail server has to accept.
const (
	maxEmail      = 254
	maxLocalPart  = 64
	maxLabelBytes = 63
)

// Email normalises an email address: full-width characters folded (＠, ．),
// invisible characters dropped, a mailto: prefix removed, surrounding space
// trimmed, and everything lowercased. Lowercasing the local part is not what
// RFC 5321 promises, but every mailbox provider leads use treats it so, and
// dedup needs one spelling.
//
// Only a bare address is accepted ("zhang@example.com"): no display name, no
// angle brackets, no comments and no quoted local part, because those come
// from pasted mail headers, not from a person typing their address. The
// domain must contain a dot (intranet hosts and IP literals cannot receive
// our mail) and may be an internationalised domain in Unicode
// ("用户@例子.中国"); it is kept in Unicode, not converted to punycode. The
// whole address may be at most 254 bytes.
//
// Blank input returns ErrEmpty; anything else that fails returns an error
// wrapping ErrInvalidEmail with the reason.
func Email(raw string) (string, error) {
	// Checked before anything else: strings.Map would turn a bad byte into
	// U+FFFD, which then looks like a legitimate character.
	if !utf8.ValidString(raw) {
		return "", fmt.Errorf("%w: not UTF-8", ErrInvalidEmail)
	}
	s := strings.Map(func(r rune) rune {
		r = foldWidth(r)
		if isInvisible(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, raw)
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSpace(strings.TrimPrefix(s, "mailto:"))
	if s == "" {
		return "", ErrEmpty
	}
	if len(s) > maxEmail {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidEmail, maxEmail)
	}

	addr, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidEmail, err)
	}
	if addr.Name != "" || addr.Address != s {
		return "", fmt.Errorf("%w: only a bare address is accepted", ErrInvalidEmail)
	}

	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) > maxLocalPart {
		return "", fmt.Errorf("%w: local part longer than %d bytes", ErrInvalidEmail, maxLocalPart)
	}
	for _, r := range local {
		// net/mail lets any non-ASCII rune through, spaces and unassigned
		// code points included.
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) {
			return "", fmt.Errorf("%w: invisible or space character in local part", ErrInvalidEmail)
		}
	}
	if err := checkDomain(domain); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidEmail, err)
	}
	return s, nil
}

// checkDomain accepts host names of at least two labels made of letters
// (any script), digits, marks and inner hyphens, with a top-level label that
// is not all digits, which rules out IP addresses.
func checkDomain(domain string) error {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return fmt.Errorf("domain %q has no dot", domain)
	}
	for _, l := range labels {
		if l == "" {
			return fmt.Errorf("domain %q has an empty label", domain)
		}
		if len(l) > maxLabelBytes {
			return fmt.Errorf("domain label longer than %d bytes", maxLabelBytes)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("domain label %q starts or ends with a hyphen", l)
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				return fmt.Errorf("domain label %q has character %q", l, r)
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("domain %q ends in a number", domain)
	}
	return nil
}
