package clean

import (
	"errors"
	"testing"
)

func TestPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		region string
		want   string
		err    error
	}{
		{"cn mobile national", "13812345678", "CN", "+8613812345678", nil},
		{"cn mobile spaced", "138 1234 5678", "CN", "+8613812345678", nil},
		{"cn mobile dashed with +86", "+86 138-1234-5678", "CN", "+8613812345678", nil},
		{"cn mobile 0086", "0086 13812345678", "CN", "+8613812345678", nil},
		{"cn mobile 86 prefix no plus", "8613812345678", "CN", "+8613812345678", nil},
		{"cn mobile full-width digits", "１３８１２３４５６７８", "CN", "+8613812345678", nil},
		{"cn mobile full-width plus and spaces", "＋８６　１３８－１２３４－５６７８", "CN", "+8613812345678", nil},
		{"cn mobile parentheses", "(+86) 138 1234 5678", "CN", "+8613812345678", nil},
		{"cn mobile surrounding space", "  13812345678\t", "CN", "+8613812345678", nil},
		{"cn mobile tel prefix", "tel:+86-138-1234-5678", "CN", "+8613812345678", nil},
		{"cn mobile 19x range", "19912345678", "CN", "+8619912345678", nil},
		{"cn mobile default region empty", "13812345678", "", "+8613812345678", nil},
		{"cn mobile lower-case region", "13812345678", "cn", "+8613812345678", nil},
		{"cn mobile with US default region", "13812345678", "US", "+8613812345678", nil},
		{"cn mobile 86 prefix with US region", "8613812345678", "US", "+8613812345678", nil},
		{"cn mobile 0086 with US region", "0086-138-1234-5678", "US", "+8613812345678", nil},
		{"cn fixed line beijing", "010-12345678", "CN", "+861012345678", nil},
		{"cn fixed line shanghai +86", "+86 21 6123 4567", "CN", "+862161234567", nil},
		{"cn extension dropped", "010-12345678 ext. 123", "CN", "+861012345678", nil},
		{"cn extension written 转", "010-12345678转8001", "CN", "+861012345678", nil},
		{"cn extension written 分机", "021 6123 4567 分机 12", "CN", "+862161234567", nil},
		{"label after number", "手机：13812345678", "CN", "+8613812345678", nil},
		{"trunk zero in brackets", "+86 (0)10 1234 5678", "CN", "+861012345678", nil},
		{"two numbers", "13812345678, 13912345678", "CN", "", ErrInvalidPhone},
		{"us number", "(415) 555-2671", "US", "+14155552671", nil},
		{"us number with +1 under CN region", "+1 415 555 2671", "CN", "+14155552671", nil},
		{"uk 00 prefix under US region", "0044 20 7946 0018", "US", "+442079460018", nil},
		{"hk number", "+852 5123 4567", "CN", "+85251234567", nil},
		{"already e164", "+8613812345678", "CN", "+8613812345678", nil},

		{"empty", "", "CN", "", ErrEmpty},
		{"blank", "  \t ", "CN", "", ErrEmpty},
		{"full-width blank", "　　", "CN", "", ErrEmpty},
		{"letters", "not a phone", "CN", "", ErrInvalidPhone},
		{"cn mobile too short", "1381234567", "CN", "", ErrInvalidPhone},
		{"cn mobile too long", "138123456789", "CN", "", ErrInvalidPhone},
		{"cn unassigned 12x range", "12012345678", "CN", "", ErrInvalidPhone},
		{"all zeros", "00000000000", "CN", "", ErrInvalidPhone},
		{"short code", "10086", "CN", "", ErrInvalidPhone},
		{"unknown country code", "+999 1234 5678", "CN", "", ErrInvalidPhone},
		{"plus then cn mobile without 86", "+13812345678", "CN", "", ErrInvalidPhone},
		{"mobile hidden in text", "order 13812345678 x2", "US", "", ErrInvalidPhone},
		{"way too long", "1381234567813812345678138123456781381234567813812345678138123456781", "CN", "", ErrInvalidPhone},
		{"bad region", "13812345678", "XX", "", ErrInvalidRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Phone(tt.raw, tt.region)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Phone(%q, %q) = %q, %v; want error %v", tt.raw, tt.region, got, err, tt.err)
				}
				if got != "" {
					t.Errorf("Phone(%q) returned %q with an error", tt.raw, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Phone(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, err, tt.want)
			}
			again, err := Phone(got, tt.region)
			if err != nil || again != got {
				t.Errorf("Phone(%q) not idempotent: %q, %v", got, again, err)
			}
		})
	}
}

func TestPhoneErrorKeepsReason(t *testing.T) {
	t.Parallel()
	_, err := Phone("1381234567", "CN")
	if err == nil || err.Error() == ErrInvalidPhone.Error() {
		t.Fatalf("want ErrInvalidPhone with a reason, got %v", err)
	}
	if errors.Is(err, ErrEmpty) {
		t.Errorf("invalid number must not be ErrEmpty: %v", err)
	}
}

func TestPhoneKindOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e164   string
		kind   PhoneKind
		mobile bool
	}{
		{"+8613812345678", KindMobile, true},
		{"+861012345678", KindFixedLine, false},
		{"+14155552671", KindFixedLineOrMobile, true},
		{"+442079460018", KindFixedLine, false},
		{"+447400123456", KindMobile, true},
		{"+8640012345678", KindInvalid, false},
		{"+864001234567", KindOther, false}, // 400 service numbers are shared-cost
		{"+18002530000", KindTollFree, false},
		{"13812345678", KindInvalid, false}, // not E.164: callers must clean first
		{"", KindInvalid, false},
		{"+86", KindInvalid, false},
	}
	for _, tt := range tests {
		if got := PhoneKindOf(tt.e164); got != tt.kind {
			t.Errorf("PhoneKindOf(%q) = %q, want %q", tt.e164, got, tt.kind)
		}
		if got := IsMobile(tt.e164); got != tt.mobile {
			t.Errorf("IsMobile(%q) = %v, want %v", tt.e164, got, tt.mobile)
		}
	}
}
