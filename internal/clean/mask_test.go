package clean

import "testing"

func TestMaskPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"+8613812345678", "138****5678"},
		{"+8619912345678", "199****5678"},
		{"+861012345678", "******5678"}, // fixed line: too short to show both ends
		{"+14155552671", "+1******2671"},
		{"+442079460018", "+44******0018"},
		{"+85251234567", "+852****4567"},
		{"+68340021", "+683***21"},     // short national number: at least half hidden
		{"13812345678", "138****5678"}, // not E.164: masked from its digits
		{"138 1234 5678", "138****5678"},
		{"12345", "***45"},
		{"7", "*"},
		{"no digits", "***"},
		{"", ""},
		{"138****5678", "138****5678"}, // already masked
		{"+1******2671", "+1******2671"},
	}
	for _, tt := range tests {
		got := MaskPhone(tt.in)
		if got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.in != "" && !IsMasked(got) {
			t.Errorf("IsMasked(MaskPhone(%q) = %q) = false", tt.in, got)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"zhang@example.com", "z***@example.com"},
		{"a@example.com", "***@example.com"},
		{"张三@例子.中国", "张***@例子.中国"},
		{"ab@b@example.com", "a***@example.com"},
		{"not an email", "***"},
		{"", ""},
		{"z***@example.com", "z***@example.com"}, // already masked
		{"***@example.com", "***@example.com"},
	}
	for _, tt := range tests {
		got := MaskEmail(tt.in)
		if got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.in != "" && !IsMasked(got) {
			t.Errorf("IsMasked(MaskEmail(%q) = %q) = false", tt.in, got)
		}
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, in, want string
	}{
		{FieldPhone, "+8613812345678", "138****5678"},
		{FieldEmail, "zhang@example.com", "z***@example.com"},
		{"wechat_id", "zhangsan_88", "***"}, // unknown kinds fail closed
		{"wechat_id", "", ""},
	}
	for _, tt := range tests {
		if got := Mask(tt.kind, tt.in); got != tt.want {
			t.Errorf("Mask(%q, %q) = %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}

func TestIsMasked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"138****5678", true},
		{"+1******2671", true},
		{"***", true},
		{"z***@example.com", true},
		{"***@example.com", true},
		{"张***@例子.中国", true},
		{"+8613812345678", false},
		{"13812345678", false},
		{"zhang@example.com", false},
		{"zh***@example.com", false}, // two characters kept: not our mask
		{"a*b@example.com", false},
		{"***secret", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsMasked(tt.in); got != tt.want {
			t.Errorf("IsMasked(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
