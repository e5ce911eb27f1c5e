package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/sync/semaphore"

	"github.com/scrmhq/scrm/internal/leads"
)

// batch is a run of consecutive CSV lines: the rows sent in one Sink call
// and the lines rejected locally among them.
type batch struct {
	rows  []leads.Row
	lines []int      // CSV line of each row
	raw   [][]string // CSV fields of each row, for the rejects file
	// rejects are lines rejected before sending.
	rejects []rejectedRow
	// endOffset and endLine are where the batch's last line ends.
	endOffset int64
	endLine   int
	key       string

	// Set by the Sink call before done is closed.
	res  *leads.Result
	err  error
	done chan struct{}
}

// size counts the lines the batch holds; it bounds memory even in a file
// where every line is rejected.
func (b *batch) size() int { return len(b.rows) + len(b.rejects) }

// linesKey carries the CSV lines of a batch to its Sink call.
type linesKey struct{}

// LinesFromContext returns the CSV line of each row of the batch a Sink is
// called with, in row order; nil outside a Sink call. Sinks may use it to log
// or report by line.
func LinesFromContext(ctx context.Context) []int {
	lines, _ := ctx.Value(linesKey{}).([]int)
	return lines
}

// produce reads the file, cuts batches and starts their Sink calls, at most
// the rows of slots (Concurrency batches of BatchSize) unrecorded at a time.
// seen is how many data rows (sent or rejected locally) the file had
// before this run's first batch.
func (im *importRun) produce(ctx context.Context, sink Sink, queue chan<- *batch, slots *rowBudget, seen int) error {
	b := &batch{}
	limit := im.state.batchLimit(seen)
	for {
		rec, err := im.reader.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		im.add(b, rec)
		if b.size() >= limit {
			if err := im.dispatch(ctx, sink, b, queue, slots); err != nil {
				return err
			}
			seen += b.size()
			limit = im.state.batchLimit(seen)
			b = &batch{}
		}
	}
	if b.size() == 0 {
		return nil
	}
	return im.dispatch(ctx, sink, b, queue, slots)
}

// batchLimit is the size of the batch that starts after seen data rows of
// the file: BatchSize, or with FirstBatch set, FirstBatch at the top of the
// file and then as many rows as came before, up to BatchSize (1,000, 1,000,
// 2,000, 4,000, 8,000, 10,000, ...). It depends only on the position, so a
// resumed import cuts, and keys, its batches as the interrupted one did.
func (s *importState) batchLimit(seen int) int {
	if s.FirstBatch <= 0 {
		return s.BatchSize
	}
	return min(s.BatchSize, max(s.FirstBatch, seen))
}

// add puts one record into the batch as a row or as a rejected line.
func (im *importRun) add(b *batch, rec record) {
	b.endOffset, b.endLine = rec.endOffset, rec.endLine
	switch {
	case rec.parseErr != nil:
		b.rejects = append(b.rejects, rejectedRow{line: rec.line, errs: []leads.RowError{{
			Code: CodeInvalidRow, Message: rec.parseErr.Error(),
		}}})
	case len(rec.fields) != len(im.header):
		b.rejects = append(b.rejects, rejectedRow{line: rec.line, fields: slices.Clone(rec.fields), errs: []leads.RowError{{
			Code:    CodeInvalidRow,
			Message: fmt.Sprintf("line %d has %d fields, the header has %d", rec.line, len(rec.fields), len(im.header)),
		}}})
	default:
		b.rows = append(b.rows, im.mapper.row(rec.fields))
		b.lines = append(b.lines, rec.line)
		b.raw = append(b.raw, slices.Clone(rec.fields))
	}
}

