package timeline

import (
	"reflect"
	"testing"
	"time"
)

func TestMaskValue(t *testing.T) {
	in := map[string]any{
		"page":    "/pricing?id=42",
		"contact": "call +8613912345678 or li.si@example.com",
		"nested":  []any{map[string]any{"mobile": "139 1234 5678"}, 3.5},
		"number":  float64(13912345678),
		"date":    "2026-05-01 10:00",
		"amount":  1999.0,
	}
	want := map[string]any{
		"page":    "/pricing?id=42",
		"contact": "call 139****5678 or l***@example.com",
		"nested":  []any{map[string]any{"mobile": "139****5678"}, 3.5},
		"number":  "139****5678",
		"date":    "2026-05-01 10:00",
		"amount":  1999.0,
	}
	if got := maskValue(in); !reflect.DeepEqual(got, want) {
		t.Errorf("maskValue =\n%v\nwant\n%v", got, want)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	p, err := decodeCursor(encodeCursor(position{At: mustTime("2026-05-01T08:00:00.123456Z"), ID: [16]byte{1, 2, 3}}))
	if err != nil || !p.At.Equal(mustTime("2026-05-01T08:00:00.123456Z")) || p.ID != [16]byte{1, 2, 3} {
		t.Errorf("round trip = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "x", "zz:not-a-uuid", "!!:00000000-0000-0000-0000-000000000000"} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("decodeCursor(%q) accepted", bad)
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}
