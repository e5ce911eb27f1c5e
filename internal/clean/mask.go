package clean

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Field kinds Mask knows; they match the custom-field types of the same name.
const (
	FieldPhone = "phone"
	FieldEmail = "email"
)

// maskRune replaces every hidden character. It is also what IsMasked looks
// for, so it must never be produced by Phone.
const maskRune = '*'

// emailMask replaces the hidden part of an email's local part.
const emailMask = "***"

// Mask hides most of a contact value for a caller whose role lacks the
// lead.contact grant. kind is FieldPhone or FieldEmail; any other kind is
// masked completely, because failing closed is the only safe answer for a
// value we do not know how to show partially. An empty value stays empty (an
// empty field has nothing to hide, and "***" would claim there is a value).
func Mask(kind, value string) string {
	switch kind {
	case FieldPhone:
		return MaskPhone(value)
	case FieldEmail:
		return MaskEmail(value)
	}
	if value == "" {
		return ""
	}
	return emailMask
}

// MaskPhone hides the middle of a phone number. A Chinese number keeps the
// first 3 and last 4 digits of its national number, the way people in China
// are used to seeing it: "+8613812345678" becomes "138****5678". Any other
// number keeps its country code and last 4 digits: "+14155550123" becomes
// "+1******0123". Short numbers keep less so that at least half is hidden.
// Values that are not E.164 are masked from their digits alone, so a
// malformed stored value is still never shown in full. A value that is
// already masked is returned unchanged.
func MaskPhone(value string) string {
	if value == "" || IsMasked(value) {
		return value
	}
	if strings.HasPrefix(value, "+") {
		if num, err := phonenumbers.Parse(value, "ZZ"); err == nil {
			nsn := phonenumbers.GetNationalSignificantNumber(num)
			if nsn != "" {
				if num.GetCountryCode() == 86 {
					return maskDigits(nsn, 3, 4)
				}
				return "+" + strconv.Itoa(int(num.GetCountryCode())) + maskDigits(nsn, 0, 4)
			}
		}
	}
	digits := phonenumbers.NormalizeDigitsOnly(value)
	if digits == "" {
		return emailMask
	}
	return maskDigits(digits, 3, 4)
}

// maskDigits keeps head leading and tail trailing digits of d and stars the
// rest. A number too short to show both ends with at least 4 digits hidden
// shows only its end, and a very short one shows at most half of its digits,
// so the mask always hides something.
func maskDigits(d string, head, tail int) string {
	n := len(d)
	if head+tail > n-4 {
		head = 0
	}
	if tail > n/2 {
		tail = n / 2
	}
	return d[:head] + strings.Repeat(string(maskRune), n-head-tail) + d[n-tail:]
}

// MaskEmail hides the local part of an email address except its first
// character and keeps the domain, which tells a partner which company or
// provider the lead uses without revealing the mailbox:
// "zhang@example.com" becomes "z***@example.com". A one-character local part
// is hidden completely ("***@example.com"). A value without "@" is hidden
// completely. A value that is already masked is returned unchanged.
func MaskEmail(value string) string {
	if value == "" || IsMasked(value) {
		return value
	}
	at := strings.LastIndexByte(value, '@')
	if at < 0 {
		return emailMask
	}
	local, domain := value[:at], value[at+1:]
	if utf8.RuneCountInString(local) < 2 {
		return emailMask + "@" + domain
	}
	r, size := utf8.DecodeRuneInString(local)
	if r == utf8.RuneError && size <= 1 {
		return emailMask + "@" + domain
	}
	return local[:size] + emailMask + "@" + domain
}

// IsMasked reports whether s looks like the output of MaskPhone or
// MaskEmail. Clients read masked values and may send them back unchanged in an
// update; the lead service uses IsMasked to keep the stored value instead of
// overwriting a real number with stars.
//
// An email is masked when its local part is "***" or one character followed
// by "***" (a real address of that shape is vanishingly rare and would only be
// left unchanged, never corrupted). Anything else is masked when it contains
// a '*' and otherwise only digits, '+' and phone punctuation; Phone never
// returns a '*'.
func IsMasked(s string) bool {
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		local := s[:at]
		if !strings.HasSuffix(local, emailMask) {
			return false
		}
		return utf8.RuneCountInString(strings.TrimSuffix(local, emailMask)) <= 1
	}
	hasMask := false
	for _, r := range s {
		switch {
		case r == maskRune:
			hasMask = true
		case r >= '0' && r <= '9', r == '+', r == ' ', r == '-', r == '(', r == ')':
		default:
			return false
		}
	}
	return hasMask
}
