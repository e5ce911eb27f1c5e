package importer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// batchSizes returns the size of each batch the sink wrote (replays left
// out) and its key, in file order.
func batchSizes(calls []sinkCall) (sizes []int, keys []string) {
	slices.SortFunc(calls, func(a, b sinkCall) int { return a.lines[0] - b.lines[0] })
	for _, c := range calls {
		if !c.replayed {
			sizes, keys = append(sizes, len(c.lines)), append(keys, c.key)
		}
	}
	return sizes, keys
}

func TestRunFirstBatchesRampUpByPosition(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Line 5 is rejected locally (too few fields): it counts toward the
	// batch it falls in, as a sent row does.
	content := csvLines(60, func(line int, text string) string {
		if line == 5 {
			return "x"
		}
		return text
	})
	path := writeFile(t, dir, "leads.csv", content)
	opts := Options{Path: path, Mapping: mustMapping(t, exampleMapping), BatchSize: 20, FirstBatchSize: 3, Concurrency: 2}

	whole := newFakeSink()
	if _, err := Run(context.Background(), opts, whole.ingest); err != nil {
		t.Fatal(err)
	}
	sizes, keys := batchSizes(whole.snapshot())
	// 3, 3, 6, 12, 20 and the rest (16); line 5's batch sends 2 rows.
	if want := []int{3, 2, 6, 12, 20, 16}; !slices.Equal(sizes, want) {
		t.Fatalf("batch sizes %v, want %v", sizes, want)
	}

	// An import stopped after the ramp's third batch and resumed cuts and
	// keys the same batches.
	again := writeFile(t, t.TempDir(), "leads.csv", content)
	opts.Path = again
	stopped := newFakeSink()
	stopped.failBefore = func(c sinkCall) error {
		if c.lines[0] >= 14 {
			return errBoom
		}
		return nil
	}
	opts.Concurrency = 1
	if _, err := Run(context.Background(), opts, stopped.ingest); !errors.Is(err, errBoom) {
		t.Fatalf("first run: %v", err)
	}
	st, err := loadState(again + ".import-state.json")
	if err != nil || st == nil || st.FirstBatch != 3 || st.Totals.Rows != 12 {
		t.Fatalf("state %+v, %v: want the first batch size kept and 12 rows seen", st, err)
	}
	stopped.failBefore = nil
	opts.FirstBatchSize = 0 // a resumed import keeps the ramp it started with
	sum, err := Run(context.Background(), opts, stopped.ingest)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Resumed || sum.Rows != 60 {
		t.Fatalf("summary %+v", sum)
	}
	sizes2, keys2 := batchSizes(stopped.snapshot())
	if !slices.Equal(sizes2, sizes) {
		t.Fatalf("resumed batch sizes %v, want %v", sizes2, sizes)
	}
	strip := func(keys []string) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = k[strings.Index(k, ":"):] // the prefix names the file path's import
		}
		return out
	}
	if got, want := strip(keys2), strip(keys); !slices.Equal(got, want) {
		t.Fatalf("resumed keys %v, want %v", got, want)
	}
	for line := 2; line <= 61; line++ {
		if line != 5 && stopped.writtenLines()[line] != 1 {
			t.Errorf("line %d written %d times", line, stopped.writtenLines()[line])
		}
	}
}

func TestRunRefusesAFirstBatchBiggerThanTheBatch(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "leads.csv", csvLines(3, nil))
	for _, n := range []int{-1, 11} {
		_, err := Run(context.Background(), Options{Path: path, Mapping: mustMapping(t, exampleMapping), BatchSize: 10, FirstBatchSize: n},
			newFakeSink().ingest)
		if err == nil || !strings.Contains(err.Error(), "first batch size") {
			t.Errorf("first batch size %d: %v", n, err)
		}
	}
}
