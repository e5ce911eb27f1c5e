package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrMapping marks every problem with a mapping; the wrapped *MappingError
// values name the line and key.
var ErrMapping = errors.New("importer: invalid mapping")

// Mapping defaults, applied by ParseMapping and by Run when a field is zero.
const (
	DefaultTagSeparator = "|"
	DefaultDelimiter    = ','
)

// Target is the lead field a CSV column feeds: a built-in field such as
// "phone" or "tags", or "attributes.<key>" for a custom field.
type Target string

// Built-in targets, spelled as in the mapping file and in leads.Row's JSON.
const (
	TargetExternalID   Target = "externalID"
	TargetName         Target = "name"
	TargetPhone        Target = "phone"
	TargetEmail        Target = "email"
	TargetUnionID      Target = "unionID"
	TargetOpenID       Target = "openID"
	TargetCompany      Target = "company"
	TargetSource       Target = "source"
	TargetSourceDetail Target = "sourceDetail"
	TargetTags         Target = "tags"
)

// attributePrefix introduces a custom field key in a target.
const attributePrefix = "attributes."

// builtinTargets lists the built-in targets in the order error messages
// suggest them.
var builtinTargets = []Target{
	TargetExternalID, TargetName, TargetPhone, TargetEmail, TargetUnionID,
	TargetOpenID, TargetCompany, TargetSource, TargetSourceDetail, TargetTags,
}

