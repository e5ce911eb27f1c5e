package longjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/job"
	"github.com/scrmhq/scrm/ent/jobfile"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/territory"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/clean"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// BulkServices are the services a bulk update acts through, so each lead
// is changed exactly as the single-lead mutation would change it.
type BulkServices struct {
	Leads     *leads.Service
	Tags      *tagging.Service
	Pipelines *pipeline.Service
	Pools     *pool.Service
	Journeys  *journey.Service
}

// BulkAction is what a bulk update does to each lead: exactly one field is
// set. It is stored with the job (JSON), so its fields are the cleaned,
// checked input.
type BulkAction struct {
	AddTags    []uuid.UUID  `json:"addTags,omitempty"`
	RemoveTags []uuid.UUID  `json:"removeTags,omitempty"`
	Assign     *BulkAssign  `json:"assign,omitempty"`
	Update     *leads.Patch `json:"update,omitempty"`
	MoveStage  *BulkMove    `json:"moveStage,omitempty"`
	Enroll     *BulkEnroll  `json:"enroll,omitempty"`
}

// BulkEnroll enrols the leads in JourneyID, as enrollLeads does.
type BulkEnroll struct {
	JourneyID uuid.UUID `json:"journeyID"`
}

// BulkAssign gives the leads to OwnerID, or back to their pools (ToPool).
type BulkAssign struct {
	OwnerID *uuid.UUID `json:"ownerID,omitempty"`
	ToPool  bool       `json:"toPool,omitempty"`
	Reason  string     `json:"reason,omitempty"`
}

// BulkMove moves the leads to StageID.
type BulkMove struct {
	StageID      uuid.UUID  `json:"stageID"`
	Reason       string     `json:"reason,omitempty"`
	LostReasonID *uuid.UUID `json:"lostReasonID,omitempty"`
}

// BulkInput is a bulk update to start.
type BulkInput struct {
	// Filter narrows the caller's leads (the leads query's where); nil is
	// every lead the caller sees.
	Filter func(*ent.LeadQuery) (*ent.LeadQuery, error)
	Action BulkAction
}

// BulkInlineMax is the most leads a bulk update changes inline, in the
// request's own transaction, answering with the result; more are changed by
// a BULK_UPDATE job, batch by batch, with progress. 200 is what one batch
// of updates or stage moves (a savepoint and the single-lead service's
// statements each) does in well under a second on a small server, so an
// inline answer comes about as fast as a job would start, and holds its
// row locks no longer than a job's batch does.
const BulkInlineMax = 200

// bulkInlineMax is BulkInlineMax, lowered by tests to run small sets as jobs.
var bulkInlineMax = BulkInlineMax

// bulkBatchSize is how many leads one transaction of a bulk run changes.
var bulkBatchSize = 500

// beforeBulkBatch, when set (tests), runs before each batch of a bulk run
// (n counts the batches of this run from 1); an error ends the run there,
// as a worker that dies would.
var beforeBulkBatch func(ctx context.Context, id uuid.UUID, n int) error

// BulkResult is the answer of BulkUpdate: the job that changes the leads,
// or (Job nil) what the inline run did.
type BulkResult struct {
	// Matched is how many leads the set holds (a job's Total).
	Matched int
	Job     *ent.Job
	// Changed counts the leads the inline run changed; Failures are the
	// leads it did not, with why, in the order of the job's result CSV.
	Changed  int
	Failures []BulkFailure
}

// BulkUpdate checks the action (bad input is refused at "action.…" and
// writes nothing), fixes the set of leads (those matching the filter under
// the caller's row scope now) and changes them: a set of at most
// BulkInlineMax leads at once, in the caller's transaction (the single-lead
// services write their background work to the outbox in it, as they do in
// a job's batch); a larger one in a job queued in the caller's transaction.
// Either way each lead goes through bulkBatch, so the refusals are the same.
func (s *Service) BulkUpdate(ctx context.Context, in BulkInput) (*BulkResult, error) {
	if err := s.checkAction(ctx, &in.Action); err != nil {
		return nil, err
	}
	q := s.DB(ctx).Lead.Query()
	var err error
	if in.Filter != nil {
		if q, err = in.Filter(q); err != nil {
			return nil, err
		}
	}
	seqs, err := q.Select(lead.FieldSeq).Ints(ctx)
	if err != nil {
		return nil, err
	}
	if len(seqs) <= bulkInlineMax {
		return s.bulkInline(ctx, in.Action, seqs)
	}
	bm := roaring.New()
	for _, n := range seqs {
		bm.Add(uint32(n)) //nolint:gosec // per-workspace sequence numbers, far below 2^32
	}
	file, err := bm.ToBytes()
	if err != nil {
		return nil, err
	}
	act := in.Action
	raw, err := json.Marshal(input{Viewer: auth.FromContext(ctx), Bulk: &act})
	if err != nil {
		return nil, err
	}
	j, err := s.create(ctx, newJob{kind: job.KindBULK_UPDATE, input: raw, total: int(bm.GetCardinality()), file: file})
	if err != nil {
		return nil, err
	}
	return &BulkResult{Matched: j.Total, Job: j}, nil
}

