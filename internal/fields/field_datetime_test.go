package fields_test

import (
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestDateTime(t *testing.T) {
	t.Parallel()
	jan1 := float64(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	runCoerce(t, fields.TypeDateTime, []coerceCase{
		{name: "UTC", raw: "2025-03-01T09:30:00Z", want: "2025-03-01T09:30:00Z"},
		{name: "offset to UTC", raw: "2025-03-01T09:30:00+08:00", want: "2025-03-01T01:30:00Z"},
		{name: "crosses the day", raw: "2025-03-01T01:00:00+08:00", want: "2025-02-28T17:00:00Z"},
		{name: "fraction truncated", raw: "2025-03-01T09:30:00.999Z", want: "2025-03-01T09:30:00Z"},
		{name: "space separator", raw: "2025-03-01 09:30:00+08:00", want: "2025-03-01T01:30:00Z"},
		{name: "Go time", raw: time.Date(2025, 3, 1, 9, 30, 0, 5, time.UTC), want: "2025-03-01T09:30:00Z"},
		{name: "blank", raw: "", want: nil},
		{name: "no zone", raw: "2025-03-01T09:30:00", err: "not a date and time"},
		{name: "date only", raw: "2025-03-01", err: "not a date and time"},
		{name: "February 30", raw: "2025-02-30T00:00:00Z", err: "not a date and time"},
		{name: "hour 24", raw: "2025-03-01T24:00:00Z", err: "not a date and time"},
		{name: "unix number", raw: 1740000000.0, err: "must be a date and time"},
		{name: "past year 9999 in UTC", raw: "9999-12-31T23:00:00-05:00", err: "years 1 to 9999"},
		{name: "min", def: fields.Definition{Min: &jan1}, raw: "2025-01-01T07:59:59+08:00", err: "not be before"},
		{name: "min inclusive", def: fields.Definition{Min: &jan1}, raw: "2025-01-01T08:00:00+08:00", want: "2025-01-01T00:00:00Z"},
	})
	runSettings(t, fields.TypeDateTime, []settingsCase{
		{name: "bounds", def: fields.Definition{Min: &jan1, Max: ptr(jan1 + 86400)}},
		{name: "min after max", def: fields.Definition{Min: ptr(jan1 + 1), Max: &jan1}, setting: "min"},
		{name: "default", def: fields.Definition{Default: "2025-01-01T00:00:00Z"}},
	})
}
