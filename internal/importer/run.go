// Package importer streams a CSV file of leads into the ingest service:
// `scrm import leads.csv --workspace acme --map mapping.yaml`.
//
// A mapping file says which CSV column feeds which lead field:
//
//	source: expo-2026          # default source for rows (optional)
//	sourceDetail: booth 12     # optional
//	columns:                   # columns not listed are ignored
//	  手机号: phone             # externalID name phone email unionID openID company source sourceDetail tags
//	  预算: attributes.budget   # a custom field
//	  标签: tags                # several columns may feed tags
//	tagSeparator: "|"          # default "|"
//	delimiter: ","             # default ","
//	skipEmpty: true            # blank cells are "not given" (default true)
//
// Run reads the file once, in batches of at most leads.MaxFileRows rows, and
// never holds more than the rows of Concurrency batches in memory. Each batch carries an
// idempotency key derived from the file, the mapping and the batch's place in
// the file, so sending a batch again returns the stored answer instead of
// writing twice. After every batch acknowledged in order, a state file records
// where to resume; a later run with the same file and mapping continues from
// there. Rows that cannot become leads go to a rejects file with their line
// and the reasons.
package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/leads"
)

// Sink ingests one batch; the importer gives every batch a deterministic idempotency key.
type Sink func(ctx context.Context, b leads.Batch) (*leads.Result, error)

// Defaults of Options.
const (
	DefaultBatchSize = 2000
	// FileBatchSize is the batch size of `scrm import`, whose sink is
	// leads.Ingester.IngestFile (batches up to leads.MaxFileRows rows);
	// a sink of Ingest takes at most leads.MaxRows.
	FileBatchSize = 10000
	// FileFirstBatchSize is the first batch of `scrm import` (see
	// Options.FirstBatchSize).
	FileFirstBatchSize = 1000
	DefaultConcurrency = 2
	// DefaultSource is the batch source when the mapping names none.
	DefaultSource = "import"
)

// Options configure Run.
type Options struct {
	// Path is the CSV file.
	Path string
	// Mapping says which columns feed which fields; see ParseMapping.
	Mapping *Mapping
	// BatchSize is the rows per Sink call: DefaultBatchSize if zero, at most
	// leads.MaxFileRows (and at most leads.MaxRows for a sink of Ingest). A resumed import keeps the batch size it started with,
	// so that it sends the same idempotency keys.
	BatchSize int
	// FirstBatchSize, when set (1..BatchSize), makes the first batches
	// smaller: the first holds this many rows and each later one as many as
	// came before it, up to BatchSize. Nothing overlaps the first batch's
	// cleaning and staging, so `scrm import` starts writing sooner. A resumed
	// import keeps the value it started with.
	FirstBatchSize int
	// Concurrency is how many batches of BatchSize rows may be in flight at
	// once (DefaultConcurrency if zero): the rows of Concurrency×BatchSize.
	// While FirstBatchSize ramps the batches up, more of the smaller ones
	// fit in those rows, so the next ones are cleaned and staged while the
	// first are written. Results are still recorded in file order.
	Concurrency int
	// Progress receives human-readable progress lines; nil for none.
	Progress io.Writer
	// RejectsPath is where rejected rows go; "<Path>.rejects.csv" if empty.
	RejectsPath string
	// StatePath is the resume point; "<Path>.import-state.json" if empty.
	StatePath string
	// Actor is the user the batches are sent for (nil: the system).
	Actor *uuid.UUID
	// Restart ignores a saved resume point and imports the file from the top.
	Restart bool
	// Now is the clock for progress and Summary.Elapsed; time.Now if nil.
	Now func() time.Time
	// Checkpoint, when set, is called after each batch is recorded in file
	// order (its rejected rows flushed to RejectsPath, the resume point saved
	// to StatePath), so a caller can keep both somewhere more durable or stop
	// the import: an error stops it like an interruption, resumable.
	Checkpoint func(ctx context.Context, c Checkpoint) error
}

// Checkpoint is an import's progress after a batch was recorded; counts
// cover the whole import, including the runs it resumed.
type Checkpoint struct {
	Rows, Created, Merged, Rejected int
}

// Summary is the outcome of an import. Counts cover the whole import,
// including the runs this one resumed.
type Summary struct {
	// Rows is every data row seen: Created + Merged + Rejected.
	Rows     int
	Created  int
	Merged   int
	Rejected int
	// Batches is the number of Sink calls acknowledged.
	Batches int
	// Resumed is true when this run continued from a state file.
	Resumed bool
	// StartLine is the file line this run started reading at.
	StartLine int
	// Elapsed is this run's duration.
	Elapsed time.Duration
}

