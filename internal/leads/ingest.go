package leads

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/idempotency"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// SchemaSource returns the caller's workspace field schema (fielddefs.Service).
type SchemaSource interface {
	Schema(ctx context.Context) (*fields.Schema, error)
}

// Ingested is what an ingest hands to the background, in its transaction:
// the new leads to assign and score, the merged ones to re-score, and the
// notifications to deliver.
type Ingested struct {
	TenantID      uuid.UUID
	Created       []uuid.UUID
	Merged        []uuid.UUID
	Notifications []uuid.UUID
}

// Enqueuer queues the background work of an ingest (jobs.Queue) in the
// transaction ctx carries.
type Enqueuer interface {
	LeadsIngested(ctx context.Context, in Ingested) error
}

// Ingester turns raw rows into clean, de-duplicated leads. One Ingester
// serves every workspace; the workspace comes from the context.
type Ingester struct {
	Client *ent.Client
	Fields SchemaSource
	Queue  Enqueuer // nil: nothing is queued (tools, tests)
	Clock  func() time.Time
	// Watcher learns, in the batch's transaction, which leads were created
	// (journeys triggered by new leads); nil: nobody.
	Watcher CreateWatcher
	// TagWatcher learns, in the batch's transaction, which leads the batch's
	// own tag writer really tagged (journeys triggered by a tag); nil:
	// nobody.
	TagWatcher TagWatcher
	// Events hears, in the batch's transaction, of the lead.duplicate
	// events the batch records (journeys triggered by an event); nil:
	// nobody.
	Events *events.Recorder

	fileWrites sync.Map // workspace id -> *sync.Mutex: see IngestFile
}

// CreateWatcher is told about new leads (internal/journey).
type CreateWatcher interface {
	LeadsCreated(ctx context.Context, leads []uuid.UUID) error
}

// TagWatcher is told which leads got which tags (tag → leads; internal/journey).
type TagWatcher interface {
	TagsAdded(ctx context.Context, added map[uuid.UUID][]uuid.UUID) error
}

// maxAttempts bounds the retries of a batch that lost a race (a concurrent
// ingest inserted one of its people first) or a deadlock.
const maxAttempts = 12

// errRaced restarts a batch whose insert found a person a concurrent ingest
// committed after the batch looked: the next attempt merges into it.
var errRaced = errors.New("leads: concurrent ingest inserted the same person")

// Ingest cleans, de-duplicates and writes one batch in one transaction and
// returns a result per row. Bad rows are REJECTED with their errors and
// write nothing; the rest are CREATED or MERGED into the existing active
// lead with the same phone, email, unionID or externalID (or into an earlier
// row of the batch). The identity indexes make this race-free: a batch that
// loses a race to a concurrent one is retried and merges instead.
//
// With an idempotency key the answer is stored with the writes; a request
// with the same key and the same rows gets that answer and writes nothing,
// and one with the same key and other rows is a CONFLICT.
func (in *Ingester) Ingest(ctx context.Context, b Batch) (*Result, error) {
	return in.ingest(ctx, b, MaxRows, false)
}

// IngestFile is Ingest for the batches of a file import (internal/importer):
// the same cleaning, dedup, merging and answers, for up to MaxFileRows rows
// per batch. The writes of concurrent IngestFile calls for one workspace run
// one at a time in this process, from the match to the commit, while their
// cleaning, idempotency claim, blacklist check and staging of new leads
// overlap: the batches of one file share people (a file repeats its
// people), and a batch matched beside the one before it would wait on that
// batch's uncommitted leads and then redo its insert to merge into them.
func (in *Ingester) IngestFile(ctx context.Context, b Batch) (*Result, error) {
	return in.ingest(ctx, b, MaxFileRows, true)
}

