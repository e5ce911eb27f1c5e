package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// utf8BOM is stripped from the start of the file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readBufferSize is the read-ahead of the CSV reader.
const readBufferSize = 64 << 10

// record is one CSV record, or one line range the CSV parser gave up on.
type record struct {
	// fields is reused by the next read; clone what you keep.
	fields []string
	// line is the first line of the record (1-based, in the whole file).
	line int
	// endLine is the last line the record used.
	endLine int
	// endOffset is the file offset just after the record.
	endOffset int64
	// parseErr is set, and fields nil, when the lines could not be parsed.
	parseErr *csv.ParseError
}

// recordReader streams records with line numbers and byte offsets that are
// absolute in the file, also when it starts in the middle of it (resume).
type recordReader struct {
	csv *csv.Reader
	// baseOffset and baseLine are where csv started reading: the file offset
	// and the number of lines before it.
	baseOffset int64
	baseLine   int
	lastOffset int64
}

// newRecordReader reads CSV from r, which starts at file offset baseOffset
// after baseLine lines.
func newRecordReader(r io.Reader, delimiter rune, baseOffset int64, baseLine int) *recordReader {
	c := csv.NewReader(r)
	c.Comma = delimiter
	c.FieldsPerRecord = -1 // field counts are checked per row against the header
	c.LazyQuotes = false
	c.ReuseRecord = true
	return &recordReader{csv: c, baseOffset: baseOffset, baseLine: baseLine, lastOffset: baseOffset}
}

// openAtStart prepares to read a file from its first byte, skipping a UTF-8
// byte order mark.
func openAtStart(r io.Reader, delimiter rune) (*recordReader, error) {
	br := bufio.NewReaderSize(r, readBufferSize)
	head, err := br.Peek(len(utf8BOM))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("importer: read CSV: %w", err)
	}
	var skip int64
	if bytes.Equal(head, utf8BOM) {
		skip = int64(len(utf8BOM))
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return nil, fmt.Errorf("importer: read CSV: %w", err)
		}
	}
	return newRecordReader(br, delimiter, skip, 0), nil
}

// next returns the next record, a record with parseErr set for lines the CSV
// parser rejected (reading goes on after them), io.EOF at the end, or
// another error when reading cannot go on.
func (r *recordReader) next() (record, error) {
	fields, err := r.csv.Read()
	offset := r.baseOffset + r.csv.InputOffset()
	if errors.Is(err, io.EOF) {
		return record{}, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return r.parseFailure(pe, offset)
	}
	if err != nil {
		return record{}, fmt.Errorf("importer: read CSV after byte %d: %w", r.lastOffset, err)
	}
	r.lastOffset = offset
	line, _ := r.csv.FieldPos(0)
	// Only quoted fields span lines, and the parser keeps each line break in
	// them as one '\n' (a CRLF becomes LF), so counting them gives the last line.
	breaks := 0
	for _, f := range fields {
		breaks += strings.Count(f, "\n")
	}
	start := r.baseLine + line
	return record{fields: fields, line: start, endLine: start + breaks, endOffset: offset}, nil
}

// parseFailure turns a csv.ParseError into a rejectable record with absolute
// line numbers; the parser has consumed the lines up to the error, so
// reading goes on after them unless it made no progress.
func (r *recordReader) parseFailure(pe *csv.ParseError, offset int64) (record, error) {
	abs := *pe
	abs.StartLine += r.baseLine
	abs.Line += r.baseLine
	if offset <= r.lastOffset {
		return record{}, fmt.Errorf("importer: CSV line %d cannot be parsed and reading cannot go on: %w", abs.StartLine, &abs)
	}
	r.lastOffset = offset
	return record{line: abs.StartLine, endLine: max(abs.Line, abs.StartLine), endOffset: offset, parseErr: &abs}, nil
}
