// Package fielddefs manages a workspace's custom-field definitions (the
// low-code schema) and serves each workspace's validation schema from a cache
// that every process keeps current by comparing the workspace's schema version.
package fielddefs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/workspace"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/changetoken"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service owns field definitions and the per-workspace schema cache.
type Service struct {
	client *ent.Client
	queue  Enqueuer
	tokens *changetoken.Tokens // the schema tokens (versions.go)
	clock  func() time.Time    // nil: time.Now (tests move it past the recheck period)
	mu     sync.Mutex
	cache  map[uuid.UUID]*entry
}

type entry struct {
	version int64 // workspaces.schema_version the schema was built from
	schema  *fields.Schema
	mark    changetoken.Mark // the Redis token read before version was
}

// New returns a Service; queue schedules index builds (nil: none are scheduled).
func New(client *ent.Client, queue Enqueuer) *Service {
	return &Service{client: client, queue: queue, cache: map[uuid.UUID]*entry{}, tokens: changetoken.New(nil, tokenPrefix)}
}

// scheduleIndex asks a worker to bring the field's index in line with its
// flag, in the transaction ctx carries (the outbox row commits with the
// definition). A build that dies midway is restarted by the periodic sweep
// of stale definitions (jobs.TypeFieldIndexSweep).
func (s *Service) scheduleIndex(ctx context.Context, d *ent.FieldDefinition) error {
	if s.queue == nil {
		return nil
	}
	return s.queue.EnqueueFieldIndex(ctx, d.TenantID, d.ID)
}

// Schema returns the validation schema of the context's workspace. It costs
// one Redis read of the workspace's schema token (versions.go), or, without
// Redis, one indexed read of its schema version; definitions are reloaded
// only when another request, on any process, changed them.
func (s *Service) Schema(ctx context.Context) (*fields.Schema, error) {
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, tenant.ErrMissing
	}
	memo, _ := ctx.Value(memoKey{}).(*requestMemo)
	if memo != nil && ent.TxFromContext(ctx) == nil {
		memo.mu.Lock()
		defer memo.mu.Unlock()
		if memo.schema != nil {
			return memo.schema, nil
		}
	}
	sch, err := s.load(ctx, tid)
	if err == nil && memo != nil && ent.TxFromContext(ctx) == nil {
		memo.schema = sch
	}
	return sch, err
}

type memoKey struct{}

type requestMemo struct {
	mu     sync.Mutex
	schema *fields.Schema
}

// WithRequestMemo returns ctx in which Schema is looked up at most once, so a
// page of leads does not check the schema version once per lead.
func WithRequestMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &requestMemo{})
}

// Invalidate drops the request memo after the request changed the schema.
func Invalidate(ctx context.Context) {
	if memo, _ := ctx.Value(memoKey{}).(*requestMemo); memo != nil {
		memo.mu.Lock()
		memo.schema = nil
		memo.mu.Unlock()
	}
}

func (s *Service) load(ctx context.Context, tid uuid.UUID) (*fields.Schema, error) {
	// A transaction may see a version others do not: it always asks PostgreSQL.
	inTx := ent.TxFromContext(ctx) != nil
	var mark changetoken.Mark
	if !inTx {
		mark = s.tokens.Read(ctx, tid)
		if e := s.fresh(tid, mark); e != nil {
			if e.mark.Due(mark) {
				s.tokens.Refresh(tid, func(ctx context.Context) { _, _ = s.reload(ctx, tid, s.tokens.Read(ctx, tid)) })
			}
			return e.schema, nil
		}
	}
	return s.reload(ctx, tid, mark)
}