// ingest is Ingest for batches of at most limit rows; ordered runs the
// write after the other ordered writes of the workspace.
func (in *Ingester) ingest(ctx context.Context, b Batch, limit int, ordered bool) (*Result, error) {
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, tenant.ErrMissing
	}
	if len(b.Rows) == 0 {
		return nil, apperr.Input("leads", "give at least one lead")
	}
	if len(b.Rows) > limit {
		return nil, apperr.New(apperr.LimitExceeded, "leads", "at most %d leads per batch; split the input", limit)
	}
	if len(b.IdempotencyKey) > 200 {
		return nil, apperr.Input("idempotencyKey", "at most 200 characters")
	}
	now := b.Now
	if now.IsZero() {
		now = in.now()
	}
	hash, err := requestHash(b)
	if err != nil {
		return nil, err
	}
	sch, err := in.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	// A caller's transaction (ctx carries it) is joined: the batch commits
	// or rolls back with it, and its lead numbers are reserved in it too.
	// Otherwise the batch gets its own and reserves lead numbers outside it,
	// so concurrent batches do not queue on the workspace row.
	db := txn.Client(ctx, in.Client)
	settings, err := workspace.SettingsOf(ctx, db, tid)
	if err != nil {
		return nil, err
	}
	// A file batch cleans on one goroutine: it overlaps the batch being
	// written, whose round trips then find a core free.
	workers := runtime.GOMAXPROCS(0)
	if ordered {
		workers = 1
	}
	rows := cleanRows(b.Rows, sch, settings.DefaultRegion, b.Source, workers)
	groups := groupRows(rows)
	validateNew(groups, sch)

	// Only a batch in its own transaction waits its turn: one inside a
	// caller's would hold that transaction's locks while it waits. The turn
	// starts after the batch has staged its new leads (writer.run) and ends
	// after its commit, when the next batch can see its leads.
	var turn func()
	if ordered && db == in.Client {
		mu, held := in.writeLock(tid), false
		turn = func() {
			if !held {
				mu.Lock()
				held = true
			}
		}
		defer func() {
			if held {
				mu.Unlock()
			}
		}()
	}
	var res *Result
	err = txn.Retry(ctx, db, maxAttempts, retryable, func(ctx context.Context, tx *ent.Client) error {
		w := &writer{root: db, c: tx, tid: tid, now: now, sch: sch, batch: b, rows: rows, groups: groups, hash: hash, file: ordered, turn: turn,
			watchTags: in.TagWatcher != nil}
		var err error
		if res, err = w.run(ctx); err != nil {
			return err
		}
		if in.Watcher != nil && !res.Replayed && len(w.ingested.Created) > 0 {
			if err := in.Watcher.LeadsCreated(ctx, w.ingested.Created); err != nil {
				return err
			}
		}
		if in.TagWatcher != nil && !res.Replayed && len(w.tagged) > 0 {
			if err := in.TagWatcher.TagsAdded(ctx, w.tagged); err != nil {
				return err
			}
		}
		if !res.Replayed && len(w.duplicated) > 0 {
			if err := in.Events.Recorded(ctx, tx, map[string][]uuid.UUID{EventDuplicate: w.duplicated}); err != nil {
				return err
			}
		}
		return in.queue(ctx, tid, res, w.ingested)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// queue asks for the batch's background work in the batch's transaction
// (the outbox), so it exists exactly when the leads do.
func (in *Ingester) queue(ctx context.Context, tid uuid.UUID, res *Result, done Ingested) error {
	if res.Replayed || in.Queue == nil || len(done.Created)+len(done.Merged)+len(done.Notifications) == 0 {
		return nil
	}
	done.TenantID = tid
	return in.Queue.LeadsIngested(ctx, done)
}

// writeLock is the lock that orders the IngestFile writes of workspace tid.
func (in *Ingester) writeLock(tid uuid.UUID) *sync.Mutex {
	mu, _ := in.fileWrites.LoadOrStore(tid, &sync.Mutex{})
	return mu.(*sync.Mutex)
}

func (in *Ingester) now() time.Time {
	if in.Clock != nil {
		return in.Clock()
	}
	return time.Now()
}

// retryable reports whether err is a lost race a new attempt resolves: a
// unique violation means a concurrent batch inserted the same person, whom
// the next attempt merges into.
func retryable(err error) bool {
	var pe *pq.Error
	return errors.Is(err, errRaced) || txn.LostRace(err) || (errors.As(err, &pe) && pe.Code == "23505")
}

// requestHash fingerprints a batch so a reused idempotency key with other
// content is told apart from a retry.
func requestHash(b Batch) (string, error) {
	return idempotency.Hash(struct {
		Source string
		Rows   []Row
	}{b.Source, b.Rows})
}

// writer is one attempt at writing a batch, inside its transaction.
type writer struct {
	c      *ent.Client // the transaction
	root   *ent.Client // for lead numbers: outside the batch's own transaction, or the caller's
	tid    uuid.UUID
	now    time.Time
	sch    *fields.Schema
	batch  Batch
	rows   []cleanRow
	groups []*group
	hash   string
	// file: a batch of IngestFile, which stages its new leads (stage).
	file bool
	// turn waits until the batch may match and write (IngestFile); nil:
	// at once.
	turn func()

	// per attempt
	rejected map[int][]RowError // row index -> errors found in the transaction
	targets  map[*group]*existing
	held     map[string]*existing // identity key -> active lead holding it
	attrs    map[*group]map[string]any
	created  map[*group]uuid.UUID
	staged   map[*group]stagedLead
	// stageID and poolID are where new leads start (defaults, read by
	// stage or insert).
	stageID, poolID *uuid.UUID
	ingested        Ingested
	// watchTags: the tag writer returns what it really added into tagged
	// (tag → leads) for the TagWatcher.
	watchTags bool
	tagged    map[uuid.UUID][]uuid.UUID
	// duplicated are the leads mergeSQL recorded a lead.duplicate event on.
	duplicated []uuid.UUID
}

// person is who a lead is: the name, the contact and identity keys and the
// company, as ingest reads, matches and fills them.
type person struct {
	Name           string  `json:"name"`
	Phone          *string `json:"phone"`
	Email          *string `json:"email"`
	UnionID        *string `json:"union_id"`
	OpenID         *string `json:"open_id"`
	ExternalID     *string `json:"external_id"`
	WeComExtUserID *string `json:"wecom_external_user_id"`
	Company        string  `json:"company"`
}

// existing is an active lead a group matched.
type existing struct {
	ID uuid.UUID `json:"id"`
	person
	OwnerID        *uuid.UUID     `json:"owner_id"`
	ProtectedUntil *time.Time     `json:"protected_until"`
	TerritoryID    *uuid.UUID     `json:"territory_id"`
	ReferrerID     *uuid.UUID     `json:"referrer_id"`
	Attributes     map[string]any `json:"attributes"`
	// ctid is where the row version the match locked is: it stays there
	// until the batch's transaction ends, since the lock keeps others from
	// updating it and the batch updates it only in merge.
	ctid string
}

func (w *writer) run(ctx context.Context) (*Result, error) {
	w.rejected = map[int][]RowError{}
	w.targets = map[*group]*existing{}
	w.created = map[*group]uuid.UUID{}
	if w.batch.IdempotencyKey != "" {
		if prev, err := w.claimKey(ctx); err != nil || prev != nil {
			return prev, err
		}
	}
	live := w.groups
	var err error
	if live, err = w.checkReferences(ctx, live); err != nil {
		return nil, err
	}
	if live, err = w.checkBlacklist(ctx, live); err != nil {
		return nil, err
	}
	if w.file {
		if err := w.stage(ctx, live); err != nil {
			return nil, err
		}
	}
	keys, n := matchArgs(live)
	if n > noJITKeys {
		if err := w.noJIT(ctx); err != nil {
			return nil, err
		}
	}
	if w.turn != nil {
		w.turn()
	}
	if err := w.matchWith(ctx, live, keys, n); err != nil {
		return nil, err
	}
	if live, err = w.checkBlacklistedLeads(ctx, live); err != nil {
		return nil, err
	}
	live = w.finalAttributes(live)
	if live, err = w.checkUnique(ctx, live); err != nil {
		return nil, err
	}
	if err := w.insert(ctx, live); err != nil {
		return nil, err
	}
	if err := w.merge(ctx, live); err != nil {
		return nil, err
	}
	if err := w.tag(ctx, live); err != nil {
		return nil, err
	}
	res := w.result()
	if w.batch.IdempotencyKey != "" {
		if err := w.storeAnswer(ctx, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// reject marks every row of g with err and drops g from the batch.
func (w *writer) reject(g *group, err RowError) {
	for _, i := range g.rows {
		w.rejected[i] = append(w.rejected[i], err)
	}
}

// key is the batch's claim on its idempotency key.
func (w *writer) key() idempotency.Request {
	return idempotency.Request{Key: w.batch.IdempotencyKey, Hash: w.hash, Rows: len(w.batch.Rows), Field: "idempotencyKey"}
}

// claimKey records the idempotency key, or returns the stored answer of the
// request that used it first (idempotency.Claim).
func (w *writer) claimKey(ctx context.Context) (*Result, error) {
	res, err := idempotency.Claim[Result](ctx, w.c, w.tid, w.key(), w.now)
	if res != nil {
		res.Replayed = true
	}
	return res, err
}

func (w *writer) storeAnswer(ctx context.Context, res *Result) error {
	stored, err := res.storedForm()
	if err != nil {
		return err
	}
	return idempotency.Store(ctx, w.c, w.tid, w.key(), stored)
}

// result assembles the per-row answer.
func (w *writer) result() *Result {
	res := &Result{Rows: make([]RowResult, len(w.rows))}
	for i, r := range w.rows {
		res.Rows[i] = RowResult{Index: i, Status: StatusRejected, Errors: r.Errors}
	}
	for _, g := range w.groups {
		if _, bad := w.rejected[g.rows[0]]; bad {
			continue
		}
		var lead uuid.UUID
		var owner *uuid.UUID
		first := StatusMerged
		if t := w.targets[g]; t != nil {
			lead, owner = t.ID, t.OwnerID
		} else {
			lead, first = w.created[g], StatusCreated
		}
		for k, i := range g.rows {
			st := StatusMerged
			if k == 0 {
				st = first
			}
			res.Rows[i] = RowResult{Index: i, Status: st, LeadID: lead, OwnerID: owner}
		}
	}
	for i, errs := range w.rejected {
		res.Rows[i] = RowResult{Index: i, Status: StatusRejected, Errors: errs}
	}
	for _, r := range res.Rows {
		switch r.Status {
		case StatusCreated:
			res.Created++
		case StatusMerged:
			res.Merged++
		default:
			res.Rejected++
		}
	}
	return res
}

// defaults returns the stage and pool new leads start in.
func (w *writer) defaults(ctx context.Context) (stageID, poolID *uuid.UUID, err error) {
	st, err := pipeline.DefaultStage(ctx, w.c)
	if err != nil {
		return nil, nil, err
	}
	p, err := w.c.Pool.Query().Where(pool.IsDefault(true)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return &st.ID, nil, nil
	case err != nil:
		return nil, nil, err
	}
	return &st.ID, &p.ID, nil
}

// jsonParam encodes v for a json_to_recordset parameter.
func jsonParam(v any) (string, error) {
	raw, err := json.Marshal(v)
	return string(raw), err
}
