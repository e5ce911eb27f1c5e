package gid

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/google/uuid"
)

func TestRoundTripEveryType(t *testing.T) {
	for typ := range codes {
		id := New(typ)
		if id.Version() != 7 {
			t.Fatalf("%s: version %d, want 7", typ, id.Version())
		}
		if got, ok := TypeOf(id); !ok || got != typ {
			t.Fatalf("TypeOf(%s id) = %q, %v", typ, got, ok)
		}
		back, err := DecodeAs(Encode(id), typ)
		if err != nil || back != id {
			t.Fatalf("%s: DecodeAs(Encode) = %v, %v; want %v", typ, back, err, id)
		}
	}
}

func TestCodesAreUnique(t *testing.T) {
	seen := map[uint16]Type{}
	for typ, c := range codes {
		if c == 0 || c > 0x0fff {
			t.Errorf("%s: code %d out of the 12-bit range", typ, c)
		}
		if other, dup := seen[c]; dup {
			t.Errorf("code %d used by %s and %s", c, typ, other)
		}
		seen[c] = typ
	}
}

func TestDecodeRefuses(t *testing.T) {
	lead := New(Lead)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, in := range map[string]string{
		"empty":           "",
		"not base64":      "!!!",
		"no colon":        enc("Lead" + lead.String()),
		"bad uuid":        enc("Lead:not-a-uuid"),
		"lying type":      enc("User:" + lead.String()),
		"v4 uuid":         enc("Lead:" + uuid.New().String()),
		"plain uuid text": lead.String(),
	} {
		if _, err := Decode(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Decode(%q) err = %v, want ErrInvalid", name, in, err)
		}
	}
	if _, err := DecodeAs(Encode(lead), User); !errors.Is(err, ErrInvalid) {
		t.Errorf("DecodeAs(lead id, User) err = %v, want ErrInvalid", err)
	}
}

func TestIDsAreTimeOrdered(t *testing.T) {
	prev := New(Lead)
	for range 1000 {
		next := New(Lead)
		// The first 6 bytes are the millisecond timestamp; they never go back.
		if string(next[:6]) < string(prev[:6]) {
			t.Fatalf("id went back in time: %v after %v", next, prev)
		}
		prev = next
	}
}
