package longjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/job"
	"github.com/scrmhq/scrm/ent/jobfile"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fields"
)

// Built-in export columns, spelled like the importer's targets where there
// is one, so an exported file imports back with a mapping of each header to
// itself.
var builtinColumns = []string{
	"externalID", "name", "phone", "email", "company", "source", "sourceDetail",
	"status", "score", "tier", "owner", "stage", "tags", "createdAt", "updatedAt",
}

// defaultColumns are exported when the caller names none, before every
// custom field of the workspace.
var defaultColumns = []string{
	"name", "phone", "email", "company", "source", "status", "tier", "score", "owner", "stage", "tags", "createdAt",
}

// ExportInput is an export to start.
type ExportInput struct {
	// Filter narrows the caller's leads (the leads query's where); nil
	// exports every lead the caller sees.
	Filter func(*ent.LeadQuery) (*ent.LeadQuery, error)
	// Columns name lead fields, custom field keys (bare or attributes.<key>)
	// and "tags"; nil for the default set.
	Columns []string
}

// StartExport checks the columns, finds the leads matching the filter
// under the caller's row scope (a snapshot: the leads that match now) and
// queues their export. The file is masked as the caller sees leads: the
// run uses the caller's decisions (contact grant, custom fields' masks).
func (s *Service) StartExport(ctx context.Context, in ExportInput) (*ent.Job, error) {
	cols, err := s.exportColumns(ctx, in.Columns)
	if err != nil {
		return nil, err
	}
	q := s.DB(ctx).Lead.Query()
	if in.Filter != nil {
		if q, err = in.Filter(q); err != nil {
			return nil, err
		}
	}
	seqs, err := q.Select(lead.FieldSeq).Ints(ctx)
	if err != nil {
		return nil, err
	}
	bm := roaring.New()
	for _, n := range seqs {
		bm.Add(uint32(n)) //nolint:gosec // per-workspace sequence numbers, far below 2^32
	}
	file, err := bm.ToBytes()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(input{Viewer: auth.FromContext(ctx), Columns: cols})
	if err != nil {
		return nil, err
	}
	return s.create(ctx, newJob{kind: job.KindEXPORT, input: raw, total: int(bm.GetCardinality()), file: file})
}

