package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/leads"
)

// exampleMapping is the mapping of the package documentation.
const exampleMapping = `# which CSV column feeds which lead field
source: expo-2026
sourceDetail: booth 12
columns:
  手机号: phone
  姓名: name
  Email: email
  预算: attributes.budget
  城市: attributes.city
  标签: tags
tagSeparator: "|"
delimiter: ","
skipEmpty: true
`

// exampleHeader fits exampleMapping, with one column it ignores.
const exampleHeader = "手机号,姓名,Email,预算,城市,标签,备注"

// leadLine is a valid data line for exampleHeader, distinct per i.
func leadLine(i int) string {
	return fmt.Sprintf("1380000%04d,客户%d,c%d@example.com,%d,上海,vip|new,note %d", i, i, i, 1000*i, i)
}

// csvLines builds a CSV file of exampleHeader and n data lines; edit may
// replace the text of the data line on a file line (header is line 1).
func csvLines(n int, edit func(line int, text string) string) string {
	var b strings.Builder
	b.WriteString(exampleHeader + "\n")
	for i := range n {
		line, text := i+2, leadLine(i)
		if edit != nil {
			text = edit(line, text)
		}
		b.WriteString(text + "\n")
	}
	return b.String()
}

// offsetOfLine is the byte offset where a 1-based line starts in content.
func offsetOfLine(content string, line int) int64 {
	off := 0
	for range line - 1 {
		off += strings.IndexByte(content[off:], '\n') + 1
	}
	return int64(off)
}

// writeFile writes content to name in dir and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustMapping parses a mapping or fails the test.
func mustMapping(t testing.TB, src string) *Mapping {
	t.Helper()
	m, err := ParseMapping([]byte(src))
	if err != nil {
		t.Fatalf("ParseMapping: %v", err)
	}
	return m
}

// readRejects reads a rejects file: its header and its rows by _line.
func readRejects(t testing.TB, path string, delimiter rune) (header []string, byLine map[int][]string) {
	t.Helper()
	f, err := os.Open(path) //nolint:gosec // test file
	if errors.Is(err, fs.ErrNotExist) {
		return nil, map[int][]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	r := csv.NewReader(f)
	r.Comma = delimiter
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("rejects file is not CSV: %v", err)
	}
	if len(records) == 0 {
		t.Fatalf("rejects file %s is empty", path)
	}
	header = records[0]
	byLine = make(map[int][]string)
	for _, rec := range records[1:] {
		line, err := strconv.Atoi(rec[len(rec)-2])
		if err != nil {
			t.Fatalf("rejects row %q: bad _line: %v", rec, err)
		}
		if _, dup := byLine[line]; dup {
			t.Fatalf("line %d is in the rejects file twice", line)
		}
		byLine[line] = rec
	}
	return header, byLine
}

// rejectLines returns the _line values of a rejects file in file order.
func rejectLines(t testing.TB, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path) //nolint:gosec // test file
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, rec := range records[1:] {
		n, err := strconv.Atoi(rec[len(rec)-2])
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, n)
	}
	return lines
}

// sinkCall is one batch the fake sink received.
type sinkCall struct {
	key      string
	source   string
	lines    []int
	rows     []leads.Row
	replayed bool
}

// fakeSink is an in-memory ingest service: it dedups leads by phone,
// rejects rows without a phone or with a phone starting "bad", and keeps
// answers by idempotency key like the real service does.
type fakeSink struct {
	// acceptAll makes every row CREATED or MERGED.
	acceptAll bool
	// failBefore fails a call before anything is written.
	failBefore func(c sinkCall) error
	// failAfter fails a call after it was written: the answer is lost.
	failAfter func(c sinkCall) error
	// delay holds a call before it is answered.
	delay func(c sinkCall) time.Duration

	mu          sync.Mutex
	byPhone     map[string]uuid.UUID
	answers     map[string]*leads.Result
	calls       []sinkCall
	written     map[int]int // CSV line → times written
	inFlight    int
	maxInFlight int
}

func newFakeSink() *fakeSink {
	return &fakeSink{byPhone: map[string]uuid.UUID{}, answers: map[string]*leads.Result{}, written: map[int]int{}}
}

// ingest is the Sink.
func (s *fakeSink) ingest(ctx context.Context, b leads.Batch) (*leads.Result, error) {
	c := sinkCall{key: b.IdempotencyKey, source: b.Source, lines: slices.Clone(LinesFromContext(ctx)), rows: b.Rows}
	if len(c.lines) != len(b.Rows) {
		return nil, fmt.Errorf("fake sink: %d lines for %d rows", len(c.lines), len(b.Rows))
	}
	s.enter()
	defer s.leave()
	if s.delay != nil {
		select {
		case <-time.After(s.delay(c)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.failBefore != nil {
		if err := s.failBefore(c); err != nil {
			return nil, err
		}
	}
	res := s.write(c)
	if s.failAfter != nil {
		if err := s.failAfter(c); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (s *fakeSink) enter() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
}

func (s *fakeSink) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
}

// write stores a batch once per idempotency key.
func (s *fakeSink) write(c sinkCall) *leads.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stored, ok := s.answers[c.key]; ok {
		c.replayed = true
		s.calls = append(s.calls, c)
		replay := *stored
		replay.Replayed = true
		return &replay
	}
	res := &leads.Result{}
	for i, row := range c.rows {
		rr := s.writeRow(row)
		rr.Index = i
		res.Rows = append(res.Rows, rr)
		switch rr.Status {
		case leads.StatusCreated:
			res.Created++
		case leads.StatusMerged:
			res.Merged++
		case leads.StatusRejected:
			res.Rejected++
		}
		s.written[c.lines[i]]++
	}
	s.answers[c.key] = res
	s.calls = append(s.calls, c)
	return res
}

// writeRow applies the fake rules to one row.
func (s *fakeSink) writeRow(row leads.Row) leads.RowResult {
	phone := strings.TrimSpace(row.Phone)
	if !s.acceptAll {
		if phone == "" {
			return leads.RowResult{Status: leads.StatusRejected, Errors: []leads.RowError{{Code: leads.CodeNoIdentity, Message: "no phone"}}}
		}
		if strings.HasPrefix(phone, "bad") {
			return leads.RowResult{Status: leads.StatusRejected, Errors: []leads.RowError{{Field: "phone", Code: leads.CodeInvalid, Message: "not a phone number"}}}
		}
	}
	if id, ok := s.byPhone[phone]; ok && phone != "" {
		return leads.RowResult{Status: leads.StatusMerged, LeadID: id}
	}
	id := uuid.New()
	s.byPhone[phone] = id
	return leads.RowResult{Status: leads.StatusCreated, LeadID: id}
}

// snapshot returns the calls so far.
func (s *fakeSink) snapshot() []sinkCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// writtenLines returns line → times written.
func (s *fakeSink) writtenLines() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.written))
	for k, v := range s.written {
		out[k] = v
	}
	return out
}

// stepClock is a clock that moves by step on every reading.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}
