package fields

import (
	"strings"
	"time"
)

// dateTimeLayout is the canonical DATETIME: RFC 3339 in UTC to the second.
// One fixed-width form for every instant means stored values sort and compare
// correctly as strings, which is what filters and sorts do; fractions of a
// second would break that ("…00.5Z" sorts before "…00Z") and no lead data
// needs them, so they are truncated.
const dateTimeLayout = "2006-01-02T15:04:05Z"

// timestampInputs are RFC 3339 (fractions allowed) and the same with a space
// for the T, as PostgreSQL and many spreadsheets print timestamps. An offset
// is required: a time without a zone is ambiguous by up to a day.
var timestampInputs = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"}

func init() { Register(dateTimeField{}) }

// dateTimeField is an instant.
type dateTimeField struct{}

func (dateTimeField) Type() Type { return TypeDateTime }

func (dateTimeField) Describe() Descriptor {
	return Descriptor{
		Ops: orderedOps, Storage: DateTimeStorage,
		GraphQLScalar: "Time", CEL: CELTimestamp, Widget: WidgetDateTime, Sortable: true,
		Settings: Settings{Bounds: BoundsTime},
	}
}

func (f dateTimeField) ValidateSettings(d Definition) error {
	return checkSettings(f, d)
}

func (dateTimeField) Coerce(d Definition, raw any) (any, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	var t time.Time
	switch v := raw.(type) {
	case time.Time:
		t = v
	case string:
		var err error
		if t, err = parseTimestamp(strings.TrimSpace(v)); err != nil {
			return nil, invalid("%q is not a date and time like 2025-03-01T09:30:00+08:00", truncate(strings.TrimSpace(v), 40))
		}
	default:
		return nil, invalid("must be a date and time like 2025-03-01T09:30:00+08:00, not %s", describe(raw))
	}
	t = t.UTC().Truncate(time.Second)
	if _, err := inYearRange(t); err != nil {
		return nil, err
	}
	if err := checkTimeRange(d, t, dateTimeLayout); err != nil {
		return nil, err
	}
	return t.Format(dateTimeLayout), nil
}

// parseTimestamp reads an RFC 3339 timestamp in its own offset.
func parseTimestamp(s string) (time.Time, error) {
	var err error
	if len(s) > 64 {
		return time.Time{}, invalid("too long for a timestamp")
	}
	for _, layout := range timestampInputs {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
