package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/tenant"
)

// TestIngestAssignsAndScoresThroughTheWorker: leads ingested through the API
// are assigned by the workspace's rules and scored by its scoring rules in the
// background, and distributeLeads runs the rules on demand.
func TestIngestAssignsAndScoresThroughTheWorker(t *testing.T) {
	api := apitest.New(t)
	ws, token := api.Workspace("acme")
	ctx := tenant.NewContext(context.Background(), ws.Workspace.ID)
	rep, err := org.New(api.DB.Client).CreateUser(ctx, org.UserInput{Name: "Rep", Email: "rep@acme.test", Password: "rep-password", Roles: []string{"rep"}})
	if err != nil {
		t.Fatal(err)
	}
	api.MustDo(token, `mutation($input: CreateAssignmentRuleInput!){ createAssignmentRule(input:$input){ id } }`,
		map[string]any{"input": map[string]any{"name": "web", "condition": `lead.source == "web"`, "strategy": "ROUND_ROBIN",
			"targets": []any{map[string]any{"userID": gid.Encode(rep.ID)}}}}, nil)
	api.MustDo(token, `mutation($input: CreateScoringRuleInput!){ createScoringRule(input:$input){ id } }`,
		map[string]any{"input": map[string]any{"name": "web", "condition": `lead.source == "web"`, "points": 25}}, nil)

	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(token, `mutation($input: IngestLeadsInput!){ ingestLeads(input:$input){ results { lead { id } } } }`,
		map[string]any{"input": map[string]any{"leads": []any{
			map[string]any{"phone": "13800000001", "source": "web"},
			map[string]any{"phone": "13800000002", "source": "expo"},
		}}}, &in)
	web, expo := in.IngestLeads.Results[0].Lead.ID, in.IngestLeads.Results[1].Lead.ID

	type leadState struct {
		Owner *struct{ ID string }
		Score int
		Tier  *string
	}
	read := func(id string) leadState {
		var out struct{ Node leadState }
		api.MustDo(token, `query($id:ID!){ node(id:$id){ ... on Lead { owner { id } score tier } } }`, map[string]any{"id": id}, &out)
		return out.Node
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		w := read(web)
		if w.Owner != nil && w.Score == 25 {
			if w.Owner.ID != gid.Encode(rep.ID) || w.Tier == nil || *w.Tier != "C" {
				t.Fatalf("web lead: %+v, want the rep's, tier C", w)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("web lead not assigned and scored by the worker: %+v", w)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if e := read(expo); e.Owner != nil || e.Score != 0 {
		t.Fatalf("expo lead: %+v, want unowned with score 0", e)
	}
	var dist struct {
		DistributeLeads struct{ Assigned, Pooled, Skipped int }
	}
	api.MustDo(token, `mutation($ids:[ID!]!){ distributeLeads(ids:$ids){ assigned pooled skipped } }`,
		map[string]any{"ids": []string{expo, web}}, &dist)
	if d := dist.DistributeLeads; d.Assigned != 0 || d.Pooled != 1 || d.Skipped != 1 {
		t.Fatalf("distributeLeads = %+v, want expo pooled and web skipped (owned)", d)
	}
}
