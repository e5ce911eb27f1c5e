package clean

import (
	"errors"
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want string
		err  error
	}{
		{"plain", "zhang@example.com", "zhang@example.com", nil},
		{"trim and lowercase", "  Zhang.San@Example.COM \n", "zhang.san@example.com", nil},
		{"plus tag kept", "zhang+leads@example.com", "zhang+leads@example.com", nil},
		{"subdomain", "a@mail.example.com.cn", "a@mail.example.com.cn", nil},
		{"full-width at and dot", "ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "zhang@example.com", nil},
		{"zero-width space dropped", "zhang\u200b@example.com", "zhang@example.com", nil},
		{"bom dropped", "\ufeffzhang@example.com", "zhang@example.com", nil},
		{"mailto prefix", "mailto:Zhang@Example.com", "zhang@example.com", nil},
		{"idn domain", "用户@例子.中国", "用户@例子.中国", nil},
		{"idn upper-case latin", "Ünal@Bücher.DE", "ünal@bücher.de", nil},
		{"digits in domain", "a@163.com", "a@163.com", nil},
		{"hyphen inside label", "a@my-company.com", "a@my-company.com", nil},
		{"exactly 254 bytes", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com",
			strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com", nil},

		{"empty", "", "", ErrEmpty},
		{"blank", " \t ", "", ErrEmpty},
		{"only mailto", "mailto:", "", ErrEmpty},
		{"no at", "zhang.example.com", "", ErrInvalidEmail},
		{"no dot in domain", "zhang@localhost", "", ErrInvalidEmail},
		{"display name", "Zhang San <zhang@example.com>", "", ErrInvalidEmail},
		{"angle brackets", "<zhang@example.com>", "", ErrInvalidEmail},
		{"quoted local part", `"zhang san"@example.com`, "", ErrInvalidEmail},
		{"comment", "zhang@example.com (work)", "", ErrInvalidEmail},
		{"two addresses", "a@example.com, b@example.com", "", ErrInvalidEmail},
		{"space inside", "zhang san@example.com", "", ErrInvalidEmail},
		{"double dot in domain", "a@example..com", "", ErrInvalidEmail},
		{"leading dot in domain", "a@.example.com", "", ErrInvalidEmail},
		{"trailing dot in domain", "a@example.com.", "", ErrInvalidEmail},
		{"hyphen at label start", "a@-example.com", "", ErrInvalidEmail},
		{"ip literal", "a@[127.0.0.1]", "", ErrInvalidEmail},
		{"numeric tld", "a@127.0.0.1", "", ErrInvalidEmail},
		{"underscore in domain", "a@ex_ample.com", "", ErrInvalidEmail},
		{"two ats", "a@b@example.com", "", ErrInvalidEmail},
		{"empty local", "@example.com", "", ErrInvalidEmail},
		{"local too long", strings.Repeat("a", 65) + "@example.com", "", ErrInvalidEmail},
		{"label too long", "a@" + strings.Repeat("b", 64) + ".com", "", ErrInvalidEmail},
		{"255 bytes", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".com", "", ErrInvalidEmail},
		{"non-breaking space in local", "a\u00a0b@example.com", "", ErrInvalidEmail},
		{"invalid utf-8", "a\xff@example.com", "", ErrInvalidEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Email(tt.raw)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || got != "" {
					t.Fatalf("Email(%q) = %q, %v; want error %v", tt.raw, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Email(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
			if again, err := Email(got); err != nil || again != got {
				t.Errorf("Email(%q) not idempotent: %q, %v", got, again, err)
			}
		})
	}
}
