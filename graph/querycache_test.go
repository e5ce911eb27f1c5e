package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// The server keeps parsed, validated operations per workspace schema: the
// same text asked again with other variables answers for those variables,
// and after a field is archived the same text is validated against the new
// schema on the very next request.
func TestCachedOperationsFollowTheSchema(t *testing.T) {
	api := apitest.New(t)
	token, _, _ := typedWorkspace(t, api)
	const list = `query($first: Int) { leads(first: $first, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id budget } } } }`
	type page struct {
		Leads struct {
			Edges []struct {
				Node struct {
					ID     string
					Budget *float64
				}
			}
		}
	}
	var one, three page
	api.MustDo(token, list, map[string]any{"first": 3}, &three)
	api.MustDo(token, list, map[string]any{"first": 1}, &one)
	if len(three.Leads.Edges) != 3 || len(one.Leads.Edges) != 1 || one.Leads.Edges[0].Node.ID != three.Leads.Edges[0].Node.ID {
		t.Fatalf("the same operation with first 3 then 1: %+v then %+v", three, one)
	}
	if three.Leads.Edges[1].Node.Budget == nil || three.Leads.Edges[0].Node.Budget != nil {
		t.Fatalf("budgets (lead 0 has none, lead 1 has one): %+v", three)
	}
	var f struct{ FieldDefinitions []struct{ ID, Key string } }
	api.MustDo(token, `{ fieldDefinitions(entity: LEAD) { id key } }`, nil, &f)
	for _, d := range f.FieldDefinitions {
		if d.Key == "budget" {
			api.MustDo(token, `mutation($id:ID!){ archiveFieldDefinition(id:$id){ archived } }`, map[string]any{"id": d.ID}, nil)
		}
	}
	if r := api.Do(token, list, map[string]any{"first": 3}); len(r.Errors) == 0 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("a cached operation reading an archived field: %s %+v", r.Data, r.Errors)
	}
}

// Automatic persisted queries: a client may send the SHA-256 of an
// operation instead of its text once the server has seen the text.
func TestAutomaticPersistedQueries(t *testing.T) {
	api := apitest.New(t)
	token, ids, _ := typedWorkspace(t, api)
	const query = `query($first: Int) { leads(first: $first) { totalCount edges { node { id city } } } }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	send := func(withText bool) apitest.Response {
		body := map[string]any{"variables": map[string]any{"first": 2}, "extensions": ext}
		if withText {
			body["query"] = query
		}
		raw, _ := json.Marshal(body)
		return api.Raw(token, "application/json", raw)
	}
	if r := send(false); len(r.Errors) == 0 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("an unknown hash: %s %+v", r.Data, r.Errors)
	}
	first := send(true)
	if len(first.Errors) > 0 {
		t.Fatalf("the text with its hash: %+v", first.Errors)
	}
	again := send(false)
	if len(again.Errors) > 0 || string(again.Data) != string(first.Data) {
		t.Fatalf("the hash alone answered %s %+v, the text %s", again.Data, again.Errors, first.Data)
	}
	var out struct{ Leads struct{ TotalCount int } }
	if err := json.Unmarshal(again.Data, &out); err != nil || out.Leads.TotalCount != len(ids) {
		t.Fatalf("totalCount through the hash = %+v (%v), want %d", out, err, len(ids))
	}
	ext["persistedQuery"].(map[string]any)["sha256Hash"] = "00" + hex.EncodeToString(sum[1:])
	if r := send(true); len(r.Errors) == 0 {
		t.Fatalf("a text with another text's hash was accepted: %s", r.Data)
	}
}