// reload reads the workspace's schema version, and its definitions when the
// version is not the cached one, and caches them under mark (read before
// them) unless ctx carries a transaction.
func (s *Service) reload(ctx context.Context, tid uuid.UUID, mark changetoken.Mark) (*fields.Schema, error) {
	inTx := ent.TxFromContext(ctx) != nil
	c := s.db(ctx)
	ws, err := c.Workspace.Query().Where(workspace.ID(tid)).Select(workspace.FieldSchemaVersion).Only(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	e := s.cache[tid]
	if e != nil && e.version == ws.SchemaVersion {
		if !inTx && e.mark.Older(mark) {
			s.cache[tid] = &entry{version: e.version, schema: e.schema, mark: mark}
		}
		s.mu.Unlock()
		return e.schema, nil
	}
	s.mu.Unlock()
	defs, err := c.FieldDefinition.Query().Order(ent.Asc(fielddefinition.FieldPosition), ent.Asc(fielddefinition.FieldKey)).All(ctx)
	if err != nil {
		return nil, err
	}
	sch, err := fields.NewSchema(Definitions(defs))
	if err != nil {
		return nil, fmt.Errorf("workspace field schema: %w", err)
	}
	// A transaction may see a version others do not; cache only what is committed.
	if !inTx {
		s.mu.Lock()
		s.cache[tid] = &entry{version: ws.SchemaVersion, schema: sch, mark: mark}
		s.mu.Unlock()
	}
	return sch, nil
}

// db is the client of the transaction ctx carries, else the root client.
func (s *Service) db(ctx context.Context) *ent.Client { return txn.Client(ctx, s.client) }

// Definitions converts stored definitions for the validator.
func Definitions(defs []*ent.FieldDefinition) []fields.Definition {
	out := make([]fields.Definition, len(defs))
	for i, d := range defs {
		out[i] = Definition(d)
	}
	return out
}

// Definition converts one stored definition for the validator.
func Definition(d *ent.FieldDefinition) fields.Definition {
	opts := make([]fields.Option, len(d.Options))
	for i, o := range d.Options {
		opts[i] = fields.Option{Value: o.Value, Label: o.Label}
	}
	var def any
	if d.DefaultValue != nil {
		def = *d.DefaultValue
	}
	return fields.Definition{
		Key: d.Key, Label: d.Label, Type: fields.Type(d.Type), Required: d.Required, Unique: d.Unique,
		Options: opts, Pattern: d.Pattern, Min: d.Min, Max: d.Max, Default: def, Archived: d.Archived,
	}
}

// Input is a new field definition.
type Input struct {
	Key          string
	Label        string
	Type         fielddefinition.Type
	HelpText     string
	Required     bool
	Unique       bool
	Options      []schematype.FieldOption
	Pattern      string
	Min, Max     *float64
	DefaultValue any
	Indexed      bool
	Position     *int
}

// Patch changes a definition; nil fields stay as they are.
type Patch struct {
	Label        *string
	HelpText     *string
	Type         *fielddefinition.Type
	Required     *bool
	Unique       *bool
	Options      []schematype.FieldOption
	Pattern      *string
	Min, Max     *float64
	ClearMin     bool
	ClearMax     bool
	DefaultValue any
	ClearDefault bool
	Indexed      *bool
	Position     *int
}

func settingsError(err error) error {
	field := "input"
	var se *fields.SettingsError
	if errors.As(err, &se) {
		switch se.Setting {
		case "options", "pattern", "min", "max", "type":
			field = "" + se.Setting
		case "default":
			field = "defaultValue"
		}
	}
	return apperr.Wrap(err, apperr.BadInput, field, err.Error())
}

// Create adds a field definition to the context's workspace.
func (s *Service) Create(ctx context.Context, in Input) (*ent.FieldDefinition, error) {
	c := s.db(ctx)
	in.Key = strings.TrimSpace(in.Key)
	if err := fields.ValidKey(in.Key); err != nil {
		return nil, apperr.Wrap(err, apperr.BadInput, "key", err.Error())
	}
	in.Label = strings.TrimSpace(in.Label)
	if in.Label == "" {
		return nil, apperr.Input("label", "label is required")
	}
	def := fields.Definition{Key: in.Key, Label: in.Label, Type: fields.Type(in.Type), Required: in.Required, Unique: in.Unique,
		Pattern: in.Pattern, Min: in.Min, Max: in.Max, Default: in.DefaultValue}
	for _, o := range in.Options {
		def.Options = append(def.Options, fields.Option{Value: o.Value, Label: o.Label})
	}
	f, ok := fields.Lookup(def.Type)
	if !ok {
		return nil, apperr.Input("type", "unknown field type %q", in.Type)
	}
	if err := f.ValidateSettings(def); err != nil {
		return nil, settingsError(err)
	}
	if n, err := c.FieldDefinition.Query().Where(fielddefinition.Key(in.Key)).Count(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, apperr.New(apperr.Conflict, "key", "a field with key %q exists (keys are never reused, even when archived)", in.Key)
	}
	if in.Position != nil && *in.Position < 0 {
		return nil, apperr.Input("position", "position must not be negative")
	}
	pos := 0
	if in.Position != nil {
		pos = *in.Position
	} else if n, err := c.FieldDefinition.Query().Count(ctx); err == nil {
		pos = n
	}
	q := c.FieldDefinition.Create().SetKey(in.Key).SetLabel(in.Label).SetType(in.Type).SetHelpText(in.HelpText).
		SetRequired(in.Required).SetUnique(in.Unique).SetOptions(orEmpty(in.Options)).SetPattern(in.Pattern).
		SetNillableMin(in.Min).SetNillableMax(in.Max).SetPosition(pos).SetIndexed(in.Indexed)
	if in.DefaultValue != nil {
		v := in.DefaultValue
		q.SetDefaultValue(&v)
	}
	if in.Indexed {
		q.SetIndexStatus(fielddefinition.IndexStatusPENDING)
	}
	d, err := q.Save(ctx)
	if err != nil {
		return nil, err
	}
	if d.Indexed {
		if err := s.scheduleIndex(ctx, d); err != nil {
			return nil, err
		}
	}
	return d, s.bumpVersion(ctx, c)
}

func orEmpty(o []schematype.FieldOption) []schematype.FieldOption {
	if o == nil {
		return []schematype.FieldOption{}
	}
	return o
}

// bumpVersion tells every process's cache that the workspace's schema
// changed: the version in the transaction, the Redis token after its commit.
func (s *Service) bumpVersion(ctx context.Context, c *ent.Client) error {
	Invalidate(ctx)
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return tenant.ErrMissing
	}
	if err := c.Workspace.UpdateOneID(tid).AddSchemaVersion(1).Exec(ctx); err != nil {
		return err
	}
	s.moveToken(ctx, tid)
	return nil
}