// withDefaults fills defaults and checks the options.
func (o Options) withDefaults() (Options, Mapping, error) {
	if o.Path == "" {
		return o, Mapping{}, errors.New("importer: no CSV path")
	}
	if o.Mapping == nil {
		return o, Mapping{}, errors.New("importer: no mapping")
	}
	m := o.Mapping.withDefaults()
	if err := m.Validate(); err != nil {
		return o, Mapping{}, err
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.BatchSize < 0 || o.BatchSize > leads.MaxFileRows {
		return o, Mapping{}, fmt.Errorf("importer: batch size %d is outside 1..%d", o.BatchSize, leads.MaxFileRows)
	}
	if o.FirstBatchSize < 0 || o.FirstBatchSize > o.BatchSize {
		return o, Mapping{}, fmt.Errorf("importer: first batch size %d is outside 0..%d (the batch size)", o.FirstBatchSize, o.BatchSize)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.RejectsPath == "" {
		o.RejectsPath = o.Path + ".rejects.csv"
	}
	if o.StatePath == "" {
		o.StatePath = o.Path + ".import-state.json"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, m, nil
}

// Run imports the CSV file at opts.Path through sink. On error the summary
// holds what was acknowledged before it, and the state file lets the same
// command resume; on success the state file is removed.
func Run(ctx context.Context, opts Options, sink Sink) (*Summary, error) {
	o, m, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("importer: no sink")
	}
	im, err := openImport(o, m)
	if err != nil {
		return nil, err
	}
	defer im.closeFile()
	return im.run(ctx, sink)
}

// importRun is one run of an import, from open to summary.
type importRun struct {
	opts      Options
	mapping   Mapping
	file      *os.File
	id        fileIdentity
	header    []string
	mapper    *rowMapper
	reader    *recordReader
	state     importState
	resumed   bool
	startLine int
	rejects   *rejectsFile
	progress  *progress
}

// openImport opens the file, reads and checks its header, and positions the
// reader at the resume point or after the header.
func openImport(o Options, m Mapping) (*importRun, error) {
	f, err := os.Open(o.Path) //nolint:gosec // the operator's own file
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	im := &importRun{opts: o, mapping: m, file: f}
	if err := im.prepare(); err != nil {
		im.closeFile()
		return nil, err
	}
	return im, nil
}

// prepare does openImport's work once the file is open.
func (im *importRun) prepare() error {
	info, err := im.file.Stat()
	if err != nil {
		return fmt.Errorf("importer: %w", err)
	}
	if info.IsDir() {
		return fmt.Errorf("importer: %s is a directory", im.opts.Path)
	}
	if im.id, err = identify(im.file, info.Size(), &im.mapping); err != nil {
		return err
	}
	fresh, err := im.readHeader()
	if err != nil {
		return err
	}
	im.rejects = &rejectsFile{path: im.opts.RejectsPath, header: im.header, delimiter: im.mapping.Delimiter}
	im.progress = &progress{w: im.opts.Progress, now: im.opts.Now, size: info.Size()}
	return im.position(fresh)
}

// readHeader reads the header from the top of the file, binds the mapping to
// it and sets the state to "just after the header".
func (im *importRun) readHeader() (*recordReader, error) {
	rr, err := openAtStart(im.file, im.mapping.Delimiter)
	if err != nil {
		return nil, err
	}
	head, err := rr.next()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s is empty, it needs a header line", ErrHeader, im.opts.Path)
	}
	if err != nil {
		return nil, err
	}
	if head.parseErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrHeader, head.parseErr)
	}
	im.header = cleanHeader(head.fields)
	if im.mapper, err = newRowMapper(im.mapping, im.header); err != nil {
		return nil, err
	}
	im.state = importState{
		Version:            stateVersion,
		Path:               im.opts.Path,
		Size:               im.id.size,
		ContentFingerprint: im.id.content,
		MappingFingerprint: im.id.mapping,
		BatchSize:          im.opts.BatchSize,
		FirstBatch:         im.opts.FirstBatchSize,
		NextLine:           head.endLine + 1,
		Offset:             head.endOffset,
	}
	return rr, nil
}

// position resumes from a matching state file or starts over, saying why on
// Progress when a state file is set aside.
func (im *importRun) position(fresh *recordReader) error {
	path := im.opts.StatePath
	saved, err := loadState(path)
	switch {
	case im.opts.Restart:
		if saved != nil || err != nil {
			im.progress.printf("restart requested: ignoring %s and starting over", path)
		}
	case err != nil:
		im.progress.printf("cannot use %s (%v): starting over", path, err)
	case saved == nil:
	case !saved.matches(im.id):
		im.progress.printf("%s was saved for a different file or mapping: starting over", path)
	case !im.usable(saved):
		im.progress.printf("%s points outside the file: starting over", path)
	default:
		return im.resume(saved)
	}
	return im.startOver(fresh)
}

// usable checks that a matching state points inside the data part of the file.
func (im *importRun) usable(saved *importState) bool {
	return saved.Offset >= im.state.Offset && saved.Offset <= im.id.size &&
		saved.NextLine >= im.state.NextLine &&
		saved.BatchSize > 0 && saved.BatchSize <= leads.MaxFileRows &&
		saved.FirstBatch >= 0 && saved.FirstBatch <= saved.BatchSize
}