// attributeKeyRE is the shape of a custom field key (the field definitions'
// rule, repeated here so a mapping is checked before any row is sent).
var attributeKeyRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,62}$`)

// Attribute returns the custom field key of an "attributes.<key>" target.
func (t Target) Attribute() (key string, ok bool) {
	return strings.CutPrefix(string(t), attributePrefix)
}

// check reports why t is not a target, or nil.
func (t Target) check() error {
	if key, ok := t.Attribute(); ok {
		if !attributeKeyRE.MatchString(key) {
			return fmt.Errorf("bad custom field key %q: keys are a lowercase letter then up to 62 letters, digits or _", key)
		}
		return nil
	}
	for _, b := range builtinTargets {
		if t == b {
			return nil
		}
	}
	names := make([]string, len(builtinTargets))
	for i, b := range builtinTargets {
		names[i] = string(b)
	}
	return fmt.Errorf("unknown target %q (want %s or attributes.<key>)", string(t), strings.Join(names, ", "))
}

// Column feeds one CSV column, found by its trimmed header name, into a target.
type Column struct {
	Header string
	Target Target
	// Line is where the mapping file declared the column; 0 for mappings
	// built in code.
	Line int
}

// Mapping says how the columns of a CSV file become lead rows.
type Mapping struct {
	// Source is the batch source for rows that name none; "import" if empty.
	Source string
	// SourceDetail is set on rows whose own sourceDetail is empty.
	SourceDetail string
	// Columns in file order; several may feed "tags", any other target once.
	Columns []Column
	// TagSeparator splits a tags cell.
	TagSeparator string
	// Delimiter separates CSV fields.
	Delimiter rune
	// SkipEmpty treats blank cells as not given instead of as "".
	SkipEmpty bool
}

// MappingError is one problem in a mapping, at a line of the mapping file.
type MappingError struct {
	// Line is 1-based; 0 when unknown (a mapping built in code).
	Line int
	// Key is the path of the offending key ("columns.预算", "delimiter").
	Key string
	Msg string
}

// Error implements error as "line 7: columns.预算: message".
func (e *MappingError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes errors.Is(err, ErrMapping) true.
func (e *MappingError) Is(target error) bool { return target == ErrMapping }

// LoadMapping reads and parses a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the path is the operator's own argument
	if err != nil {
		return nil, fmt.Errorf("importer: read mapping: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return nil, fmt.Errorf("%s:\n%w", path, err)
	}
	return m, nil
}

// Validate checks a mapping built in code; ParseMapping already did it for
// parsed ones. Zero Delimiter and TagSeparator count as the defaults.
func (m *Mapping) Validate() error {
	errs := m.check()
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// check returns every problem with m, each a *MappingError.
func (m *Mapping) check() []error {
	var errs []error
	if len(m.Columns) == 0 {
		errs = append(errs, &MappingError{Key: "columns", Msg: "no columns are mapped"})
	}
	errs = append(errs, checkColumns(m.Columns)...)
	if m.Delimiter != 0 {
		if err := checkDelimiter(m.Delimiter); err != nil {
			errs = append(errs, &MappingError{Key: "delimiter", Msg: err.Error()})
		}
	}
	return errs
}

// checkColumns reports bad targets, a target fed twice (tags aside) and a
// column mapped twice.
func checkColumns(cols []Column) []error {
	var errs []error
	byTarget := make(map[Target]Column)
	byHeader := make(map[string]Column)
	for _, c := range cols {
		key := "columns." + c.Header
		if c.Header == "" {
			errs = append(errs, &MappingError{Line: c.Line, Key: "columns", Msg: "empty column name"})
			continue
		}
		if prev, dup := byHeader[c.Header]; dup {
			errs = append(errs, &MappingError{Line: c.Line, Key: key, Msg: "column mapped twice (first" + lineSuffix(prev.Line) + ")"})
			continue
		}
		byHeader[c.Header] = c
		if err := c.Target.check(); err != nil {
			errs = append(errs, &MappingError{Line: c.Line, Key: key, Msg: err.Error()})
			continue
		}
		if prev, dup := byTarget[c.Target]; dup && c.Target != TargetTags {
			errs = append(errs, &MappingError{Line: c.Line, Key: key, Msg: fmt.Sprintf(
				"target %q is already fed by column %q%s", string(c.Target), prev.Header, lineSuffix(prev.Line))})
			continue
		}
		byTarget[c.Target] = c
	}
	return errs
}

// lineSuffix renders " on line N" when the line is known.
func lineSuffix(line int) string {
	if line <= 0 {
		return ""
	}
	return " on line " + strconv.Itoa(line)
}

// checkDelimiter applies encoding/csv's rules for a field separator.
func checkDelimiter(r rune) error {
	if r == 0 || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError || !utf8.ValidRune(r) {
		return fmt.Errorf("%q cannot separate CSV fields", r)
	}
	return nil
}

// withDefaults fills a zero Delimiter and TagSeparator.
func (m Mapping) withDefaults() Mapping {
	if m.Delimiter == 0 {
		m.Delimiter = DefaultDelimiter
	}
	if m.TagSeparator == "" {
		m.TagSeparator = DefaultTagSeparator
	}
	return m
}

// YAML renders m as a mapping file that ParseMapping reads back to the same
// mapping. Every string is double-quoted, so the output is also canonical:
// the importer fingerprints it to recognise "the same mapping" on resume.
func (m *Mapping) YAML() []byte {
	d := m.withDefaults()
	var b bytes.Buffer
	if d.Source != "" {
		fmt.Fprintf(&b, "source: %s\n", yamlQuote(d.Source))
	}
	if d.SourceDetail != "" {
		fmt.Fprintf(&b, "sourceDetail: %s\n", yamlQuote(d.SourceDetail))
	}
	b.WriteString("columns:\n")
	for _, c := range d.Columns {
		fmt.Fprintf(&b, "  %s: %s\n", yamlQuote(c.Header), yamlQuote(string(c.Target)))
	}
	fmt.Fprintf(&b, "tagSeparator: %s\n", yamlQuote(d.TagSeparator))
	fmt.Fprintf(&b, "delimiter: %s\n", yamlQuote(string(d.Delimiter)))
	fmt.Fprintf(&b, "skipEmpty: %t\n", d.SkipEmpty)
	return b.Bytes()
}

// fingerprint is the hex SHA-256 of the canonical rendering.
func (m *Mapping) fingerprint() string {
	sum := sha256.Sum256(m.YAML())
	return hex.EncodeToString(sum[:])
}

// yamlQuote writes s as a YAML double-quoted scalar, escaping anything a
// reader could fold, trim or misread.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsPrint(r) && r != '\uFEFF':
			b.WriteRune(r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
