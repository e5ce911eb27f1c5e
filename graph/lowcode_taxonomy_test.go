package graph_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// TestTaxonomyMutations: renaming, moving and deleting tags, tag groups and
// territories through the API, with each refusal's code, field and
// extensions (what names the tag, what holds the territory), and the
// permissions of create.
func TestTaxonomyMutations(t *testing.T) {
	api := apitest.New(t)
	c, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation { createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, nil)
	rep := api.Login("acme", "rep@acme.test", "rep-password")
	ctx := tenant.NewContext(context.Background(), c.Workspace.ID)

	var g struct {
		CreateTagGroup struct {
			ID   string
			Tags []struct{ ID, Name string }
		}
	}
	api.MustDo(admin, `mutation { createTagGroup(input:{name:"意向", tags:["高","低"]}){ id tags { id name } } }`, nil, &g)
	// The group's tags come back in no promised order: pick them by name.
	var high, low string
	for _, tg := range g.CreateTagGroup.Tags {
		switch tg.Name {
		case "高":
			high = tg.ID
		case "低":
			low = tg.ID
		}
	}
	if high == "" || low == "" {
		t.Fatalf("tags = %+v", g.CreateTagGroup.Tags)
	}
	highID, err := gid.Decode(high)
	if err != nil {
		t.Fatal(err)
	}
	api.DB.Client.Segment.Create().SetName("高意向客户").
		SetRule(schematype.SegmentRule{Tag: &schematype.TagCondition{Any: []uuid.UUID{highID}}}).ExecX(ctx)

	type step struct {
		name, token, query string
		vars               map[string]any
		code, field        string
		check              func(t *testing.T, e apitest.Error)
	}
	steps := []step{
		{name: "a rep may not delete a tag", token: rep, query: `mutation($id:ID!){ deleteTag(id:$id) }`, vars: map[string]any{"id": low}, code: "FORBIDDEN"},
		{name: "a rep may not move a territory", token: rep, query: `mutation($id:ID!){ updateTerritory(id:$id, input:{name:"x"}){ id } }`, vars: map[string]any{"id": gid.Encode(uuid.New())}, code: "FORBIDDEN"},
		{name: "an empty tag name", token: admin, query: `mutation($id:ID!){ updateTag(id:$id, input:{name:" "}){ id } }`, vars: map[string]any{"id": low}, code: "BAD_USER_INPUT", field: "input.name"},
		{name: "a used tag", token: admin, query: `mutation($id:ID!){ deleteTag(id:$id) }`, vars: map[string]any{"id": high}, code: "CONFLICT", field: "id",
			check: func(t *testing.T, e apitest.Error) {
				refs, _ := e.Extensions["references"].([]any)
				if len(refs) != 1 || e.Extensions["referenceCount"] != float64(1) {
					t.Fatalf("extensions = %v", e.Extensions)
				}
				r := refs[0].(map[string]any)
				if r["kind"] != "SEGMENT" || r["name"] != "高意向客户" || r["tag"] != "高" {
					t.Errorf("reference = %v", r)
				}
			}},
		{name: "a group with a used tag", token: admin, query: `mutation($id:ID!){ deleteTagGroup(id:$id) }`, vars: map[string]any{"id": g.CreateTagGroup.ID}, code: "CONFLICT", field: "id"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := api.Do(s.token, s.query, s.vars)
			if len(r.Errors) != 1 || r.Errors[0].Code() != s.code || r.Errors[0].Field() != s.field {
				t.Fatalf("errors = %+v; want %s at %q", r.Errors, s.code, s.field)
			}
			if s.check != nil {
				s.check(t, r.Errors[0])
			}
		})
	}

	t.Run("rename, exclusive, move and delete", func(t *testing.T) {
		var out struct {
			UpdateTag      struct{ Name, Color string }
			UpdateTagGroup struct{ Exclusive bool }
			DeleteTag      bool
		}
		api.MustDo(admin, `mutation($t:ID!, $g:ID!, $low:ID!){
			updateTag(id:$t, input:{name:"很高", color:"red"}){ name color }
			updateTagGroup(id:$g, input:{exclusive:true}){ exclusive }
			deleteTag(id:$low)
		}`, map[string]any{"t": high, "g": g.CreateTagGroup.ID, "low": low}, &out)
		if out.UpdateTag.Name != "很高" || out.UpdateTag.Color != "red" || !out.UpdateTagGroup.Exclusive || !out.DeleteTag {
			t.Errorf("out = %+v", out)
		}
		var tags struct{ Tags []struct{ Name string } }
		api.MustDo(admin, `{ tags { name } }`, nil, &tags)
		if len(tags.Tags) != 1 || tags.Tags[0].Name != "很高" {
			t.Errorf("tags = %+v", tags.Tags)
		}
	})

	t.Run("territories", func(t *testing.T) {
		var tr struct{ CreateTerritory struct{ ID string } }
		api.MustDo(admin, `mutation { createTerritory(input:{name:"华东"}){ id } }`, nil, &tr)
		east := tr.CreateTerritory.ID
		api.MustDo(admin, `mutation($p:ID!) { createTerritory(input:{name:"上海", parentID:$p}){ id } }`, map[string]any{"p": east}, &tr)
		sh := tr.CreateTerritory.ID
		r := api.Do(admin, `mutation($id:ID!, $p:ID!){ updateTerritory(id:$id, input:{parentID:$p}){ id } }`, map[string]any{"id": east, "p": sh})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != "input.parentID" {
			t.Fatalf("move under a child: %+v", r.Errors)
		}
		r = api.Do(admin, `mutation($id:ID!){ deleteTerritory(id:$id) }`, map[string]any{"id": east})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" {
			t.Fatalf("delete a parent: %+v", r.Errors)
		}
		if use, _ := r.Errors[0].Extensions["use"].(map[string]any); use["children"] != float64(1) || use["leads"] != float64(0) {
			t.Errorf("extensions.use = %v", r.Errors[0].Extensions["use"])
		}
		var out struct {
			UpdateTerritory struct {
				Name   string
				Parent *struct{ ID string }
			}
			DeleteTerritory bool
		}
		api.MustDo(admin, `mutation($sh:ID!, $east:ID!){
			updateTerritory(id:$sh, input:{name:"上海市", clearParent:true}){ name parent { id } }
			deleteTerritory(id:$east)
		}`, map[string]any{"sh": sh, "east": east}, &out)
		if out.UpdateTerritory.Name != "上海市" || out.UpdateTerritory.Parent != nil || !out.DeleteTerritory {
			t.Errorf("out = %+v", out)
		}
	})
}