// startOver drops an earlier state and rejects file and reads on after the
// header.
func (im *importRun) startOver(fresh *recordReader) error {
	if err := removeIfExists(im.opts.StatePath); err != nil {
		return err
	}
	if err := removeIfExists(im.opts.RejectsPath); err != nil {
		return err
	}
	im.reader = fresh
	im.startLine = im.state.NextLine
	return nil
}

// resume continues from a saved state: seek to its offset and count lines
// from its line.
func (im *importRun) resume(saved *importState) error {
	if _, err := im.file.Seek(saved.Offset, io.SeekStart); err != nil {
		return fmt.Errorf("importer: seek to the resume point: %w", err)
	}
	if saved.BatchSize != im.opts.BatchSize {
		im.progress.printf("keeping the batch size %d of the interrupted import", saved.BatchSize)
	}
	im.state = *saved
	im.state.Path = im.opts.Path
	im.reader = newRecordReader(bufio.NewReaderSize(im.file, readBufferSize), im.mapping.Delimiter, saved.Offset, saved.NextLine-1)
	im.resumed = true
	im.startLine = saved.NextLine
	im.progress.printf("resuming %s at line %d (%.1f%%): %d rows were imported before",
		im.opts.Path, saved.NextLine, im.progress.percent(saved.Offset), saved.Totals.Rows)
	return nil
}

// closeFile closes the CSV file.
func (im *importRun) closeFile() {
	_ = im.file.Close()
}

// run sends the batches and records their results in file order.
func (im *importRun) run(ctx context.Context, sink Sink) (*Summary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	im.progress.begin(im.state.Offset, im.state.Totals.Rows)

	seen := im.state.Totals.Rows
	slots := newRowBudget(im.opts.Concurrency, im.opts.BatchSize, im.state.FirstBatch)
	queue := make(chan *batch, slots.maxBatches)
	var readErr error
	go func() {
		defer close(queue)
		readErr = im.produce(ctx, sink, queue, slots, seen)
	}()

	var commitErr error
	for b := range queue {
		<-b.done
		if commitErr == nil {
			if commitErr = im.commit(ctx, b); commitErr != nil {
				cancel() // stop reading and the other calls in flight
			}
		}
		slots.release(b)
	}
	return im.finish(firstError(commitErr, readErr))
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// finish closes the rejects file, removes the state of a complete import
// and reports.
func (im *importRun) finish(err error) (*Summary, error) {
	if cerr := im.rejects.close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = removeIfExists(im.opts.StatePath)
	}
	elapsed := im.opts.Now().Sub(im.progress.start)
	sum := im.summary(elapsed)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("importer: interrupted: %w", err)
		}
		im.progress.stopped(im.state.Totals, im.state.NextLine, err)
		return sum, err
	}
	im.progress.done(im.state.Totals, elapsed, im.opts.RejectsPath)
	return sum, nil
}

// summary reports the totals so far.
func (im *importRun) summary(elapsed time.Duration) *Summary {
	t := im.state.Totals
	return &Summary{
		Rows: t.Rows, Created: t.Created, Merged: t.Merged, Rejected: t.Rejected, Batches: t.Batches,
		Resumed: im.resumed, StartLine: im.startLine, Elapsed: elapsed,
	}
}

// commit records an acknowledged batch: rejected rows, totals, then the
// resume point, in that order, so a crash never skips a row's outcome.
func (im *importRun) commit(ctx context.Context, b *batch) error {
	if b.err != nil {
		return fmt.Errorf("importer: batch from line %d (%s): %w", b.lines[0], b.key, b.err)
	}
	rejected, t, err := b.outcome()
	if err != nil {
		return err
	}
	if err := im.rejects.write(rejected); err != nil {
		return err
	}
	im.state.Totals.add(t)
	im.state.Offset, im.state.NextLine = b.endOffset, b.endLine+1
	if err := saveState(im.opts.StatePath, &im.state); err != nil {
		return err
	}
	im.progress.update(im.state.Totals, b.endOffset)
	if im.opts.Checkpoint == nil {
		return nil
	}
	sum := im.state.Totals
	return im.opts.Checkpoint(ctx, Checkpoint{Rows: sum.Rows, Created: sum.Created, Merged: sum.Merged, Rejected: sum.Rejected})
}

// add sums counts.
func (t *totals) add(u totals) {
	t.Rows += u.Rows
	t.Created += u.Created
	t.Merged += u.Merged
	t.Rejected += u.Rejected
	t.Batches += u.Batches
}

// batchSource is the source for rows that name none.
func (im *importRun) batchSource() string {
	if im.mapping.Source != "" {
		return im.mapping.Source
	}
	return DefaultSource
}
