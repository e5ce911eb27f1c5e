package importer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/leads"
)

// errBoom is the fake sink's outage.
var errBoom = errors.New("ingest is down")

// rowsByLine flattens the calls that wrote rows into line → row.
func rowsByLine(calls []sinkCall) map[int]leads.Row {
	out := map[int]leads.Row{}
	for _, c := range calls {
		for i, l := range c.lines {
			out[l] = c.rows[i]
		}
	}
	return out
}

func TestRunMapsRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "leads.csv", csvLines(3, func(line int, text string) string {
		if line == 3 {
			return "13800000001,,,,,, ignored" // blank cells are not given
		}
		return text
	}))
	sink := newFakeSink()
	actor := uuid.New()
	sum, err := Run(context.Background(), Options{Path: path, Mapping: mustMapping(t, exampleMapping), Actor: &actor}, sink.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 3 || sum.Created != 3 || sum.Batches != 1 || sum.Resumed || sum.StartLine != 2 {
		t.Errorf("summary %+v", sum)
	}
	calls := sink.snapshot()
	if calls[0].source != "expo-2026" {
		t.Errorf("batch source %q", calls[0].source)
	}
	rows := rowsByLine(calls)
	want := leads.Row{
		Phone: "13800000000", Name: "客户0", Email: "c0@example.com", SourceDetail: "booth 12",
		Attributes: map[string]any{"budget": "0", "city": "上海"}, Tags: []string{"vip", "new"},
	}
	if got := rows[2]; !equalRows(got, want) {
		t.Errorf("line 2:\n got %+v\nwant %+v", got, want)
	}
	blank := leads.Row{Phone: "13800000001", SourceDetail: "booth 12"}
	if got := rows[3]; !equalRows(got, blank) {
		t.Errorf("line 3:\n got %+v\nwant %+v", got, blank)
	}
	if _, err := os.Stat(path + ".import-state.json"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left after a complete import: %v", err)
	}
	if _, err := os.Stat(path + ".rejects.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rejects file created without rejects: %v", err)
	}
}

// equalRows compares rows by their exported fields.
func equalRows(a, b leads.Row) bool {
	if len(a.Attributes) != len(b.Attributes) {
		return false
	}
	for k, v := range a.Attributes {
		if b.Attributes[k] != v {
			return false
		}
	}
	a.Attributes, b.Attributes = nil, nil
	return slices.Equal(a.Tags, b.Tags) && a.Phone == b.Phone && a.Name == b.Name && a.Email == b.Email &&
		a.ExternalID == b.ExternalID && a.UnionID == b.UnionID && a.OpenID == b.OpenID &&
		a.Company == b.Company && a.Source == b.Source && a.SourceDetail == b.SourceDetail &&
		a.TerritoryID == nil && b.TerritoryID == nil && a.ReferrerID == nil && b.ReferrerID == nil
}

func TestRunSkipEmptyFalseKeepsBlankAttributes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "leads.csv", "phone,budget\n138,\n")
	m := mustMapping(t, "columns: {phone: phone, budget: attributes.budget}\nskipEmpty: false\n")
	sink := newFakeSink()
	if _, err := Run(context.Background(), Options{Path: path, Mapping: m}, sink.ingest); err != nil {
		t.Fatal(err)
	}
	row := rowsByLine(sink.snapshot())[2]
	if v, ok := row.Attributes["budget"]; !ok || v != "" {
		t.Errorf("budget = %v, %v; want an empty string", v, ok)
	}
	if got := sink.snapshot()[0].source; got != DefaultSource {
		t.Errorf("source %q, want %q", got, DefaultSource)
	}
}

func TestRunMissingHeaderColumns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "leads.csv", "手机号,预算,城市,标签\n13800000000,1,2,3\n")
	sink := newFakeSink()
	_, err := Run(context.Background(), Options{Path: path, Mapping: mustMapping(t, exampleMapping)}, sink.ingest)
	if !errors.Is(err, ErrHeader) {
		t.Fatalf("err = %v, want ErrHeader", err)
	}
	if !strings.Contains(err.Error(), `"姓名", "Email"`) {
		t.Errorf("error does not name the missing columns: %v", err)
	}
	if len(sink.snapshot()) != 0 {
		t.Error("rows were sent despite a bad header")
	}
}

