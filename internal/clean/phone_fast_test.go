package clean

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// slowPhone is Phone without the mainland fast path, for comparison.
func slowPhone(raw string) (string, PhoneKind, error) {
	num, err := phonenumbers.Parse(raw, "CN")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", KindInvalid, fmt.Errorf("invalid")
	}
	kind := KindOther
	if phonenumbers.GetNumberType(num) == phonenumbers.MOBILE {
		kind = KindMobile
	}
	return phonenumbers.Format(num, phonenumbers.E164), kind, nil
}

// TestMainlandFastPathAgreesWithParser draws random 11-digit numbers starting
// with 1 (every block, random suffixes) in the shapes imports use and checks
// that the fast path answers exactly what the full parser answers.
func TestMainlandFastPathAgreesWithParser(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	n := 40000
	if testing.Short() {
		n = 5000
	}
	for range n {
		d := fmt.Sprintf("1%010d", rng.Int64N(10_000_000_000))
		want, wantKind, wantErr := slowPhone(d)
		for _, form := range []string{d, "+86" + d, "86" + d, "0086" + d, d[:3] + " " + d[3:7] + " " + d[7:], d[:3] + "-" + d[3:7] + "-" + d[7:]} {
			got, err := Phone(form, "CN")
			if wantErr == nil && (err != nil || got != want) {
				t.Fatalf("Phone(%q) = %q, %v; the parser says %q", form, got, err, want)
			}
			if wantErr != nil && err == nil && got == "+86"+d {
				// The fallbacks of Phone may still accept a number the plain
				// parse refuses, but never through the fast path's block
				// cache: a valid block means a valid number.
				if _, ok := cnMobileDigits(form); ok && cnMobilePrefix(d[:7]) {
					t.Fatalf("fast path accepted %q, which the parser refuses", form)
				}
			}
		}
		if wantErr == nil {
			if got := PhoneKindOf(want); (got == KindMobile) != (wantKind == KindMobile) {
				t.Fatalf("PhoneKindOf(%q) = %s, parser says %s", want, got, wantKind)
			}
		}
	}
}

func BenchmarkPhoneMainland(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		if _, err := Phone(fmt.Sprintf("138%08d", i%100_000_000), "CN"); err != nil {
			b.Fatal(err)
		}
	}
}
