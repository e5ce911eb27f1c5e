package longjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/job"
	"github.com/scrmhq/scrm/ent/jobfile"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/importer"
	"github.com/scrmhq/scrm/internal/leads"
)

// ImportInput is an import to start.
type ImportInput struct {
	// Name is the uploaded file's name.
	Name string
	// File is the CSV file: UTF-8 (with or without a byte order mark) or GBK.
	File io.Reader
	// Size is the file's size as the upload announced it.
	Size int64
	// Mapping is the JSON form of a mapping file (docs/intake.md).
	Mapping any
	// IdempotencyKey (optional) returns the caller's earlier job with this key.
	IdempotencyKey string
}

// StartImport checks the mapping against the workspace's fields and the
// file's header, stores the file (as UTF-8) and queues the import. Input
// errors name mapping.<key>, csv or idempotencyKey and write nothing.
func (s *Service) StartImport(ctx context.Context, in ImportInput) (*ent.Job, error) {
	if err := checkKey(in.IdempotencyKey); err != nil {
		return nil, err
	}
	m, err := s.importMapping(ctx, in.Mapping)
	if err != nil {
		return nil, err
	}
	data, err := readUpload(in.File)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(m, data); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(input{Viewer: auth.FromContext(ctx), Mapping: string(m.YAML())})
	if err != nil {
		return nil, err
	}
	return s.create(ctx, newJob{kind: job.KindIMPORT, idempotencyKey: in.IdempotencyKey, input: raw,
		inputName: fileName(in.Name, "import.csv"), file: data})
}

// checkKey refuses an idempotency key longer than the column.
func checkKey(key string) error {
	if utf8.RuneCountInString(key) > 200 {
		return apperr.Input("idempotencyKey", "at most 200 characters")
	}
	return nil
}

// importMapping reads the mapping with the importer's own parser (a JSON
// object is a YAML map) and checks its custom fields against the
// workspace's; every problem is an input error at mapping.<key>.
func (s *Service) importMapping(ctx context.Context, raw any) (*importer.Mapping, error) {
	if _, ok := raw.(map[string]any); !ok {
		return nil, apperr.Input("mapping", `must be an object such as {"columns": {"手机号": "phone"}}`)
	}
	doc, err := json.Marshal(raw)
	if err != nil {
		return nil, apperr.Input("mapping", "is not valid JSON")
	}
	m, err := importer.ParseMapping(doc)
	if err != nil {
		return nil, mappingErrors(err)
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	var errs apperr.List
	for _, c := range m.Columns {
		key, ok := c.Target.Attribute()
		if !ok {
			continue
		}
		if def, found := sch.Lookup(key); !found || def.Archived {
			errs = append(errs, apperr.Input("mapping.columns."+c.Header, "no custom field has the key %q", key))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// mappingErrors turns the parser's errors into input errors at
// mapping.<key> (their lines mean nothing in a JSON value).
func mappingErrors(err error) error {
	var errs apperr.List
	var walk func(error)
	walk = func(err error) {
		var me *importer.MappingError
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				walk(e)
			}
			return
		}
		if errors.As(err, &me) {
			field := "mapping"
			if me.Key != "" {
				field += "." + me.Key
			}
			errs = append(errs, apperr.Input(field, "%s", me.Msg))
			return
		}
		errs = append(errs, apperr.Input("mapping", "%s", err.Error()))
	}
	walk(err)
	return errs.Err()
}

// readUpload reads the file and returns it as UTF-8: valid UTF-8 stays as
// it is, anything else is read as GBK (GB18030, its superset), the encoding
// Excel writes CSV files in on Chinese Windows.
func readUpload(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, apperr.Input("csv", "no file was uploaded")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.BadInput, "csv", "the file could not be read")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, apperr.Input("csv", "the file is empty; it needs a header row")
	}
	if utf8.Valid(data) {
		return data, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.BadInput, "csv", "the file is neither UTF-8 nor GBK text")
	}
	return out, nil
}