func TestRunHeaderProblems(t *testing.T) {
	t.Parallel()
	m := mustMapping(t, "columns: {a: phone}\n")
	tests := []struct {
		name, content, want string
	}{
		{"empty file", "", "needs a header line"},
		{"repeated mapped column", "a,b,a\n1,2,3\n", `"a" (columns 1, 3)`},
		{"broken header", "a,\"b\n", "parse error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "x.csv", tc.content)
			_, err := Run(context.Background(), Options{Path: path, Mapping: m}, newFakeSink().ingest)
			if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrHeader with %q", err, tc.want)
			}
		})
	}
}

func TestRunBOMAndTrimmedHeader(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	content := "\ufeff 手机号 ,姓名\t,Email,预算,城市,标签\n13800000000,张三,z@example.com,1,2,x\n"
	path := writeFile(t, dir, "leads.csv", content)
	sink := newFakeSink()
	sum, err := Run(context.Background(), Options{Path: path, Mapping: mustMapping(t, exampleMapping)}, sink.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if row := rowsByLine(sink.snapshot())[2]; row.Phone != "13800000000" || row.Name != "张三" {
		t.Errorf("row %+v", row)
	}
}

func TestRunTagsFromTwoColumns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "leads.csv", "phone,t1,t2\n138, a ; b ,b;c\n139,,\n")
	m := mustMapping(t, "columns:\n  phone: phone\n  t1: tags\n  t2: tags\ntagSeparator: \";\"\n")
	sink := newFakeSink()
	if _, err := Run(context.Background(), Options{Path: path, Mapping: m}, sink.ingest); err != nil {
		t.Fatal(err)
	}
	rows := rowsByLine(sink.snapshot())
	if got := rows[2].Tags; !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("tags %q", got)
	}
	if got := rows[3].Tags; got != nil {
		t.Errorf("blank tags gave %q", got)
	}
}

func TestRunQuotedFieldsAndLineNumbers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	content := "phone,name,note\r\n" + // line 1
		"138,\"Wang, Li\",\"two\r\nlines\"\r\n" + // lines 2-3
		"\r\n" + // line 4, blank
		"139,\"say \"\"hi\"\"\",\"a\n\nb\"\n" + // lines 5-7
		"140,plain,x" // line 8, no final newline
	path := writeFile(t, dir, "leads.csv", content)
	m := mustMapping(t, "columns: {phone: phone, name: name, note: attributes.note}\n")
	sink := newFakeSink()
	sum, err := Run(context.Background(), Options{Path: path, Mapping: m, BatchSize: 1}, sink.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 3 || sum.Batches != 3 {
		t.Errorf("summary %+v", sum)
	}
	rows := rowsByLine(sink.snapshot())
	if len(rows) != 3 {
		t.Fatalf("rows by line: %v", rows)
	}
	if r := rows[2]; r.Name != "Wang, Li" || r.Attributes["note"] != "two\nlines" {
		t.Errorf("line 2: %+v", r)
	}
	if r := rows[5]; r.Name != `say "hi"` || r.Attributes["note"] != "a\n\nb" {
		t.Errorf("line 5: %+v", r)
	}
	if r := rows[8]; r.Phone != "140" {
		t.Errorf("line 8: %+v", r)
	}
}

func TestRunRejectsMalformedLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	content := csvLines(6, func(line int, text string) string {
		switch line {
		case 3:
			return "13800000001,short" // too few fields
		case 4:
			return text + ",extra" // too many
		case 5:
			return `13800000003,bare"quote,x,1,2,3,4` // broken quoting
		}
		return text
	})
	path := writeFile(t, dir, "leads.csv", content)
	sink := newFakeSink()
	sum, err := Run(context.Background(), Options{Path: path, Mapping: mustMapping(t, exampleMapping)}, sink.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 6 || sum.Rejected != 3 || sum.Created != 3 {
		t.Errorf("summary %+v", sum)
	}
	header, rejects := readRejects(t, path+".rejects.csv", ',')
	wantHeader := append(strings.Split(exampleHeader, ","), "_line", "_errors")
	if !slices.Equal(header, wantHeader) {
		t.Errorf("rejects header %q", header)
	}
	if got := slices.Sorted(mapsKeys(rejects)); !slices.Equal(got, []int{3, 4, 5}) {
		t.Fatalf("rejected lines %v", got)
	}
	short := rejects[3]
	if short[0] != "13800000001" || short[1] != "short" || short[2] != "" {
		t.Errorf("short row kept as %q", short)
	}
	if msg := short[len(short)-1]; !strings.HasPrefix(msg, "INVALID_ROW line 3 has 2 fields, the header has 7") {
		t.Errorf("short row errors %q", msg)
	}
	if msg := rejects[5][len(rejects[5])-1]; !strings.Contains(msg, "INVALID_ROW") || !strings.Contains(msg, "line 5") {
		t.Errorf("broken quote errors %q", msg)
	}
	for line := range sink.writtenLines() {
		if line >= 3 && line <= 5 {
			t.Errorf("rejected line %d was sent", line)
		}
	}
}

// mapsKeys returns the keys of m.
func mapsKeys[V any](m map[int]V) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestRunSinkRejectionsGoToRejectsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	content := csvLines(12, func(line int, text string) string {
		switch line {
		case 4:
			return strings.Replace(text, "13800000002", "bad-phone", 1)
		case 6:
			return "13800000004,short" // rejected locally, after line 4 in the same batch
		case 9:
			return strings.Replace(text, "13800000007", "", 1)
		case 11:
			return strings.Replace(text, "13800000009", "13800000000", 1) // same lead as line 2
		}
		return text
	})
	path := writeFile(t, dir, "leads.csv", content)
	sink := newFakeSink()
	sum, err := Run(context.Background(), Options{Path: path, Mapping: mustMapping(t, exampleMapping), BatchSize: 5}, sink.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 12 || sum.Rejected != 3 || sum.Merged != 1 || sum.Created != 8 || sum.Batches != 3 {
		t.Errorf("summary %+v", sum)
	}
	if got := rejectLines(t, path+".rejects.csv"); !slices.Equal(got, []int{4, 6, 9}) {
		t.Fatalf("rejected lines in file order: %v", got)
	}
	_, rejects := readRejects(t, path+".rejects.csv", ',')
	if r := rejects[4]; r[0] != "bad-phone" || r[len(r)-1] != "phone: INVALID_VALUE not a phone number" {
		t.Errorf("line 4 reject %q", r)
	}
	if r := rejects[9]; r[1] != "客户7" || r[len(r)-1] != "NO_IDENTITY no phone" {
		t.Errorf("line 9 reject %q", r)
	}
}

func TestRunResumesAfterSinkFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n, batchSize = 95, 10 // data on lines 2..96
	content := csvLines(n, func(line int, text string) string {
		switch line {
		case 15:
			return "13800000013,short"
		case 40:
			return strings.Replace(text, "13800000038", "bad", 1)
		}
		return text
	})
	path := writeFile(t, dir, "leads.csv", content)
	m := mustMapping(t, exampleMapping)
	sink := newFakeSink()
	// The third batch (lines 22..31) is written but its answer is lost.
	sink.failAfter = func(c sinkCall) error {
		if c.lines[0] == 22 {
			return errBoom
		}
		return nil
	}
	var out bytes.Buffer
	opts := Options{Path: path, Mapping: m, BatchSize: batchSize, Progress: &out}
	sum, err := Run(context.Background(), opts, sink.ingest)
	if !errors.Is(err, errBoom) {
		t.Fatalf("first run: err = %v, want errBoom", err)
	}
	if sum.Rows != 20 || sum.Batches != 2 {
		t.Errorf("first run summary %+v", sum)
	}
	st, err := loadState(path + ".import-state.json")
	if err != nil || st == nil {
		t.Fatalf("state after failure: %v, %v", st, err)
	}
	if st.NextLine != 22 || st.Offset != offsetOfLine(content, 22) || st.Totals.Rows != 20 || st.Totals.Rejected != 1 {
		t.Errorf("state %+v; want line 22 at offset %d", st, offsetOfLine(content, 22))
	}
	if !strings.Contains(out.String(), "run the same command again to resume") {
		t.Errorf("progress does not say how to resume:\n%s", out.String())
	}
	firstKeys := map[int]string{}
	for _, c := range sink.snapshot() {
		firstKeys[c.lines[0]] = c.key
	}
	firstCalls := len(sink.snapshot())

	sink.failAfter = nil
	out.Reset()
	sum, err = Run(context.Background(), opts, sink.ingest)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if !sum.Resumed || sum.StartLine != 22 {
		t.Errorf("second run summary %+v", sum)
	}
	if sum.Rows != n || sum.Rejected != 2 || sum.Created+sum.Merged != n-2 || sum.Batches != 10 {
		t.Errorf("totals %+v", sum)
	}
	if !strings.Contains(out.String(), "resuming") {
		t.Errorf("progress does not say it resumed:\n%s", out.String())
	}
	written := sink.writtenLines()
	for line := 2; line <= n+1; line++ {
		want := 1
		if line == 15 {
			want = 0 // rejected before sending
		}
		if written[line] != want {
			t.Errorf("line %d written %d times, want %d", line, written[line], want)
		}
	}
	replayed := 0
	for _, c := range sink.snapshot()[firstCalls:] {
		if c.lines[0] < 22 {
			t.Errorf("second run re-sent the acknowledged batch from line %d", c.lines[0])
		}
		if key, ok := firstKeys[c.lines[0]]; ok {
			if key != c.key {
				t.Errorf("batch from line %d: key %q, first run sent %q", c.lines[0], c.key, key)
			}
			if !c.replayed {
				t.Errorf("batch from line %d was written twice", c.lines[0])
			}
			replayed++
		}
	}
	if replayed == 0 {
		t.Error("the batch whose answer was lost was not sent again with its key")
	}
	if _, err := os.Stat(path + ".import-state.json"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left: %v", err)
	}
	if got := rejectLines(t, path+".rejects.csv"); !slices.Equal(got, []int{15, 40}) {
		t.Errorf("rejects across both runs: %v", got)
	}
}

func TestRunChangedFileOrMappingInvalidatesState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, path string, m *Mapping) *Mapping
	}{
		{"file edited", func(t *testing.T, path string, m *Mapping) *Mapping {
			data, err := os.ReadFile(path) //nolint:gosec // test file
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, "", path, strings.Replace(string(data), "客户0,", "客户X,", 1))
			return m
		}},
		{"rows appended", func(t *testing.T, path string, m *Mapping) *Mapping {
			data, err := os.ReadFile(path) //nolint:gosec // test file
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, "", path, string(data)+leadLine(99)+"\n")
			return m
		}},
		{"mapping changed", func(t *testing.T, _ string, m *Mapping) *Mapping {
			c := *m
			c.SourceDetail = "booth 13"
			return &c
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := writeFile(t, dir, "leads.csv", csvLines(30, func(line int, text string) string {
				if line == 3 {
					return "x" // a reject, so the rejects file exists
				}
				return text
			}))
			m := mustMapping(t, exampleMapping)
			sink := newFakeSink()
			sink.failBefore = func(c sinkCall) error {
				if c.lines[0] >= 22 {
					return errBoom
				}
				return nil
			}
			opts := Options{Path: path, Mapping: m, BatchSize: 10, Concurrency: 1}
			if _, err := Run(context.Background(), opts, sink.ingest); !errors.Is(err, errBoom) {
				t.Fatalf("first run: %v", err)
			}
			opts.Mapping = tc.change(t, path, m)
			sink.failBefore = nil
			var out bytes.Buffer
			opts.Progress = &out
			sum, err := Run(context.Background(), opts, sink.ingest)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Resumed || sum.StartLine != 2 {
				t.Errorf("summary %+v: want a fresh start", sum)
			}
			if !strings.Contains(out.String(), "different file or mapping: starting over") {
				t.Errorf("progress does not explain the fresh start:\n%s", out.String())
			}
			if got := rejectLines(t, path+".rejects.csv"); !slices.Equal(got, []int{3}) {
				t.Errorf("rejects file was not started over: %v", got)
			}
		})
	}
}

