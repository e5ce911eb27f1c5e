package clean

import (
	"errors"
	"testing"
)

// FuzzPhone checks that Phone never panics, only fails with its own errors,
// is idempotent, returns numbers the other helpers accept, and that masking a
// cleaned number always hides something.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{
		"13812345678", "138 1234 5678", "+86 138-1234-5678", "0086 13812345678",
		"8613812345678", "１３８１２３４５６７８", "010-12345678 ext. 123",
		"(415) 555-2671", "0044 20 7946 0018", "+999", "", "　", "tel:+1-800-FLOWERS",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	// The region is picked from real ones: random strings would nearly all be
	// ErrInvalidRegion and leave the parser unexplored.
	regions := []string{"CN", "US", "", "GB", "HK", "TW", "DE", "IN", "JP", "AU", "IT", "BR"}
	f.Fuzz(func(t *testing.T, raw string, pick uint8) {
		region := regions[int(pick)%len(regions)]
		got, err := Phone(raw, region)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrInvalidPhone) {
				t.Fatalf("Phone(%q, %q): unexpected error class %v", raw, region, err)
			}
			if got != "" {
				t.Fatalf("Phone(%q, %q) = %q with error %v", raw, region, got, err)
			}
			// Whatever a caller stored, masking must never show it in full.
			if m := MaskPhone(raw); raw != "" && !IsMasked(raw) && m == raw {
				t.Fatalf("MaskPhone(%q) returned the input", raw)
			}
			return
		}
		again, err := Phone(got, region)
		if err != nil || again != got {
			t.Fatalf("Phone(%q, %q) = %q; cleaning it again = %q, %v", raw, region, got, again, err)
		}
		if PhoneKindOf(got) == KindInvalid {
			t.Fatalf("PhoneKindOf(%q) = invalid for a cleaned number (from %q)", got, raw)
		}
		if IsMasked(got) {
			t.Fatalf("IsMasked(%q) = true for a cleaned number", got)
		}
		m := MaskPhone(got)
		if m == got || !IsMasked(m) {
			t.Fatalf("MaskPhone(%q) = %q: not masked", got, m)
		}
	})
}

// FuzzEmail checks that Email never panics, only fails with its own errors,
// is idempotent and keeps its limits, and that masking hides something.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{
		"zhang@example.com", "  Zhang.San@Example.COM ", "ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ",
		"用户@例子.中国", "Zhang <zhang@example.com>", `"a b"@example.com`, "a@[127.0.0.1]",
		"mailto:a@b.co", "a@b", "", "z***@example.com", "İ@example.com", "\u212a@example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Email(raw)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrInvalidEmail) {
				t.Fatalf("Email(%q): unexpected error class %v", raw, err)
			}
			if got != "" {
				t.Fatalf("Email(%q) = %q with error %v", raw, got, err)
			}
			if m := MaskEmail(raw); raw != "" && !IsMasked(raw) && m == raw {
				t.Fatalf("MaskEmail(%q) returned the input", raw)
			}
			return
		}
		if len(got) > maxEmail {
			t.Fatalf("Email(%q) = %q: %d bytes", raw, got, len(got))
		}
		again, err := Email(got)
		if err != nil || again != got {
			t.Fatalf("Email(%q) = %q; cleaning it again = %q, %v", raw, got, again, err)
		}
		m := MaskEmail(got)
		if !IsMasked(m) {
			t.Fatalf("MaskEmail(%q) = %q: IsMasked false", got, m)
		}
		if !IsMasked(got) && m == got {
			t.Fatalf("MaskEmail(%q) returned the input", got)
		}
	})
}

// FuzzName checks that Name is idempotent and leaves no edge or double spaces.
func FuzzName(f *testing.F) {
	for _, s := range []string{"张三", "  Zhang   San ", "　张\u200b三　", "\u3164", "a\xffb",
		"👨\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈", "1\ufe0f\u20e3", "🇨🇳", "👨\u200b\u200d👩", "\u0d4e\u200b👨\u200d👩",
		"🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "क्\u200dष"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Name(raw)
		if again := Name(got); again != got {
			t.Fatalf("Name(%q) = %q; again = %q", raw, got, again)
		}
		if len(got) > 0 && (got[0] == ' ' || got[len(got)-1] == ' ') {
			t.Fatalf("Name(%q) = %q has edge spaces", raw, got)
		}
	})
}
