package importer

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/scrmhq/scrm/internal/leads"
)

// CodeInvalidRow rejects a CSV line that is not a row of the file: a wrong
// number of fields or broken quoting.
const CodeInvalidRow = "INVALID_ROW"

// Extra columns of the rejects file, after the CSV's own.
const (
	rejectsLineColumn   = "_line"
	rejectsErrorsColumn = "_errors"
)

// rejectedRow is a line that did not become a lead.
type rejectedRow struct {
	line   int
	fields []string // nil when the line could not be parsed
	errs   []leads.RowError
}

// rejectsFile appends rejected rows, in the CSV's own format plus _line and
// _errors, so it can be fixed and imported again with the same mapping. It is
// created on the first rejected row, so a clean import leaves no file.
type rejectsFile struct {
	path      string
	header    []string
	delimiter rune
	f         *os.File
	w         *csv.Writer
}

// write appends rows and flushes them, so what the state file counts as
// done is on disk before the state says so.
func (rf *rejectsFile) write(rows []rejectedRow) error {
	if len(rows) == 0 {
		return nil
	}
	if err := rf.open(); err != nil {
		return err
	}
	rec := make([]string, len(rf.header)+2)
	for _, r := range rows {
		clear(rec)
		copy(rec, r.fields[:min(len(r.fields), len(rf.header))])
		rec[len(rf.header)] = strconv.Itoa(r.line)
		rec[len(rf.header)+1] = formatRowErrors(r.errs)
		if err := rf.w.Write(rec); err != nil {
			return fmt.Errorf("importer: write rejects: %w", err)
		}
	}
	rf.w.Flush()
	if err := rf.w.Error(); err != nil {
		return fmt.Errorf("importer: write rejects: %w", err)
	}
	return nil
}

// open opens the file for appending (rows of a resumed import follow the
// earlier ones) and writes the header into an empty one.
func (rf *rejectsFile) open() error {
	if rf.f != nil {
		return nil
	}
	f, err := os.OpenFile(rf.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600) //nolint:gosec // derived from the operator's CSV path
	if err != nil {
		return fmt.Errorf("importer: open rejects: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("importer: open rejects: %w", err)
	}
	rf.f = f
	rf.w = csv.NewWriter(f)
	rf.w.Comma = rf.delimiter
	if info.Size() > 0 {
		return nil
	}
	header := append(append([]string(nil), rf.header...), rejectsLineColumn, rejectsErrorsColumn)
	if err := rf.w.Write(header); err != nil {
		return fmt.Errorf("importer: write rejects: %w", err)
	}
	return nil
}

// close flushes and closes the file if it was opened.
func (rf *rejectsFile) close() error {
	if rf.f == nil {
		return nil
	}
	rf.w.Flush()
	werr := rf.w.Error()
	cerr := rf.f.Close()
	rf.f = nil
	if werr != nil {
		return fmt.Errorf("importer: write rejects: %w", werr)
	}
	if cerr != nil {
		return fmt.Errorf("importer: close rejects: %w", cerr)
	}
	return nil
}

// formatRowErrors renders errors as "field: CODE message; ...".
func formatRowErrors(errs []leads.RowError) string {
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		var b strings.Builder
		if e.Field != "" {
			b.WriteString(e.Field)
			b.WriteString(": ")
		}
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(" ")
			b.WriteString(e.Message)
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "; ")
}