func TestRunRestartIgnoresState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "leads.csv", csvLines(30, nil))
	sink := newFakeSink()
	sink.failBefore = func(c sinkCall) error {
		if c.lines[0] >= 12 {
			return errBoom
		}
		return nil
	}
	opts := Options{Path: path, Mapping: mustMapping(t, exampleMapping), BatchSize: 10}
	if _, err := Run(context.Background(), opts, sink.ingest); !errors.Is(err, errBoom) {
		t.Fatalf("first run: %v", err)
	}
	sink.failBefore = nil
	opts.Restart = true
	sum, err := Run(context.Background(), opts, sink.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed || sum.StartLine != 2 || sum.Rows != 30 {
		t.Errorf("summary %+v", sum)
	}
	// The first batch went again under the same key: the sink replayed it.
	if w := sink.writtenLines(); w[2] != 1 || w[31] != 1 {
		t.Errorf("written %v", w)
	}
}

func TestRunCancelSavesState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "leads.csv", csvLines(50, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := newFakeSink()
	sink.failBefore = func(c sinkCall) error {
		if c.lines[0] >= 22 {
			cancel()
			return context.Canceled
		}
		return nil
	}
	opts := Options{Path: path, Mapping: mustMapping(t, exampleMapping), BatchSize: 10, Concurrency: 1}
	_, err := Run(ctx, opts, sink.ingest)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	st, err := loadState(path + ".import-state.json")
	if err != nil || st == nil || st.NextLine != 22 {
		t.Fatalf("state %+v, %v", st, err)
	}
	sink.failBefore = nil
	sum, err := Run(context.Background(), opts, sink.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Resumed || sum.Rows != 50 {
		t.Errorf("summary %+v", sum)
	}
	for line := 2; line <= 51; line++ {
		if got := sink.writtenLines()[line]; got != 1 {
			t.Errorf("line %d written %d times", line, got)
		}
	}
}

func TestRunConcurrentBatchesRecordedInOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 80
	content := csvLines(n, func(line int, text string) string {
		if line%3 == 0 {
			return strings.Replace(text, "138", "bad", 1)
		}
		return text
	})
	path := writeFile(t, dir, "leads.csv", content)
	sink := newFakeSink()
	// Early batches answer last.
	sink.delay = func(c sinkCall) time.Duration { return time.Duration(100-c.lines[0]) * time.Millisecond / 4 }
	var (
		mu     sync.Mutex
		states []importState
	)
	opts := Options{Path: path, Mapping: mustMapping(t, exampleMapping), BatchSize: 5, Concurrency: 4}
	statePath := path + ".import-state.json"
	sink.failAfter = func(sinkCall) error {
		mu.Lock()
		defer mu.Unlock()
		if st, err := loadState(statePath); err == nil && st != nil {
			states = append(states, *st)
		}
		return nil
	}
	sum, err := Run(context.Background(), opts, sink.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != n || sum.Batches != n/5 || sum.Rejected != 27 {
		t.Errorf("summary %+v", sum)
	}
	if sink.maxInFlight < 2 || sink.maxInFlight > 4 {
		t.Errorf("max batches in flight %d, want 2..4", sink.maxInFlight)
	}
	lines := rejectLines(t, path+".rejects.csv")
	if len(lines) != 27 || !slices.IsSorted(lines) {
		t.Errorf("rejects not in file order: %v", lines)
	}
	for i := 1; i < len(states); i++ {
		if states[i].NextLine < states[i-1].NextLine {
			t.Errorf("state went back from line %d to %d", states[i-1].NextLine, states[i].NextLine)
		}
	}
}

func TestRunSameKeysOnEveryRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "leads.csv", csvLines(25, nil))
	m := mustMapping(t, exampleMapping)
	keys := func() []string {
		sink := newFakeSink()
		if _, err := Run(context.Background(), Options{Path: path, Mapping: m, BatchSize: 10}, sink.ingest); err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, c := range sink.snapshot() {
			ks = append(ks, c.key)
		}
		slices.Sort(ks)
		return ks
	}
	a, b := keys(), keys()
	if !slices.Equal(a, b) || len(a) != 3 {
		t.Fatalf("keys differ between runs:\n%q\n%q", a, b)
	}
	if !strings.HasPrefix(a[0], "import:") || !strings.HasSuffix(a[0], ":12:10") {
		t.Errorf("key shape %q", a[0])
	}
	other := *m
	other.Source = "another"
	sink := newFakeSink()
	if _, err := Run(context.Background(), Options{Path: path, Mapping: &other, BatchSize: 10}, sink.ingest); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(a, sink.snapshot()[0].key) {
		t.Error("another mapping gave the same idempotency key")
	}
}

func TestRunRejectsBadSinkAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		res  func(b leads.Batch) *leads.Result
	}{
		{"no result", func(leads.Batch) *leads.Result { return nil }},
		{"too few rows", func(leads.Batch) *leads.Result { return &leads.Result{} }},
		{"index out of range", func(b leads.Batch) *leads.Result {
			return &leads.Result{Rows: []leads.RowResult{{Index: len(b.Rows), Status: leads.StatusCreated}}}
		}},
		{"unknown status", func(leads.Batch) *leads.Result {
			return &leads.Result{Rows: []leads.RowResult{{Index: 0, Status: "LOST"}}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "leads.csv", csvLines(1, nil))
			sink := func(_ context.Context, b leads.Batch) (*leads.Result, error) { return tc.res(b), nil }
			_, err := Run(context.Background(), Options{Path: path, Mapping: mustMapping(t, exampleMapping)}, sink)
			if err == nil || !strings.Contains(err.Error(), "batch from line 2") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestRunOptionErrors(t *testing.T) {
	t.Parallel()
	m := mustMapping(t, exampleMapping)
	path := writeFile(t, t.TempDir(), "leads.csv", csvLines(1, nil))
	sink := newFakeSink().ingest
	tests := []struct {
		name string
		opts Options
		sink Sink
		want string
	}{
		{"no path", Options{Mapping: m}, sink, "no CSV path"},
		{"no mapping", Options{Path: path}, sink, "no mapping"},
		{"no sink", Options{Path: path, Mapping: m}, nil, "no sink"},
		{"batch too big", Options{Path: path, Mapping: m, BatchSize: leads.MaxFileRows + 1}, sink, "batch size"},
		{"missing file", Options{Path: path + ".nope", Mapping: m}, sink, "no such file"},
		{"invalid mapping", Options{Path: path, Mapping: &Mapping{}}, sink, "no columns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Run(context.Background(), tc.opts, tc.sink); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRunProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "leads.csv", csvLines(100, nil))
	clock := &stepClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), step: 50 * time.Millisecond}
	var out bytes.Buffer
	opts := Options{Path: path, Mapping: mustMapping(t, exampleMapping), BatchSize: 2, Concurrency: 1, Progress: &out, Now: clock.Now}
	sum, err := Run(context.Background(), opts, newFakeSink().ingest)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var updates int
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "imported ") || !strings.Contains(l, "rows/s, ETA ") {
			t.Errorf("progress line %q", l)
		}
		updates++
	}
	// 50 batches, one clock reading each, 50 ms apart: a line every 200 ms.
	if updates < 10 || updates > 14 {
		t.Errorf("%d progress lines for 50 batches:\n%s", updates, out.String())
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "done: imported 100 rows created 100 merged 0 rejected 0 in ") {
		t.Errorf("final line %q", last)
	}
	if sum.Elapsed <= 0 {
		t.Errorf("elapsed %v", sum.Elapsed)
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	var out bytes.Buffer
	p := &progress{w: &out, now: func() time.Time { return now }, size: 1_000_000}
	p.begin(0, 0)
	now = start.Add(3 * time.Second)
	p.update(totals{Rows: 120000, Created: 100000, Merged: 15000, Rejected: 5000}, 123_000)
	want := "imported 120000 rows (12.3%) created 100000 merged 15000 rejected 5000 — 40000 rows/s, ETA 0:21\n"
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
	now = now.Add(100 * time.Millisecond)
	p.update(totals{Rows: 130000}, 130_000)
	if out.String() != want {
		t.Errorf("a second line within 200 ms: %q", out.String())
	}
	if got := formatClock(3723 * time.Second); got != "1:02:03" {
		t.Errorf("formatClock = %q", got)
	}
}

func TestRunResumeCountsLinesOfMultiLineRecords(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("phone,note\r\n")
	line := 2
	var starts []int
	for i := range 12 {
		starts = append(starts, line)
		if i%3 == 0 {
			b.WriteString("13" + strings.Repeat("0", i+1) + ",\"first\r\nsecond\n\nfourth\"\r\n")
			line += 4
		} else {
			b.WriteString("13" + strings.Repeat("0", i+1) + ",plain\n")
			line++
		}
		if i%4 == 1 {
			b.WriteString("\n\r\n") // blank lines are skipped but counted
			line += 2
		}
	}
	content := b.String()
	tests := []struct {
		name     string
		failFrom int // first line of the failing batch
		wantLine int // resume point
	}{
		// Batches hold two rows. Row 3, a 4-line record, ends the second batch.
		{"after a multi-line record", starts[4], starts[3] + 4},
		// Row 5 ends the third batch and blank lines follow it.
		{"before blank lines", starts[6], starts[5] + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "leads.csv", content)
			m := mustMapping(t, "columns: {phone: phone, note: attributes.note}\n")
			sink := newFakeSink()
			sink.failAfter = func(c sinkCall) error {
				if c.lines[0] == tc.failFrom {
					return errBoom
				}
				return nil
			}
			opts := Options{Path: path, Mapping: m, BatchSize: 2, Concurrency: 3}
			if _, err := Run(context.Background(), opts, sink.ingest); !errors.Is(err, errBoom) {
				t.Fatalf("first run: %v", err)
			}
			st, err := loadState(path + ".import-state.json")
			if err != nil || st == nil {
				t.Fatalf("state: %v %v", st, err)
			}
			if st.NextLine != tc.wantLine || st.Offset != offsetOfLine(content, tc.wantLine) {
				t.Errorf("resume at line %d offset %d, want line %d offset %d",
					st.NextLine, st.Offset, tc.wantLine, offsetOfLine(content, tc.wantLine))
			}
			sink.failAfter = nil
			if _, err := Run(context.Background(), opts, sink.ingest); err != nil {
				t.Fatal(err)
			}
			written := sink.writtenLines()
			if len(written) != len(starts) {
				t.Errorf("written lines %v, want %v", written, starts)
			}
			for _, l := range starts {
				if written[l] != 1 {
					t.Errorf("line %d written %d times", l, written[l])
				}
			}
			for _, c := range sink.snapshot() {
				for i, l := range c.lines {
					if got := c.rows[i].Attributes["note"]; slices.Index(starts, l)%3 == 0 && got != "first\nsecond\n\nfourth" {
						t.Errorf("line %d note %q", l, got)
					}
				}
			}
		})
	}
}
