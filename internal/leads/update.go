// Package leads holds the lead lifecycle services that are not their own
// domain: editing, and (with the intake issue) ingest, dedup and merge.
package leads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/clean"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
)

// Patch is an edit of a lead. Nil leaves a field alone; Attributes merge key
// by key and a nil value removes the key.
type Patch struct {
	Name, Phone, Email, Company, Source, SourceDetail *string
	TerritoryID                                       *uuid.UUID
	ClearTerritory                                    bool
	Attributes                                        map[string]any
	HasAttributes                                     bool
}

// Update validates p against the workspace's field schema and applies it to
// lead id in one statement. It runs in the caller's transaction (or its
// own), where the row is locked before the scope check and until the end, so
// concurrent edits of attributes merge instead of overwriting and an edit
// racing a reassignment is judged against the new owner.
func (s *Service) Update(ctx context.Context, sch *fields.Schema, region string, id uuid.UUID, p Patch) (*ent.Lead, error) {
	c := s.DB(ctx)
	var l *ent.Lead
	err := txn.WithTx(ctx, c, func(c *ent.Client) error {
		var err error
		l, err = update(ctx, c, sch, region, id, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

func update(ctx context.Context, c *ent.Client, sch *fields.Schema, region string, id uuid.UUID, p Patch) (*ent.Lead, error) {
	if err := scope.LockLead(ctx, c, scope.Write, "id", id); err != nil {
		return nil, err
	}
	cur, err := c.Lead.Query().Where(lead.ID(id)).Only(ctx)
	if err != nil {
		return nil, err
	}
	if cur.Status != lead.StatusACTIVE {
		return nil, apperr.New(apperr.Conflict, "id", "lead is %s and cannot be edited", strings.ToLower(string(cur.Status))).
			WithReason(apperr.ReasonLeadInactive)
	}
	u := c.Lead.UpdateOneID(id)
	var errs apperr.List
	if p.Name != nil {
		u.SetName(clean.Name(*p.Name))
	}
	if p.Phone != nil {
		switch v := strings.TrimSpace(*p.Phone); {
		case v == "":
			u.ClearPhone()
		case clean.IsMasked(v):
			errs = append(errs, apperr.Input("phone", "a masked phone number cannot be written back"))
		default:
			e164, err := clean.Phone(v, region)
			if err != nil {
				errs = append(errs, apperr.Wrap(err, apperr.BadInput, "phone", err.Error()))
			} else {
				u.SetPhone(e164)
			}
		}
	}
	if p.Email != nil {
		switch v := strings.TrimSpace(*p.Email); {
		case v == "":
			u.ClearEmail()
		case clean.IsMasked(v):
			errs = append(errs, apperr.Input("email", "a masked email cannot be written back"))
		default:
			e, err := clean.Email(v)
			if err != nil {
				errs = append(errs, apperr.Wrap(err, apperr.BadInput, "email", err.Error()))
			} else {
				u.SetEmail(e)
			}
		}
	}
	for field, v := range map[string]*string{"company": p.Company, "source": p.Source, "sourceDetail": p.SourceDetail} {
		if v == nil {
			continue
		}
		s := clean.Name(*v)
		switch field {
		case "company":
			u.SetCompany(s)
		case "source":
			u.SetSource(s)
		case "sourceDetail":
			u.SetSourceDetail(s)
		}
	}
	switch {
	case p.ClearTerritory:
		u.ClearTerritoryID()
	case p.TerritoryID != nil:
		if _, err := c.Territory.Get(ctx, *p.TerritoryID); err != nil {
			if ent.IsNotFound(err) {
				errs = append(errs, apperr.New(apperr.NotFound, "territoryID", "territory not found"))
			} else {
				return nil, err
			}
		} else {
			u.SetTerritoryID(*p.TerritoryID)
		}
	}
	if p.HasAttributes {
		merged, err := validateAttributes(ctx, c, sch, cur, p.Attributes)
		if err != nil {
			var ve *fields.ValidationError
			if !errors.As(err, &ve) {
				return nil, err
			}
			for _, fe := range ve.Errors {
				e := apperr.New(apperr.BadInput, fe.Field, "%s", fe.Message)
				if fe.Code == "DUPLICATE" {
					e.Code = apperr.Conflict
					e.WithReason(apperr.ReasonDuplicate)
				}
				errs = append(errs, e)
			}
		} else {
			u.SetAttributes(merged)
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		return nil, errs
	}
	l, err := u.Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.Wrap(err, apperr.Conflict, "input", "another active lead already has this phone, email or external id").
			WithReason(apperr.ReasonDuplicate)
	}
	return l, err
}

// validateAttributes merges the patch into the stored attributes through the
// field validator, refuses masked contact values, and enforces unique fields
// race-free: writers of the same workspace and key serialise on an advisory
// lock held until the transaction ends, then check for another lead with the value.
func validateAttributes(ctx context.Context, c *ent.Client, sch *fields.Schema, cur *ent.Lead, patch map[string]any) (map[string]any, error) {
	var masked []fields.FieldError
	for k, v := range patch {
		def, ok := sch.Lookup(k)
		if s, isStr := v.(string); ok && isStr && fields.ContactSensitive(def.Type) && clean.IsMasked(s) {
			masked = append(masked, fields.FieldError{Field: "attributes." + k, Code: "INVALID_VALUE", Message: "a masked value cannot be written back"})
		}
	}
	if len(masked) > 0 {
		return nil, &fields.ValidationError{Errors: masked}
	}
	merged, err := sch.Validate(fields.ModePatch, cur.Attributes, patch)
	if err != nil {
		return nil, err
	}
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, tenant.ErrMissing
	}
	var dups []fields.FieldError
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a fixed lock order keeps two writers from deadlocking
	for _, k := range keys {
		def, ok := sch.Lookup(k)
		v, present := merged[k]
		if !ok || !def.Unique || !present || v == nil {
			continue
		}
		if _, err := c.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, uniqueLockKey(tid, k)); err != nil {
			return nil, fmt.Errorf("lock unique field: %w", err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		rows, err := c.QueryContext(ctx, `SELECT count(*) FROM leads WHERE tenant_id = $1 AND status = 'ACTIVE' AND id <> $2 AND attributes -> $3 = $4::jsonb`,
			tid, cur.ID, k, string(raw))
		if err != nil {
			return nil, err
		}
		var n int
		if rows.Next() {
			err = rows.Scan(&n)
		}
		rows.Close()
		if err != nil {
			return nil, err
		}
		if n > 0 {
			dups = append(dups, fields.FieldError{Field: "attributes." + k, Code: "DUPLICATE", Message: fmt.Sprintf("another lead already has this %s", def.Label)})
		}
	}
	if len(dups) > 0 {
		return nil, &fields.ValidationError{Errors: dups}
	}
	return merged, nil
}