// dispatch queues b for recording and starts its Sink call. The key names
// the import and the batch's first row and size, so the same file and
// mapping always give a batch the same key.
func (im *importRun) dispatch(ctx context.Context, sink Sink, b *batch, queue chan<- *batch, slots *rowBudget) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := slots.acquire(ctx, b); err != nil {
		return err
	}
	b.done = make(chan struct{})
	if len(b.rows) == 0 {
		close(b.done)
		queue <- b
		return nil
	}
	b.key = fmt.Sprintf("%s:%d:%d", im.id.keyPrefix, b.lines[0], len(b.rows))
	req := leads.Batch{IdempotencyKey: b.key, Source: im.batchSource(), Rows: b.rows, Actor: im.opts.Actor}
	queue <- b // never blocks: the queue has a place for every batch the budget admits
	go func() {
		defer close(b.done)
		b.res, b.err = sink(context.WithValue(ctx, linesKey{}, b.lines), req)
	}()
	return nil
}

// outcome checks the Sink's answer and returns the batch's rejected lines
// (local and from the Sink, by line) and counts.
func (b *batch) outcome() ([]rejectedRow, totals, error) {
	t := totals{Rows: b.size(), Rejected: len(b.rejects)}
	rejected := b.rejects
	if len(b.rows) == 0 {
		return rejected, t, nil
	}
	t.Batches = 1
	if err := b.checkResult(); err != nil {
		return nil, totals{}, fmt.Errorf("importer: batch from line %d (%s): %w", b.lines[0], b.key, err)
	}
	for _, rr := range b.res.Rows {
		switch rr.Status {
		case leads.StatusCreated:
			t.Created++
		case leads.StatusMerged:
			t.Merged++
		case leads.StatusRejected:
			t.Rejected++
			rejected = append(rejected, rejectedRow{line: b.lines[rr.Index], fields: b.raw[rr.Index], errs: rr.Errors})
		}
	}
	slices.SortFunc(rejected, func(x, y rejectedRow) int { return cmp.Compare(x.line, y.line) })
	return rejected, t, nil
}

// checkResult refuses an answer that does not account for every row once.
func (b *batch) checkResult() error {
	if b.res == nil {
		return errors.New("the sink returned no result")
	}
	if len(b.res.Rows) != len(b.rows) {
		return fmt.Errorf("the sink answered %d rows for %d", len(b.res.Rows), len(b.rows))
	}
	seen := make([]bool, len(b.rows))
	for _, rr := range b.res.Rows {
		if rr.Index < 0 || rr.Index >= len(b.rows) || seen[rr.Index] {
			return fmt.Errorf("the sink answered for row index %d twice or out of range", rr.Index)
		}
		seen[rr.Index] = true
		switch rr.Status {
		case leads.StatusCreated, leads.StatusMerged, leads.StatusRejected:
		default:
			return fmt.Errorf("the sink answered status %q for row %d", rr.Status, rr.Index)
		}
	}
	return nil
}

// rowBudget bounds the rows of the batches in flight (sent and not yet
// recorded) to Concurrency batches of BatchSize. A ramp of first batches
// (Options.FirstBatchSize) then has more, smaller batches in flight: while
// the first is written, the ones after it are cleaned and staged, instead
// of one at a time, each twice the size of the one being written.
type rowBudget struct {
	sem *semaphore.Weighted
	// maxBatches is the most batches the budget admits at once (the
	// length of the record queue).
	maxBatches int
}

func newRowBudget(concurrency, batchSize, firstBatch int) *rowBudget {
	smallest := batchSize
	if firstBatch > 0 {
		smallest = firstBatch
	}
	return &rowBudget{
		sem:        semaphore.NewWeighted(int64(concurrency * batchSize)),
		maxBatches: concurrency*batchSize/smallest + 1,
	}
}

// acquire waits until b's lines fit in the budget. Every batch weighs at
// least one line, so a batch with no lines still counts.
func (r *rowBudget) acquire(ctx context.Context, b *batch) error {
	return r.sem.Acquire(ctx, b.weight())
}

// release returns b's lines to the budget once b is recorded.
func (r *rowBudget) release(b *batch) { r.sem.Release(b.weight()) }

func (b *batch) weight() int64 { return int64(max(1, b.size())) }
