package clean

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region Phone assumes when the caller passes none: the
// product serves Chinese-market teams, whose leads mostly give a mainland
// mobile without +86.
const DefaultRegion = "CN"

// maxPhoneInput bounds the text Phone will look at. Real numbers with
// punctuation and an extension fit easily; anything longer is not a phone
// number and need not be parsed.
const maxPhoneInput = 64

// cnMobile matches a mainland mobile number in national form (11 digits, 1
// then 3-9), optionally prefixed by the country code 86 or 0086 without a
// plus sign, as people write it in forms and spreadsheets.
var cnMobile = regexp.MustCompile(`^(?:00)?(?:86)?(1[3-9][0-9]{9})$`)

// cnExtension rewrites Chinese extension markers to one the parser knows.
var cnExtension = strings.NewReplacer("分机", " ext. ", "转", " ext. ")

// Phone normalises a phone number to E.164 ("+8613812345678").
//
// defaultRegion (an ISO 3166 code such as "CN" or "US", "" means
// DefaultRegion) is used for numbers written without a country code.
// Full-width digits and punctuation are folded first. Mainland mobiles are
// recognised even when the default region is another country, and with 86 or
// 0086 in front instead of +86, because that is how they arrive from forms,
// ads and purchased lists; "00" is also read as the international prefix
// whatever the region. An extension (also written 转 or 分机) is dropped:
// E.164 cannot carry one, and the main line is what identifies and reaches
// the lead.
//
// Blank input returns ErrEmpty; a number that does not parse, is impossible or
// is not assigned to any operator returns an error wrapping ErrInvalidPhone
// with the reason; an unknown defaultRegion returns ErrInvalidRegion.
func Phone(raw, defaultRegion string) (string, error) {
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region == "" {
		region = DefaultRegion
	}
	if !phonenumbers.GetSupportedRegions()[region] {
		return "", fmt.Errorf("%w: %q", ErrInvalidRegion, defaultRegion)
	}

	s := strings.TrimSpace(strings.Map(foldWidth, raw))
	if s == "" {
		return "", ErrEmpty
	}
	// 转 and 分机 mark an extension in Chinese ("010-12345678转8001"); the
	// parser knows only the Latin markers.
	s = cnExtension.Replace(s)
	if utf8.RuneCountInString(s) > maxPhoneInput {
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidPhone, maxPhoneInput)
	}

	if region == "CN" {
		if d, ok := cnMobileDigits(s); ok && cnMobilePrefix(d[:7]) {
			return "+86" + d, nil
		}
	}
	num, err := phonenumbers.Parse(s, region)
	if err == nil && phonenumbers.IsValidNumber(num) {
		return phonenumbers.Format(num, phonenumbers.E164), nil
	}

	// Fallbacks for how numbers are really written; each must still produce a
	// valid number, so they cannot turn garbage into a phone.
	if !strings.HasPrefix(s, "+") {
		digits := phonenumbers.NormalizeDigitsOnly(s)
		if m := cnMobile.FindStringSubmatch(digits); m != nil && digitsOnly(s) {
			if n, e := phonenumbers.Parse("+86"+m[1], region); e == nil && phonenumbers.IsValidNumber(n) {
				return phonenumbers.Format(n, phonenumbers.E164), nil
			}
		}
		if strings.HasPrefix(digits, "00") && digitsOnly(s) {
			if n, e := phonenumbers.Parse("+"+digits[2:], region); e == nil && phonenumbers.IsValidNumber(n) {
				return phonenumbers.Format(n, phonenumbers.E164), nil
			}
		}
	}

	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidPhone, err)
	}
	return "", fmt.Errorf("%w: %s", ErrInvalidPhone, invalidReason(num))
}

// digitsOnly reports whether s holds only digits and the separators people
// type between them. The fallbacks in Phone use it so that text which merely
// contains a mobile-looking run of digits ("order 13812345678 x2") is not
// taken for a phone number.
func digitsOnly(s string) bool {
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == ' ', r == '-', r == '.', r == '(', r == ')', r == '/':
		default:
			return false
		}
	}
	return true
}