// checkHeader reads the file's first record and refuses a file whose header
// lacks or repeats a mapped column.
func checkHeader(m *importer.Mapping, data []byte) error {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	r.Comma = m.Delimiter
	if r.Comma == 0 {
		r.Comma = importer.DefaultDelimiter
	}
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return apperr.Wrap(err, apperr.BadInput, "csv", "the header row cannot be read: "+err.Error())
	}
	if err := m.CheckHeader(header); err != nil {
		msg := strings.TrimPrefix(err.Error(), importer.ErrHeader.Error()+": ")
		return apperr.Wrap(err, apperr.BadInput, "csv", strings.ReplaceAll(msg, "\n"+importer.ErrHeader.Error()+": ", "; "))
	}
	return nil
}

// fileName keeps the base name of an uploaded file, or def.
func fileName(name, def string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || strings.TrimSpace(name) == "" {
		return def
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// importBatchSize is the rows of one ingest batch of an import job: small
// enough that a cancel waits a few seconds at most and progress moves
// often, large enough for the file ingest (leads.IngestFile) to pay off.
var importBatchSize = 5000

// runImport runs the importer over the job's file in a working directory
// of its own, sending each batch with an idempotency key of the job. After
// every batch the importer's resume point, the new rejected rows and the
// counts are written to the job in one transaction; a retried run starts
// from there (the working files are rebuilt from the job), so a batch the
// crashed run sent but did not record is answered from its stored result.
func (s *Service) runImport(ctx context.Context, j *ent.Job, in input) error {
	m, err := importer.ParseMapping([]byte(in.Mapping))
	if err != nil {
		return fmt.Errorf("%w: the stored mapping: %w", ErrPermanent, err)
	}
	dir, err := os.MkdirTemp(s.TempDir, "scrm-import-*")
	if err != nil {
		return fmt.Errorf("longjob: working directory: %w", err)
	}
	defer os.RemoveAll(dir) //nolint:errcheck // best effort: a temporary directory
	w, err := s.prepareImport(ctx, j, dir)
	if err != nil {
		return err
	}
	actor := in.Viewer
	opts := importer.Options{
		Path: w.csv, Mapping: m, StatePath: w.state, RejectsPath: w.rejects,
		BatchSize: importBatchSize, Concurrency: 1, Now: s.Now,
		Checkpoint: func(ctx context.Context, cp importer.Checkpoint) error { return w.checkpoint(ctx, s, j, cp) },
	}
	if actor != nil && actor.UserID != uuid.Nil {
		id := actor.UserID
		opts.Actor = &id
	}
	prefix := "job:" + j.ID.String() + ":"
	_, err = importer.Run(ctx, opts, func(ctx context.Context, b leads.Batch) (*leads.Result, error) {
		if err := s.stillWanted(ctx, j.ID); err != nil {
			return nil, err
		}
		b.IdempotencyKey = prefix + b.IdempotencyKey
		if actor != nil {
			b.PartnerID = actor.PartnerID
		}
		return s.Ingester.IngestFile(ctx, b)
	})
	if errors.Is(err, ErrCancelled) {
		return ErrCancelled
	}
	if errors.Is(err, importer.ErrHeader) || errors.Is(err, importer.ErrMapping) {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	if err != nil {
		return err
	}
	return w.finish(ctx, s, j)
}

// importFiles are an import run's working files and how much of the
// rejects file the job already holds.
type importFiles struct {
	csv, state, rejects string
	// saved is the length of the rejects file the job holds; seq the next
	// piece's number.
	saved int64
	seq   int
}

// prepareImport writes the job's file, and the resume point and rejected
// rows of an earlier run, into dir.
func (s *Service) prepareImport(ctx context.Context, j *ent.Job, dir string) (*importFiles, error) {
	w := &importFiles{csv: filepath.Join(dir, "input.csv"), state: filepath.Join(dir, "state.json"),
		rejects: filepath.Join(dir, "rejects.csv")}
	data, err := s.readFile(ctx, j.ID, jobfile.KindINPUT)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(w.csv, data, 0o600); err != nil {
		return nil, fmt.Errorf("longjob: write the working file: %w", err)
	}
	if j.Total == 0 {
		if err := s.countRows(ctx, j, data); err != nil {
			return nil, err
		}
	}
	if len(j.State) == 0 {
		return w, nil
	}
	if err := os.WriteFile(w.state, j.State, 0o600); err != nil {
		return nil, fmt.Errorf("longjob: write the resume point: %w", err)
	}
	n, err := s.DB(ctx).JobFile.Query().Where(jobfile.JobID(j.ID), jobfile.KindEQ(jobfile.KindRESULT)).Count(ctx)
	if err != nil {
		return nil, err
	}
	rejected, err := s.readFile(ctx, j.ID, jobfile.KindRESULT)
	if err != nil {
		return nil, err
	}
	if len(rejected) > 0 {
		if err := os.WriteFile(w.rejects, rejected, 0o600); err != nil {
			return nil, fmt.Errorf("longjob: write the rejected rows: %w", err)
		}
	}
	w.saved, w.seq = int64(len(rejected)), n
	return w, nil
}

// countRows sets the job's total to the number of data lines of the file,
// so clients can show a percentage (records spanning lines count once per
// record; the importer's own count is what done reports).
func (s *Service) countRows(ctx context.Context, j *ent.Job, data []byte) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	n := -1 // the header
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return nil // an estimate only
		}
		n++
	}
	j.Total = max(n, 0)
	return s.DB(ctx).Job.UpdateOneID(j.ID).SetTotal(j.Total).Exec(ctx)
}

