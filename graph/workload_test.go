package graph_test

import (
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestMyWorkloadAndClaimBlocks: a rep's home figures count their claims
// today, open leads and this month's received leads as the claim checks do,
// and claimBlocks names the lead the rep released (in the pool's cooldown)
// before a claim is tried; roles that cannot claim are refused.
func TestMyWorkloadAndClaimBlocks(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation($in: CreateUserInput!){ createUser(input: $in){ id } }`, map[string]any{"in": map[string]any{
		"name": "Rep", "email": "rep@acme.test", "password": "rep-password-1", "roles": []string{"rep"},
		"capacity": 10, "dailyClaimLimit": 5,
	}}, nil)
	api.MustDo(admin, `mutation($in: CreateUserInput!){ createUser(input: $in){ id } }`, map[string]any{"in": map[string]any{
		"name": "Analyst", "email": "analyst@acme.test", "password": "analyst-password-1", "roles": []string{"analyst"},
	}}, nil)
	var pools struct{ Pools []struct{ ID string } }
	api.MustDo(admin, `{ pools { id } }`, nil, &pools)
	api.MustDo(admin, `mutation($id: ID!){ updatePool(id: $id, input: { cooldownDays: 3 }){ id } }`, map[string]any{"id": pools.Pools[0].ID}, nil)
	var in struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(admin, `mutation($input: IngestLeadsInput!){ ingestLeads(input:$input){ results { lead { id } } } }`,
		map[string]any{"input": map[string]any{"leads": []any{
			map[string]any{"phone": "13800000001"}, map[string]any{"phone": "13800000002"}, map[string]any{"phone": "13800000003"},
		}}}, &in)
	ids := []string{in.IngestLeads.Results[0].Lead.ID, in.IngestLeads.Results[1].Lead.ID, in.IngestLeads.Results[2].Lead.ID}

	rep := api.Login("acme", "rep@acme.test", "rep-password-1")
	var claimed struct {
		ClaimLeads struct{ Claimed []struct{ ID string } }
	}
	api.MustDo(rep, `mutation($ids: [ID!]!){ claimLeads(ids: $ids){ claimed { id } } }`, map[string]any{"ids": ids[:2]}, &claimed)
	if len(claimed.ClaimLeads.Claimed) != 2 {
		t.Fatalf("claimed %+v", claimed)
	}
	api.MustDo(rep, `mutation($ids: [ID!]!){ releaseLeads(ids: $ids){ released } }`, map[string]any{"ids": ids[:1]}, nil)

	var w struct {
		MyWorkload struct {
			OpenLeads, Capacity, ClaimsToday, DailyClaimLimit, OverdueFollowUps int
			Month                                                               struct {
				Leads, Deals int
				User         struct{ Name string }
			}
		}
	}
	api.MustDo(rep, `{ myWorkload { openLeads capacity claimsToday dailyClaimLimit overdueFollowUps month { leads deals user { name } } } }`, nil, &w)
	got := w.MyWorkload
	// Month.Leads counts both leads received this month: the released one is
	// back in the pool, which the rep still sees.
	if got.OpenLeads != 1 || got.Capacity != 10 || got.ClaimsToday != 2 || got.DailyClaimLimit != 5 || got.OverdueFollowUps != 0 ||
		got.Month.Leads != 2 || got.Month.Deals != 0 || got.Month.User.Name != "Rep" {
		t.Fatalf("workload %+v", got)
	}

	var blocks struct {
		ClaimBlocks []struct {
			LeadID, Code string
			Until        *time.Time
		}
	}
	api.MustDo(rep, `query($ids: [ID!]!){ claimBlocks(ids: $ids){ leadID code until } }`, map[string]any{"ids": ids}, &blocks)
	if len(blocks.ClaimBlocks) != 1 || blocks.ClaimBlocks[0].LeadID != ids[0] || blocks.ClaimBlocks[0].Code != "COOLDOWN" ||
		blocks.ClaimBlocks[0].Until == nil || time.Until(*blocks.ClaimBlocks[0].Until) < 70*time.Hour {
		t.Fatalf("claimBlocks %+v", blocks.ClaimBlocks)
	}

	analyst := api.Login("acme", "analyst@acme.test", "analyst-password-1")
	res := api.Do(analyst, `query($ids: [ID!]!){ claimBlocks(ids: $ids){ leadID } }`, map[string]any{"ids": ids})
	if len(res.Errors) != 1 || res.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("analyst claimBlocks: %+v", res.Errors)
	}
	if res := api.Do(rep, `query { claimBlocks(ids: []){ leadID } }`, nil); len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("no ids: %+v", res.Errors)
	}
}
