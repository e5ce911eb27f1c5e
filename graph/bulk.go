package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/longjob"
)

// bulkAction turns the action of bulkUpdateLeads into the job's action and
// checks the permission of the action itself (bulkUpdateLeads' own, lead.bulk
// write, is checked before): the one its single-lead mutation needs.
func (r *Resolver) bulkAction(ctx context.Context, in model.BulkLeadActionInput) (longjob.BulkAction, error) {
	a := longjob.BulkAction{AddTags: in.AddTags, RemoveTags: in.RemoveTags}
	perm := Permission{Resource: "lead", Action: "write"}
	switch {
	case in.AddTags != nil || in.RemoveTags != nil:
		perm = Permission{Resource: "lead.tag", Action: "write"}
	case in.Assign != nil:
		perm = Permission{Resource: "lead", Action: "assign"}
		a.Assign = &longjob.BulkAssign{OwnerID: in.Assign.OwnerID, ToPool: deref(in.Assign.ToPool), Reason: deref(in.Assign.Reason)}
	case in.Update != nil:
		p, err := leadPatch(*in.Update, "action.update")
		if err != nil {
			return a, err
		}
		a.Update = &p
	case in.MoveStage != nil:
		m := in.MoveStage
		a.MoveStage = &longjob.BulkMove{StageID: m.StageID, Reason: deref(m.Reason), LostReasonID: m.LostReasonID}
	case in.Enroll != nil:
		perm = Permission{Resource: "journey", Action: "write"}
		a.Enroll = &longjob.BulkEnroll{JourneyID: in.Enroll.JourneyID}
	}
	if err := Authorize(ctx, r.Authz, perm); err != nil {
		return a, err
	}
	return a, nil
}

// bulkPayload is bulkUpdateLeads' answer for res: the job, or the counts
// and failures of a set changed at once.
func bulkPayload(res *longjob.BulkResult) *model.BulkUpdateLeadsPayload {
	if res.Job != nil {
		return &model.BulkUpdateLeadsPayload{Matched: res.Matched, Job: res.Job}
	}
	fails := make([]*model.BulkLeadFailure, len(res.Failures))
	for i, f := range res.Failures {
		out := &model.BulkLeadFailure{Code: f.Code, Message: f.Message, Until: f.Until, Limit: f.Limit, Pool: f.Pool}
		if f.LeadID != uuid.Nil {
			out.LeadID = &f.LeadID
		}
		if f.Name != "" {
			out.Name = &f.Name
		}
		if f.Reason != "" {
			out.Reason = &f.Reason
		}
		fails[i] = out
	}
	failed := len(res.Failures)
	return &model.BulkUpdateLeadsPayload{Matched: res.Matched, Changed: &res.Changed, Failed: &failed, Failures: fails}
}

// leadPatch is the leads.Patch of an UpdateLeadInput given at path.
func leadPatch(in model.UpdateLeadInput, path string) (leads.Patch, error) {
	p := leads.Patch{
		Name: in.Name, Phone: in.Phone, Email: in.Email, Company: in.Company,
		Source: in.Source, SourceDetail: in.SourceDetail, TerritoryID: in.TerritoryID,
		ClearTerritory: deref(in.ClearTerritory),
	}
	if in.Attributes != nil {
		attrs, ok := in.Attributes.(map[string]any)
		if !ok {
			return p, apperr.Input(path+".attributes", "attributes must be an object of field key to value")
		}
		p.HasAttributes, p.Attributes = true, attrs
	}
	return p, nil
}
