package fields_test

import (
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestDate(t *testing.T) {
	t.Parallel()
	jan1 := float64(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	runCoerce(t, fields.TypeDate, []coerceCase{
		{name: "ISO", raw: "2025-03-01", want: "2025-03-01"},
		{name: "unpadded", raw: "2025-3-1", want: "2025-03-01"},
		{name: "slashes", raw: "2025/03/01", want: "2025-03-01"},
		{name: "RFC 3339 keeps its own day", raw: "2025-03-01T00:30:00+08:00", want: "2025-03-01"},
		{name: "RFC 3339 UTC", raw: "2025-03-01T23:59:59Z", want: "2025-03-01"},
		{name: "leap day", raw: "2024-02-29", want: "2024-02-29"},
		{name: "Go time", raw: time.Date(2025, 5, 4, 22, 0, 0, 0, time.FixedZone("X", -5*3600)), want: "2025-05-04"},
		{name: "blank", raw: " ", want: nil},
		{name: "February 30", raw: "2025-02-30", err: "not a valid date"},
		{name: "not a leap year", raw: "2025-02-29", err: "not a valid date"},
		{name: "month 13", raw: "2025-13-01", err: "not a valid date"},
		{name: "US order", raw: "03/01/2025", err: "not a valid date"},
		{name: "year 0", raw: "0000-01-01", err: "years 1 to 9999"},
		{name: "number", raw: 20250301.0, err: "must be a date"},
		{name: "min", def: fields.Definition{Min: &jan1}, raw: "2024-12-31", err: "not be before 2025-01-01"},
		{name: "min inclusive", def: fields.Definition{Min: &jan1}, raw: "2025-01-01", want: "2025-01-01"},
		{name: "max", def: fields.Definition{Max: &jan1}, raw: "2025-01-02", err: "not be after 2025-01-01"},
	})
	runSettings(t, fields.TypeDate, []settingsCase{
		{name: "bounds", def: fields.Definition{Min: &jan1}},
		{name: "bound beyond year 9999", def: fields.Definition{Max: ptr(1e12)}, setting: "max"},
		{name: "pattern", def: fields.Definition{Pattern: "x"}, setting: "pattern"},
		{name: "bad default", def: fields.Definition{Default: "tomorrow"}, setting: "default"},
	})
}