// List returns the workspace's definitions for entity in position order.
func (s *Service) List(ctx context.Context, entity fielddefinition.Entity, includeArchived bool) ([]*ent.FieldDefinition, error) {
	c := s.db(ctx)
	q := c.FieldDefinition.Query().Where(fielddefinition.EntityEQ(entity))
	if !includeArchived {
		q.Where(fielddefinition.Archived(false))
	}
	return q.Order(ent.Asc(fielddefinition.FieldPosition), ent.Asc(fielddefinition.FieldKey)).All(ctx)
}

// SetArchived archives or restores a definition. Stored values are kept either way.
func (s *Service) SetArchived(ctx context.Context, id uuid.UUID, archived bool) (*ent.FieldDefinition, error) {
	c := s.db(ctx)
	d, err := c.FieldDefinition.UpdateOneID(id).SetArchived(archived).Save(ctx)
	if err != nil {
		return nil, notFoundAtID(err)
	}
	return d, s.bumpVersion(ctx, c)
}

// Update changes a definition. A change that stored values would not survive
// (a type they do not convert to, a removed option in use, a tighter bound,
// required with leads lacking a value, unique with duplicates) is refused with
// CONFLICT and the number of leads in the way; nothing is written then.
func (s *Service) Update(ctx context.Context, id uuid.UUID, p Patch) (*ent.FieldDefinition, error) {
	c := s.db(ctx)
	old, err := c.FieldDefinition.Get(ctx, id)
	if err != nil {
		return nil, notFoundAtID(err)
	}
	def := Definition(old)
	u := c.FieldDefinition.UpdateOneID(id)
	if p.Label != nil {
		l := strings.TrimSpace(*p.Label)
		if l == "" {
			return nil, apperr.Input("label", "label is required")
		}
		def.Label = l
		u.SetLabel(l)
	}
	if p.HelpText != nil {
		u.SetHelpText(*p.HelpText)
	}
	if p.Type != nil {
		def.Type = fields.Type(*p.Type)
		u.SetType(*p.Type)
	}
	if p.Required != nil {
		def.Required = *p.Required
		u.SetRequired(*p.Required)
	}
	if p.Unique != nil {
		def.Unique = *p.Unique
		u.SetUnique(*p.Unique)
	}
	if p.Options != nil {
		def.Options = nil
		for _, o := range p.Options {
			def.Options = append(def.Options, fields.Option{Value: o.Value, Label: o.Label})
		}
		u.SetOptions(p.Options)
	}
	if p.Pattern != nil {
		def.Pattern = *p.Pattern
		u.SetPattern(*p.Pattern)
	}
	switch {
	case p.ClearMin:
		def.Min = nil
		u.ClearMin()
	case p.Min != nil:
		def.Min = p.Min
		u.SetMin(*p.Min)
	}
	switch {
	case p.ClearMax:
		def.Max = nil
		u.ClearMax()
	case p.Max != nil:
		def.Max = p.Max
		u.SetMax(*p.Max)
	}
	switch {
	case p.ClearDefault:
		def.Default = nil
		u.ClearDefaultValue()
	case p.DefaultValue != nil:
		def.Default = p.DefaultValue
		v := p.DefaultValue
		u.SetDefaultValue(&v)
	}
	if p.Position != nil {
		if *p.Position < 0 {
			return nil, apperr.Input("position", "position must not be negative")
		}
		u.SetPosition(*p.Position)
	}
	if p.Indexed != nil && *p.Indexed != old.Indexed {
		u.SetIndexed(*p.Indexed)
		// PENDING until a worker has built or dropped the index.
		u.SetIndexStatus(fielddefinition.IndexStatusPENDING)
	}
	f, ok := fields.Lookup(def.Type)
	if !ok {
		return nil, apperr.Input("type", "unknown field type %q", def.Type)
	}
	if err := f.ValidateSettings(def); err != nil {
		return nil, settingsError(err)
	}
	if err := checkStoredValues(ctx, c, def, old); err != nil {
		return nil, err
	}
	d, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	if d.Indexed != old.Indexed {
		if err := s.scheduleIndex(ctx, d); err != nil {
			return nil, err
		}
	}
	return d, s.bumpVersion(ctx, c)
}

