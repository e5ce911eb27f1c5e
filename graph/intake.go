package graph

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/tenant"
)

// leadRows converts GraphQL lead inputs to ingest rows.
func leadRows(in []*model.LeadInput) ([]leads.Row, error) {
	rows := make([]leads.Row, len(in))
	for i, l := range in {
		r := leads.Row{
			ExternalID: deref(l.ExternalID), Name: deref(l.Name), Phone: deref(l.Phone), Email: deref(l.Email),
			UnionID: deref(l.UnionID), OpenID: deref(l.OpenID), Company: deref(l.Company), Source: deref(l.Source),
			SourceDetail: deref(l.SourceDetail), TerritoryID: l.TerritoryID, ReferrerID: l.ReferrerID, Tags: l.Tags,
		}
		if l.Attributes != nil {
			attrs, ok := l.Attributes.(map[string]any)
			if !ok {
				return nil, apperr.Input(fmt.Sprintf("input.leads[%d].attributes", i), "attributes must be a JSON object")
			}
			r.Attributes = attrs
		}
		rows[i] = r
	}
	return rows, nil
}

// ingestPayload turns an ingest result into the GraphQL payload, loading the
// leads the caller can see in one query (a merge into a lead outside the
// caller's scope reports MERGED with no lead).
func ingestPayload(ctx context.Context, c *ent.Client, res *leads.Result) (*model.IngestLeadsPayload, error) {
	var ids []uuid.UUID
	for _, r := range res.Rows {
		if r.LeadID != uuid.Nil {
			ids = append(ids, r.LeadID)
		}
	}
	visible := map[uuid.UUID]*ent.Lead{}
	if len(ids) > 0 {
		ls, err := c.Lead.Query().Where(lead.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			visible[l.ID] = l
		}
	}
	out := &model.IngestLeadsPayload{Created: res.Created, Merged: res.Merged, Rejected: res.Rejected,
		Results: make([]*model.IngestRowResult, len(res.Rows))}
	for i, r := range res.Rows {
		errs := make([]*model.RowError, len(r.Errors))
		for j, e := range r.Errors {
			errs[j] = &model.RowError{Field: e.Field, Code: e.Code, Message: e.Message}
		}
		out.Results[i] = &model.IngestRowResult{Index: r.Index, Status: model.IngestStatus(r.Status), Lead: visible[r.LeadID], Errors: errs}
	}
	return out, nil
}

// partnerOf is the caller's partner account, whose uploads become its leads.
func partnerOf(ctx context.Context) *uuid.UUID {
	if v := auth.FromContext(ctx); v != nil {
		return v.PartnerID
	}
	return nil
}

// notificationLimit is the page size of notifications: default 50, at most 200.
func notificationLimit(first *int) int {
	if first == nil || *first <= 0 {
		return 50
	}
	return min(*first, 200)
}

// leadsChanged queues a re-score of leads in the mutation's transaction
// (an outbox row that commits with the change).
func (r *Resolver) leadsChanged(ctx context.Context, ids []uuid.UUID) error {
	if r.Queue == nil || len(ids) == 0 {
		return nil
	}
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return tenant.ErrMissing
	}
	return r.Queue.LeadsChanged(ctx, tid, ids)
}

// trackEventsPayload serves the trackEvents mutation.
func (r *Resolver) trackEventsPayload(ctx context.Context, evs []*model.EventInput, idempotencyKey string) (*model.TrackEventsPayload, error) {
	in := make([]events.Input, len(evs))
	for i, e := range evs {
		in[i] = events.Input{LeadID: e.LeadID, ExternalID: deref(e.ExternalID), Phone: deref(e.Phone), Name: e.Name, OccurredAt: e.OccurredAt}
		if e.Properties != nil {
			props, ok := e.Properties.(map[string]any)
			if !ok {
				return nil, apperr.Input(fmt.Sprintf("events[%d].properties", i), "properties must be a JSON object")
			}
			in[i].Properties = props
		}
	}
	res, err := r.Events.Track(ctx, in, "graphql", idempotencyKey, "idempotencyKey")
	if err != nil {
		return nil, err
	}
	out := &model.TrackEventsPayload{Accepted: res.Accepted, Rejected: res.Rejected, Errors: make([]*model.EventError, len(res.Errors))}
	for i, e := range res.Errors {
		out.Errors[i] = &model.EventError{Index: e.Index, Code: e.Code, Message: e.Message}
	}
	return out, nil
}