// invalidReason explains why a parsed number is not valid, in words a person
// fixing the import file can act on.
func invalidReason(num *phonenumbers.PhoneNumber) string {
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "unknown country code"
	case phonenumbers.TOO_SHORT:
		return "too short"
	case phonenumbers.TOO_LONG:
		return "too long"
	case phonenumbers.INVALID_LENGTH:
		return "wrong length for the region"
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "local number without area code"
	default:
		return "not an assigned number range"
	}
}

// PhoneKind is the line type of a phone number, as far as the numbering plan
// can tell from the number alone.
type PhoneKind string

// The kinds PhoneKindOf returns.
const (
	KindMobile    PhoneKind = "mobile"
	KindFixedLine PhoneKind = "fixed_line"
	// KindFixedLineOrMobile is returned where the plan does not separate the
	// two (the US and Canada among others).
	KindFixedLineOrMobile PhoneKind = "fixed_line_or_mobile"
	KindTollFree          PhoneKind = "toll_free"
	KindVoIP              PhoneKind = "voip"
	KindOther             PhoneKind = "other"
	KindInvalid           PhoneKind = "invalid"
)

// PhoneKindOf returns the line type of an E.164 number as returned by Phone.
// Anything that is not a valid E.164 number is KindInvalid.
func PhoneKindOf(e164 string) PhoneKind {
	if !strings.HasPrefix(e164, "+") {
		return KindInvalid
	}
	if len(e164) == 14 && strings.HasPrefix(e164, "+861") && isDigits(e164[3:]) && cnMobilePrefix(e164[3:10]) {
		return KindMobile
	}
	num, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return KindInvalid
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE:
		return KindMobile
	case phonenumbers.FIXED_LINE:
		return KindFixedLine
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return KindFixedLineOrMobile
	case phonenumbers.TOLL_FREE:
		return KindTollFree
	case phonenumbers.VOIP:
		return KindVoIP
	default:
		return KindOther
	}
}

// IsMobile reports whether an E.164 number can take SMS: a mobile number, or
// one whose numbering plan does not tell mobile from fixed line. Counting the
// latter as mobile keeps North American leads reachable by SMS; a landline
// among them fails at delivery and is recorded there, which costs less than
// never texting any of them.
func IsMobile(e164 string) bool {
	switch PhoneKindOf(e164) {
	case KindMobile, KindFixedLineOrMobile:
		return true
	}
	return false
}

// The fast path for mainland mobiles, which are most of what arrives: the
// full parser costs tens of microseconds a number, which dominates a bulk
// import. A mainland mobile's validity is decided by its first seven digits
// (the operator's number block), so each block is checked once with the
// parser and remembered; anything else takes the full path. A property test
// holds the two paths to the same answers.
var cnBlocks sync.Map // 7-digit block -> bool (valid mobile block)

// cnMobilePrefix reports whether the 7-digit block starts valid mainland
// mobile numbers.
func cnMobilePrefix(block string) bool {
	if v, ok := cnBlocks.Load(block); ok {
		return v.(bool)
	}
	num, err := phonenumbers.Parse("+86"+block+"0000", "ZZ")
	ok := err == nil && phonenumbers.IsValidNumber(num) && phonenumbers.GetNumberType(num) == phonenumbers.MOBILE
	cnBlocks.Store(block, ok)
	return ok
}

// cnMobileDigits returns the 11 national digits of s when s is a
// mainland-mobile-shaped number: 1 and ten digits, optionally after +86, 86
// or 0086, with spaces or dashes between digits and nothing else.
func cnMobileDigits(s string) (string, bool) {
	var b [20]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(b) {
				return "", false
			}
			b[n] = c
			n++
		case c == ' ' || c == '-':
		case c == '+' && i == 0:
		default:
			return "", false
		}
	}
	d := string(b[:n])
	plus := strings.HasPrefix(s, "+")
	switch {
	case n == 11 && !plus:
	case n == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	case n == 15 && !plus && strings.HasPrefix(d, "0086"):
		d = d[4:]
	default:
		return "", false
	}
	if d[0] != '1' {
		return "", false
	}
	return d, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