// bulkInline changes the leads of seqs as one batch of a job would, in the
// transaction ctx carries (the request's), or in one of its own.
func (s *Service) bulkInline(ctx context.Context, a BulkAction, seqs []int) (*BulkResult, error) {
	res := &BulkResult{Matched: len(seqs)}
	if len(seqs) == 0 {
		return res, nil
	}
	batch := make([]int64, len(seqs))
	for i, n := range seqs {
		batch[i] = int64(n)
	}
	err := txn.WithTx(ctx, s.DB(ctx), func(c *ent.Client) error {
		fails, err := s.bulkBatch(ent.NewContext(ctx, c), c, a, batch)
		res.Failures, res.Changed = fails, len(seqs)-len(fails)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkAction checks a, cleaning it in place; errors name "action.…".
func (s *Service) checkAction(ctx context.Context, a *BulkAction) error {
	given := 0
	for _, set := range []bool{a.AddTags != nil, a.RemoveTags != nil, a.Assign != nil, a.Update != nil, a.MoveStage != nil, a.Enroll != nil} {
		if set {
			given++
		}
	}
	if given != 1 {
		return apperr.Input("action", "give exactly one of addTags, removeTags, assign, update, moveStage and enroll (got %d)", given)
	}
	switch {
	case a.AddTags != nil:
		return s.Bulk.Tags.CheckTags(ctx, "action.addTags", a.AddTags, true)
	case a.RemoveTags != nil:
		return s.Bulk.Tags.CheckTags(ctx, "action.removeTags", a.RemoveTags, false)
	case a.Assign != nil:
		return s.checkAssign(ctx, a.Assign)
	case a.Update != nil:
		return s.checkUpdate(ctx, a.Update)
	case a.Enroll != nil:
		return s.Bulk.Journeys.CheckEnrolling(ctx, "action.enroll.journeyID", a.Enroll.JourneyID)
	default:
		reason, err := s.Bulk.Pipelines.CheckStageMove(ctx, a.MoveStage.StageID, a.MoveStage.Reason, a.MoveStage.LostReasonID)
		if err != nil {
			return under("action.moveStage.", err)
		}
		a.MoveStage.Reason = reason
		return nil
	}
}

func (s *Service) checkAssign(ctx context.Context, a *BulkAssign) error {
	if (a.OwnerID == nil) == !a.ToPool {
		return apperr.Input("action.assign", "give ownerID, or toPool: true")
	}
	if v := auth.FromContext(ctx); v == nil || v.UserID == uuid.Nil {
		return apperr.New(apperr.Forbidden, "", "only a signed-in user can assign leads, not an API key")
	}
	reason, err := textinput.Clean("action.assign.reason", a.Reason, 1000, false)
	if err != nil {
		return err
	}
	a.Reason = reason
	if a.OwnerID != nil {
		ok, err := s.DB(ctx).User.Query().Where(user.ID(*a.OwnerID)).Exist(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Input("action.assign.ownerID", "no user with this id in the workspace")
		}
	}
	return nil
}

// checkUpdate checks a patch for many leads: at least one field; no name,
// phone or email (one person's, and phone and email are unique among
// active leads); custom fields valid (as updateLead checks them), never a
// value of a unique field, never a masked contact value.
func (s *Service) checkUpdate(ctx context.Context, p *leads.Patch) error {
	const at = "action.update"
	for f, v := range map[string]*string{"name": p.Name, "phone": p.Phone, "email": p.Email} {
		if v != nil {
			return apperr.Input(at+"."+f, "%s belongs to one lead and cannot be set on many at once", f)
		}
	}
	if p.Company == nil && p.Source == nil && p.SourceDetail == nil && p.TerritoryID == nil && !p.ClearTerritory && !p.HasAttributes {
		return apperr.Input(at, "give at least one field to set")
	}
	if p.TerritoryID != nil && p.ClearTerritory {
		return apperr.Input(at+".clearTerritory", "give territoryID or clearTerritory, not both")
	}
	if p.TerritoryID != nil {
		ok, err := s.DB(ctx).Territory.Query().Where(territory.ID(*p.TerritoryID)).Exist(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.NotFound, at+".territoryID", "territory not found")
		}
	}
	if !p.HasAttributes {
		return nil
	}
	if len(p.Attributes) == 0 {
		return apperr.Input(at+".attributes", "give at least one custom field, or leave attributes out")
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	var errs apperr.List
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range p.Attributes {
			if !yield(k) {
				return
			}
		}
	}) {
		def, ok := sch.Lookup(k)
		v := p.Attributes[k]
		str, isStr := v.(string)
		switch {
		case !ok:
		case def.Unique && v != nil:
			errs = append(errs, apperr.Input(at+".attributes."+k, "%s is unique: one value cannot be set on many leads (clearing it is allowed)", def.Label))
		case isStr && fields.ContactSensitive(def.Type) && clean.IsMasked(str):
			errs = append(errs, apperr.Input(at+".attributes."+k, "a masked value cannot be written back"))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if _, err := sch.Validate(fields.ModePatch, map[string]any{}, p.Attributes); err != nil {
		var ve *fields.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		for _, fe := range ve.Errors {
			errs = append(errs, apperr.New(apperr.BadInput, at+"."+fe.Field, "%s", fe.Message))
		}
		return errs
	}
	return nil
}

// under prefixes the field paths of a service's input errors.
func under(prefix string, err error) error {
	var list apperr.List
	var ae *apperr.Error
	switch {
	case errors.As(err, &list):
		out := make(apperr.List, len(list))
		for i, e := range list {
			c := *e
			c.Field = prefix + c.Field
			out[i] = &c
		}
		return out
	case errors.As(err, &ae):
		c := *ae
		c.Field = prefix + c.Field
		return &c
	}
	return err
}

// bulkState is a bulk run's resume point, written with each batch.
type bulkState struct {
	// After is the last seq done; Pieces the result pieces written (the
	// header is piece 0, written with the first failure).
	After  int64 `json:"after"`
	Pieces int   `json:"pieces"`
}

// BulkFailure is one lead the action could not change.
type BulkFailure struct {
	// LeadID is nil when the lead no longer exists; Name is "" when the
	// viewer no longer reads it.
	LeadID uuid.UUID
	Name   string
	Code   string // the refusal's code, as extensions.code would carry it
	// Reason is a finer reason where a code has several (an enrolment's
	// CONFLICT: journey.Reason*; apperr.Reason* of a lead's update or
	// move), else "".
	Reason  string
	Message string
	// Until, Limit and Pool are an assignment's figures (pool.Failure's).
	Until *time.Time
	Limit *int
	Pool  *string
}

// runBulk changes the job's leads in batches of bulkBatchSize, in seq order.
// Each batch, its failures (the result CSV's next piece) and the progress
// and resume point commit together, so a retried run starts after the last
// committed batch and changes no lead twice. Assignments are the exception
// that proves it harmless: pool.Assign commits on its own, and a replayed
// batch finds its leads already where they were sent, which counts as
// assigned and writes nothing.
func (s *Service) runBulk(ctx context.Context, j *ent.Job, in input) error {
	if in.Bulk == nil {
		return fmt.Errorf("%w: no bulk action", ErrPermanent)
	}
	raw, err := s.readFile(ctx, j.ID, jobfile.KindINPUT)
	if err != nil {
		return err
	}
	bm := roaring.New()
	if err := bm.UnmarshalBinary(raw); err != nil {
		return fmt.Errorf("%w: the stored lead set: %w", ErrPermanent, err)
	}
	var st bulkState
	if len(j.State) > 0 {
		if err := json.Unmarshal(j.State, &st); err != nil {
			return fmt.Errorf("%w: the resume point: %w", ErrPermanent, err)
		}
	}
	done, failed := j.Done, j.Failed
	it := bm.Iterator()
	if st.After > 0 {
		it.AdvanceIfNeeded(uint32(st.After + 1)) //nolint:gosec // seqs fit in uint32 (see BulkUpdate)
	}
	for n := 1; ; n++ {
		var seqs []int64
		for len(seqs) < bulkBatchSize && it.HasNext() {
			seqs = append(seqs, int64(it.Next()))
		}
		if len(seqs) == 0 {
			return nil
		}
		if beforeBulkBatch != nil {
			if err := beforeBulkBatch(ctx, j.ID, n); err != nil {
				return err
			}
		}
		if err := s.stillWanted(ctx, j.ID); err != nil {
			return err
		}
		var cancelled bool
		err := withTx(ctx, s, func(ctx context.Context, c *ent.Client) error {
			fails, err := s.bulkBatch(ctx, c, *in.Bulk, seqs)
			if err != nil {
				return err
			}
			if len(fails) > 0 {
				if err := s.appendFailures(ctx, c, j, &st, fails); err != nil {
					return err
				}
			}
			st.After = seqs[len(seqs)-1]
			state, err := json.Marshal(st)
			if err != nil {
				return err
			}
			cancelled, err = s.progress(ctx, c, j.ID, done+len(seqs), failed+len(fails), state)
			if err == nil {
				done, failed = done+len(seqs), failed+len(fails)
			}
			return err
		})
		if err != nil {
			return err
		}
		if cancelled {
			return ErrCancelled
		}
	}
}

// bulkBatch applies the action to the leads of seqs in the transaction c
// and returns the leads it could not change, with why.
func (s *Service) bulkBatch(ctx context.Context, c *ent.Client, a BulkAction, seqs []int64) ([]BulkFailure, error) {
	// The batch's rows are locked first, in id order like every bulk lead
	// write, and judged once locked. Assignments lock in their own
	// transaction (pool.Assign), so they are judged without a lock and
	// pool.Assign checks again.
	q := c.Lead.Query().Where(lead.SeqIn(seqs...)).Order(lead.ByID())
	if a.Assign == nil {
		q = q.ForUpdate()
	}
	rows, err := q.Select(lead.FieldID, lead.FieldSeq, lead.FieldName).All(scope.Unscoped(ctx))
	if err != nil {
		return nil, err
	}
	var fails []BulkFailure
	if gone := len(seqs) - len(rows); gone > 0 {
		for range gone {
			fails = append(fails, BulkFailure{Code: string(apperr.NotFound), Message: "the lead no longer exists"})
		}
	}
	ids := make([]uuid.UUID, len(rows))
	for i, l := range rows {
		ids[i] = l.ID
	}
	readable, err := c.Lead.Query().Where(lead.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	writable := readable
	if v := auth.FromContext(ctx); v != nil {
		if writable, err = c.Lead.Query().Where(lead.IDIn(ids...), scope.WritePredicate(v)).IDs(scope.Unscoped(ctx)); err != nil {
			return nil, err
		}
	}
	names := map[uuid.UUID]string{}
	var todo []uuid.UUID
	for _, l := range rows {
		switch {
		case !slices.Contains(readable, l.ID):
			fails = append(fails, BulkFailure{LeadID: l.ID, Code: string(apperr.Forbidden), Message: scope.ErrOutOfScope.Error()})
		case !slices.Contains(writable, l.ID):
			fails = append(fails, BulkFailure{LeadID: l.ID, Name: l.Name, Code: string(apperr.Forbidden), Message: scope.ErrReadOnly.Error()})
		default:
			names[l.ID] = l.Name
			todo = append(todo, l.ID)
		}
	}
	if len(todo) == 0 {
		return fails, nil
	}
	more, err := s.apply(ctx, a, todo)
	if err != nil {
		return nil, err
	}
	for _, f := range more {
		f.Name = names[f.LeadID]
		fails = append(fails, f)
	}
	return fails, nil
}

// apply changes the leads ids (locked, in the caller's write scope) through
// the single-lead services, in the transaction ctx carries. A refusal of one
// lead is its failure; set-based actions (tags) refused as a whole fail
// every lead of the batch with the reason. Each attempt runs under a
// savepoint, so a refused one leaves nothing behind.
func (s *Service) apply(ctx context.Context, a BulkAction, ids []uuid.UUID) ([]BulkFailure, error) {
	var actor *uuid.UUID
	if v := auth.FromContext(ctx); v != nil && v.UserID != uuid.Nil {
		actor = &v.UserID
	}
	all := func(err error) ([]BulkFailure, error) {
		ae, ok := apperr.First(err) // false: not a refusal (the database's), which retries the batch
		if !ok {
			return nil, err
		}
		out := make([]BulkFailure, len(ids))
		for i, id := range ids {
			out[i] = BulkFailure{LeadID: id, Code: string(ae.Code), Reason: ae.Reason(), Message: ae.Message}
		}
		return out, nil
	}
	switch {
	case a.AddTags != nil:
		if err := savepoint(ctx, s, func(ctx context.Context) error {
			_, err := s.Bulk.Tags.TagLeads(ctx, ids, a.AddTags, actor, "MANUAL")
			return err
		}); err != nil {
			return all(err)
		}
		return nil, nil
	case a.RemoveTags != nil:
		if err := savepoint(ctx, s, func(ctx context.Context) error {
			_, err := s.Bulk.Tags.UntagLeads(ctx, ids, a.RemoveTags)
			return err
		}); err != nil {
			return all(err)
		}
		return nil, nil
	case a.Assign != nil:
		if actor == nil {
			return nil, fmt.Errorf("%w: an assignment needs the user who asked for it", ErrPermanent)
		}
		_, fails, err := s.Bulk.Pools.Assign(ctx, *actor, ids, a.Assign.OwnerID, a.Assign.Reason)
		if err != nil {
			return all(err)
		}
		out := make([]BulkFailure, len(fails))
		for i, f := range fails {
			out[i] = BulkFailure{LeadID: f.LeadID, Code: f.Code, Message: f.Message, Until: f.Until, Limit: f.Limit, Pool: f.Pool}
		}
		return out, nil
	case a.Enroll != nil:
		refused, err := s.Bulk.Journeys.EnrollBatch(ctx, s.DB(ctx), a.Enroll.JourneyID, ids)
		if err != nil {
			return nil, err
		}
		var out []BulkFailure
		for _, id := range ids {
			if why, ok := refused[id]; ok {
				out = append(out, BulkFailure{LeadID: id, Code: string(apperr.Conflict), Reason: why.Reason, Message: why.Message})
			}
		}
		return out, nil
	}
	var sch *fields.Schema
	if a.Update != nil {
		var err error
		if sch, err = s.Fields.Schema(ctx); err != nil {
			return nil, err
		}
	}
	var out []BulkFailure
	for _, id := range ids {
		err := savepoint(ctx, s, func(ctx context.Context) error {
			if a.Update != nil {
				_, err := s.Bulk.Leads.Update(ctx, sch, clean.DefaultRegion, id, *a.Update)
				return err
			}
			m := a.MoveStage
			_, err := s.Bulk.Pipelines.MoveLeadStage(ctx, id, m.StageID, actor, m.Reason, m.LostReasonID, s.Now())
			return err
		})
		if err == nil {
			continue
		}
		f, ferr := all(err)
		if ferr != nil {
			return nil, ferr
		}
		f[0].LeadID = id
		out = append(out, f[0])
	}
	return out, nil
}

// savepoint runs fn under a savepoint of the transaction ctx carries.
func savepoint(ctx context.Context, s *Service, fn func(ctx context.Context) error) error {
	return txn.Retry(ctx, s.DB(ctx), 1, func(error) bool { return false }, func(ctx context.Context, _ *ent.Client) error {
		return fn(ctx)
	})
}

// bulkHeader is the header of a bulk update's result CSV: reason is the
// English text, reason_code the finer reason (BulkFailure.Reason) where the
// code has several.
var bulkHeader = []string{"id", "name", "code", "reason", "reason_code"}

// appendFailures writes fails as the next piece of the result CSV (with
// the header and the file's name before the first).
func (s *Service) appendFailures(ctx context.Context, c *ent.Client, j *ent.Job, st *bulkState, fails []BulkFailure) error {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	if st.Pieces == 0 {
		b.Write(utf8BOM)
		_ = cw.Write(bulkHeader)
		name := fmt.Sprintf("bulk-update-%s-failed.csv", j.CreatedAt.UTC().Format("20060102-150405"))
		if err := c.Job.UpdateOneID(j.ID).SetResultName(name).Exec(ctx); err != nil {
			return err
		}
	}
	for _, f := range fails {
		id := ""
		if f.LeadID != uuid.Nil {
			id = gid.Encode(f.LeadID)
		}
		_ = cw.Write([]string{id, f.Name, f.Code, strings.TrimSpace(f.Message), f.Reason})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	st.Pieces++
	return s.appendResult(ctx, c, j.ID, st.Pieces, b.Bytes())
}
