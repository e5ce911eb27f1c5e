package importer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/scrmhq/scrm/internal/leads"
)

// ErrHeader means the CSV header does not fit the mapping.
var ErrHeader = errors.New("importer: CSV header does not fit the mapping")

// boundColumn is a mapped column found in the header.
type boundColumn struct {
	index  int
	target Target
	attr   string // custom field key when target is attributes.<key>
}

// rowMapper turns a CSV record into a leads.Row.
type rowMapper struct {
	columns      []boundColumn
	tagSeparator string
	skipEmpty    bool
	sourceDetail string
}

// cleanHeader trims the header names.
func cleanHeader(fields []string) []string {
	header := make([]string, len(fields))
	for i, f := range fields {
		header[i] = strings.TrimSpace(f)
	}
	return header
}

// newRowMapper finds every mapped column in the header; it names all the
// missing ones at once, and refuses a mapped column the header repeats.
func newRowMapper(m Mapping, header []string) (*rowMapper, error) {
	at := make(map[string][]int, len(header))
	for i, name := range header {
		at[name] = append(at[name], i)
	}
	var missing, repeated []string
	rm := &rowMapper{tagSeparator: m.TagSeparator, skipEmpty: m.SkipEmpty, sourceDetail: m.SourceDetail}
	for _, c := range m.Columns {
		idx := at[c.Header]
		switch {
		case len(idx) == 0:
			missing = append(missing, strconv.Quote(c.Header))
		case len(idx) > 1:
			repeated = append(repeated, fmt.Sprintf("%q (columns %s)", c.Header, joinInts(idx, 1)))
		default:
			attr, _ := c.Target.Attribute()
			rm.columns = append(rm.columns, boundColumn{index: idx[0], target: c.Target, attr: attr})
		}
	}
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%w: mapped columns missing from the header: %s", ErrHeader, strings.Join(missing, ", ")))
	}
	if len(repeated) > 0 {
		errs = append(errs, fmt.Errorf("%w: mapped columns repeated in the header: %s", ErrHeader, strings.Join(repeated, ", ")))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rm, nil
}

// joinInts renders 0-based positions as a 1-based list ("2, 5").
func joinInts(xs []int, plus int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x + plus)
	}
	return strings.Join(s, ", ")
}

// row maps a record that has as many fields as the header. Cells stay raw
// strings: the ingest service cleans them and coerces custom fields.
func (rm *rowMapper) row(fields []string) leads.Row {
	var r leads.Row
	for _, c := range rm.columns {
		v := fields[c.index]
		if rm.skipEmpty && strings.TrimSpace(v) == "" {
			continue
		}
		rm.set(&r, c, v)
	}
	if r.SourceDetail == "" {
		r.SourceDetail = rm.sourceDetail
	}
	return r
}

// set stores one cell in its target.
func (rm *rowMapper) set(r *leads.Row, c boundColumn, v string) {
	switch c.target {
	case TargetExternalID:
		r.ExternalID = v
	case TargetName:
		r.Name = v
	case TargetPhone:
		r.Phone = v
	case TargetEmail:
		r.Email = v
	case TargetUnionID:
		r.UnionID = v
	case TargetOpenID:
		r.OpenID = v
	case TargetCompany:
		r.Company = v
	case TargetSource:
		r.Source = v
	case TargetSourceDetail:
		r.SourceDetail = v
	case TargetTags:
		r.Tags = appendTags(r.Tags, v, rm.tagSeparator)
	default:
		if r.Attributes == nil {
			r.Attributes = make(map[string]any)
		}
		r.Attributes[c.attr] = v
	}
}

// appendTags adds the tags of one cell, trimmed, without blanks or repeats.
func appendTags(tags []string, cell, sep string) []string {
	for t := range strings.SplitSeq(cell, sep) {
		t = strings.TrimSpace(t)
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}