// checkStoredValues reads the stored values of the field once and counts the
// leads a changed definition would strand.
func checkStoredValues(ctx context.Context, c *ent.Client, def fields.Definition, old *ent.FieldDefinition) error {
	valueRules := def.Type != fields.Type(old.Type) || def.Pattern != old.Pattern || !sameBound(def.Min, old.Min) ||
		!sameBound(def.Max, old.Max) || len(def.Options) != len(old.Options) || optionsChanged(def, old)
	needRequired := def.Required && !old.Required
	needUnique := def.Unique && !old.Unique
	if !valueRules && !needRequired && !needUnique {
		return nil
	}
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return tenant.ErrMissing
	}
	rows, err := c.QueryContext(ctx, `SELECT attributes -> $2 FROM leads WHERE tenant_id = $1 AND status = 'ACTIVE'`, tid, def.Key)
	if err != nil {
		return err
	}
	defer rows.Close()
	var bad, missing int
	seen := map[string]int{}
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		v, present := decode(raw)
		if !present {
			missing++
			continue
		}
		if valueRules && !fields.Convertible(def, v) {
			bad++
		}
		if needUnique {
			seen[string(raw)]++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if bad > 0 {
		return apperr.New(apperr.Conflict, "input", "%d leads have values of %q that the new definition would not accept", bad, def.Key)
	}
	if needRequired && missing > 0 {
		return apperr.New(apperr.Conflict, "required", "%d leads have no value for %q; fill them before making it required", missing, def.Key)
	}
	dups := 0
	for _, n := range seen {
		if n > 1 {
			dups += n
		}
	}
	if dups > 0 {
		return apperr.New(apperr.Conflict, "unique", "%d leads share values of %q; resolve the duplicates before making it unique", dups, def.Key)
	}
	return nil
}

func sameBound(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func optionsChanged(def fields.Definition, old *ent.FieldDefinition) bool {
	for i, o := range def.Options {
		if o.Value != old.Options[i].Value {
			return true
		}
	}
	return false
}

// notFoundAtID names the id argument in the NOT_FOUND of a definition the
// workspace does not have (an id of another type included).
func notFoundAtID(err error) error {
	if ent.IsNotFound(err) {
		return apperr.Wrap(err, apperr.NotFound, "id", "field definition not found")
	}
	return err
}