// checkpoint records a batch: the new rejected rows, the counts and the
// resume point, in one transaction; ErrCancelled stops the import.
func (w *importFiles) checkpoint(ctx context.Context, s *Service, j *ent.Job, cp importer.Checkpoint) error {
	if beforeCheckpoint != nil {
		if err := beforeCheckpoint(ctx, j.ID, cp); err != nil {
			return err
		}
	}
	state, err := os.ReadFile(w.state)
	if err != nil {
		return fmt.Errorf("longjob: read the resume point: %w", err)
	}
	fresh, err := readFrom(w.rejects, w.saved)
	if err != nil {
		return err
	}
	var cancelled bool
	err = withTx(ctx, s, func(ctx context.Context, c *ent.Client) error {
		if err := s.appendResult(ctx, c, j.ID, w.seq, fresh); err != nil {
			return err
		}
		if len(fresh) > 0 {
			if err := c.Job.UpdateOneID(j.ID).SetResultName(rejectsName(j)).Exec(ctx); err != nil {
				return err
			}
		}
		cancelled, err = s.progress(ctx, c, j.ID, cp.Rows, cp.Rejected, state)
		return err
	})
	if err != nil {
		return err
	}
	if len(fresh) > 0 {
		w.saved += int64(len(fresh))
		w.seq++
	}
	if cancelled {
		return ErrCancelled
	}
	return nil
}

// beforeCheckpoint, set by tests only, runs when a batch was sent and
// before it is recorded: to cancel the job there, or to fail as a worker
// that dies at that moment would.
var beforeCheckpoint func(ctx context.Context, id uuid.UUID, cp importer.Checkpoint) error

// finish records the end of a complete import: the importer removes its
// resume point, and nothing remains to be resumed.
func (w *importFiles) finish(ctx context.Context, s *Service, j *ent.Job) error {
	return s.DB(ctx).Job.UpdateOneID(j.ID).ClearState().Exec(ctx)
}

// rejectsName names the rejected rows' file after the upload.
func rejectsName(j *ent.Job) string {
	base := "import.csv"
	if j.InputName != nil {
		base = *j.InputName
	}
	return strings.TrimSuffix(base, filepath.Ext(base)) + "-rejected.csv"
}

// readFrom returns the bytes of path from offset on (none if the file does
// not exist yet).
func readFrom(path string, offset int64) ([]byte, error) {
	f, err := os.Open(path) //nolint:gosec // the run's own working file
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("longjob: read the rejected rows: %w", err)
	}
	defer f.Close() //nolint:errcheck // read only
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("longjob: read the rejected rows: %w", err)
	}
	return io.ReadAll(f)
}
