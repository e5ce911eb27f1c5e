package fields

import (
	"strings"
	"time"
)

// dateLayout is the canonical DATE: ISO 8601 calendar date. Fixed width, so
// stored dates sort and compare correctly as strings (filters rely on it).
const dateLayout = "2006-01-02"

// dateInputs are the layouts accepted besides RFC 3339; "2006-1-2" also
// reads zero-padded dates, and slashes are how spreadsheets in China write
// dates.
var dateInputs = []string{"2006-1-2", "2006/1/2"}

func init() { Register(dateField{}) }

// dateField is a calendar date without time or zone: a birthday, a contract
// end. A full timestamp is accepted and its date is taken in the timestamp's
// own offset, because that is the day the sender meant ("2025-03-01T00:30+08:00"
// is 1 March in Beijing, though 28 February in UTC).
type dateField struct{}

func (dateField) Type() Type { return TypeDate }

func (dateField) Describe() Descriptor {
	return Descriptor{
		Ops: orderedOps, Storage: DateStorage,
		GraphQLScalar: "Date", CEL: CELTimestamp, Widget: WidgetDate, Sortable: true,
		Settings: Settings{Bounds: BoundsTime},
	}
}

func (f dateField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (dateField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	t, err := parseDate(raw)
	if err != nil {
		return nil, err
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if err := checkTimeRange(d, day, dateLayout); err != nil {
		return nil, err
	}
	return day.Format(dateLayout), nil
}

// parseDate returns the date of raw in the zone it was written in.
func parseDate(raw any) (time.Time, error) {
	var s string
	switch v := raw.(type) {
	case time.Time:
		return inYearRange(v)
	case string:
		s = strings.TrimSpace(v)
	default:
		return time.Time{}, invalid("must be a date like 2025-03-01, not %s", describe(raw))
	}
	if len(s) > 64 {
		return time.Time{}, invalid("must be a date like 2025-03-01")
	}
	for _, layout := range dateInputs {
		// time.Parse rejects days that do not exist, such as 2025-02-30.
		if t, err := time.Parse(layout, s); err == nil {
			return inYearRange(t)
		}
	}
	if t, err := parseTimestamp(s); err == nil {
		return inYearRange(t)
	}
	return time.Time{}, invalid("%q is not a valid date like 2025-03-01", truncate(s, 40))
}

// inYearRange keeps dates in years 1 to 9999, where the canonical forms
// keep four-digit years and so sort as strings.
func inYearRange(t time.Time) (time.Time, error) {
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, invalid("must be within years 1 to 9999")
	}
	return t, nil
}

// checkTimeRange applies Unix-second bounds, shown in the field's layout.
func checkTimeRange(d Definition, t time.Time, layout string) error {
	show := func(sec float64) string { return time.Unix(int64(sec), 0).UTC().Format(layout) }
	if d.Min != nil && float64(t.Unix()) < *d.Min {
		return invalid("must not be before %s", show(*d.Min))
	}
	if d.Max != nil && float64(t.Unix()) > *d.Max {
		return invalid("must not be after %s", show(*d.Max))
	}
	return nil
}