// exportColumns checks the requested columns (duplicates dropped) or
// returns the default ones; a custom field is named attributes.<key>.
func (s *Service) exportColumns(ctx context.Context, asked []string) ([]string, error) {
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	if asked == nil {
		cols := append([]string(nil), defaultColumns...)
		for _, d := range sch.Definitions() {
			if !d.Archived {
				cols = append(cols, "attributes."+d.Key)
			}
		}
		return cols, nil
	}
	if len(asked) == 0 {
		return nil, apperr.Input("columns", "name at least one column, or leave columns out for the default set")
	}
	var errs apperr.List
	seen := map[string]bool{}
	var cols []string
	for i, c := range asked {
		col, ok := columnName(sch, strings.TrimSpace(c))
		if !ok {
			errs = append(errs, apperr.Input(fmt.Sprintf("columns[%d]", i),
				"unknown column %q (want a lead field such as %s, a custom field key, or tags)", c, strings.Join(builtinColumns[:5], ", ")))
			continue
		}
		if !seen[col] {
			seen[col] = true
			cols = append(cols, col)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return cols, nil
}

// columnName resolves a requested column to its canonical name.
func columnName(sch *fields.Schema, c string) (string, bool) {
	for _, b := range builtinColumns {
		if strings.EqualFold(c, b) {
			return b, true
		}
	}
	key := strings.TrimPrefix(c, "attributes.")
	if d, ok := sch.Lookup(key); ok && !d.Archived {
		return "attributes." + key, true
	}
	return "", false
}

// exportBatch is the leads of one piece of an export's file.
const exportBatch = 1000

// utf8BOM starts every result file: Excel on Chinese Windows opens a CSV
// without it as GBK and garbles the names.
var utf8BOM = []byte("\uFEFF")

// runExport writes the file in pieces of exportBatch leads, in lead order
// (seq), each piece with the progress in one transaction. A retried run
// starts the file over, so no lead is written twice.
func (s *Service) runExport(ctx context.Context, j *ent.Job, in input) error {
	raw, err := s.readFile(ctx, j.ID, jobfile.KindINPUT)
	if err != nil {
		return err
	}
	bm := roaring.New()
	if err := bm.UnmarshalBinary(raw); err != nil {
		return fmt.Errorf("%w: the stored lead set: %w", ErrPermanent, err)
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	if _, err := s.DB(ctx).JobFile.Delete().Where(jobfile.JobID(j.ID), jobfile.KindEQ(jobfile.KindRESULT)).Exec(ctx); err != nil {
		return err
	}
	name := fmt.Sprintf("leads-%s.csv", s.Now().UTC().Format("20060102-150405"))
	if err := s.DB(ctx).Job.UpdateOneID(j.ID).SetResultName(name).Exec(ctx); err != nil {
		return err
	}
	w := &exportWriter{s: s, sch: sch, cols: in.Columns}
	head := append(append([]byte(nil), utf8BOM...), w.header()...)
	if err := withTx(ctx, s, func(ctx context.Context, c *ent.Client) error {
		return s.appendResult(ctx, c, j.ID, 0, head)
	}); err != nil {
		return err
	}
	it := bm.ManyIterator()
	buf := make([]uint32, exportBatch)
	done, failed := 0, 0
	for seq := 1; ; seq++ {
		n := it.NextMany(buf)
		if n == 0 {
			return nil
		}
		piece, written, err := w.rows(ctx, buf[:n])
		if err != nil {
			return err
		}
		done += n
		failed += n - written // deleted, or out of the caller's scope, since the export was asked for
		var cancelled bool
		if err := withTx(ctx, s, func(ctx context.Context, c *ent.Client) error {
			if err := s.appendResult(ctx, c, j.ID, seq, piece); err != nil {
				return err
			}
			cancelled, err = s.progress(ctx, c, j.ID, done, failed, nil)
			return err
		}); err != nil {
			return err
		}
		if cancelled {
			return ErrCancelled
		}
	}
}

// exportWriter renders leads as CSV rows, masked as the viewer of the
// context sees them.
type exportWriter struct {
	s     *Service
	sch   *fields.Schema
	cols  []string
	names map[uuid.UUID]string // users and stages by id
}

// header is the CSV header line.
func (w *exportWriter) header() []byte {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write(w.cols)
	cw.Flush()
	return b.Bytes()
}

// rows renders the leads with the given seqs that the viewer still sees.
func (w *exportWriter) rows(ctx context.Context, seqs []uint32) ([]byte, int, error) {
	ns := make([]int64, len(seqs))
	for i, n := range seqs {
		ns[i] = int64(n)
	}
	ls, err := w.s.DB(ctx).Lead.Query().Where(lead.SeqIn(ns...)).Order(ent.Asc(lead.FieldSeq)).
		WithTags().All(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := w.loadNames(ctx, ls); err != nil {
		return nil, 0, err
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	rec := make([]string, len(w.cols))
	for _, l := range ls {
		for i, c := range w.cols {
			rec[i] = w.cell(ctx, l, c)
		}
		if err := cw.Write(rec); err != nil {
			return nil, 0, err
		}
	}
	cw.Flush()
	return b.Bytes(), len(ls), cw.Error()
}

// loadNames reads the names of the owners and stages of ls it lacks.
func (w *exportWriter) loadNames(ctx context.Context, ls []*ent.Lead) error {
	if w.names == nil {
		w.names = map[uuid.UUID]string{}
	}
	var users, stages []uuid.UUID
	for _, l := range ls {
		if l.OwnerID != nil && w.names[*l.OwnerID] == "" {
			users = append(users, *l.OwnerID)
		}
		if l.StageID != nil && w.names[*l.StageID] == "" {
			stages = append(stages, *l.StageID)
		}
	}
	if len(users) > 0 {
		us, err := w.s.DB(ctx).User.Query().Where(user.IDIn(users...)).All(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			w.names[u.ID] = u.Name
		}
	}
	if len(stages) > 0 {
		st, err := w.s.DB(ctx).Stage.Query().Where(stage.IDIn(stages...)).All(ctx)
		if err != nil {
			return err
		}
		for _, x := range st {
			w.names[x.ID] = x.Name
		}
	}
	return nil
}

// cell is one value of a lead as the viewer sees it.
func (w *exportWriter) cell(ctx context.Context, l *ent.Lead, col string) string {
	if key, ok := strings.CutPrefix(col, "attributes."); ok {
		def, found := w.sch.Lookup(key)
		val, has := l.Attributes[key]
		if !found || !has || val == nil {
			return ""
		}
		return text(authz.MaskAttribute(ctx, def.Type, l.ID, val))
	}
	switch col {
	case "externalID":
		return deref(l.ExternalID)
	case "name":
		return l.Name
	case "phone":
		return masked(ctx, l, l.Phone, fields.TypePhone)
	case "email":
		return masked(ctx, l, l.Email, fields.TypeEmail)
	case "company":
		return l.Company
	case "source":
		return l.Source
	case "sourceDetail":
		return l.SourceDetail
	case "status":
		return string(l.Status)
	case "score":
		return strconv.Itoa(l.Score)
	case "tier":
		if l.Tier == nil {
			return ""
		}
		return string(*l.Tier)
	case "owner":
		if l.OwnerID == nil {
			return ""
		}
		return w.names[*l.OwnerID]
	case "stage":
		if l.StageID == nil {
			return ""
		}
		return w.names[*l.StageID]
	case "tags":
		names := make([]string, len(l.Edges.Tags))
		for i, t := range l.Edges.Tags {
			names[i] = t.Name
		}
		return strings.Join(names, "|")
	case "createdAt":
		return l.CreatedAt.UTC().Format(time.RFC3339)
	case "updatedAt":
		return l.UpdatedAt.UTC().Format(time.RFC3339)
	}
	return ""
}

// masked is a built-in contact field as the viewer may see it (the same
// decision as the GraphQL Lead.phone and Lead.email).
func masked(ctx context.Context, l *ent.Lead, v *string, t fields.Type) string {
	if v == nil {
		return ""
	}
	s, _ := authz.MaskAttribute(ctx, t, l.ID, *v).(string)
	return s
}

// text renders a custom field's stored value as a cell.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = text(p)
		}
		return strings.Join(parts, "|")
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
