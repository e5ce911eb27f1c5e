package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/workspace"
)

// seedLeads inserts n plain leads into the workspace of c.
func seedLeads(t *testing.T, api *apitest.API, c *workspace.Created, n int) []string {
	t.Helper()
	ctx := tenant.NewContext(context.Background(), c.Workspace.ID)
	first, err := workspace.NextLeadSeq(ctx, api.DB.Client, c.Workspace.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	// Like ingest, new leads wait in the default public pool.
	public, err := api.DB.Client.Pool.Query().Where(pool.IsDefault(true)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bs := make([]*ent.LeadCreate, n)
	for i := range n {
		bs[i] = api.DB.Client.Lead.Create().SetSeq(first + int64(i)).SetName(fmt.Sprintf("lead %d", i)).SetPhone(fmt.Sprintf("+86137%08d", i)).
			SetPoolID(public.ID)
	}
	ls, err := api.DB.Client.Lead.CreateBulk(bs...).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, l := range ls {
		ids[i] = gid.Encode(l.ID)
	}
	return ids
}

const createField = `mutation($input: CreateFieldDefinitionInput!) { createFieldDefinition(input: $input) { id key type } }`

// TestFieldDefinedOnOneServerIsUsableOnAnother: a definition made through one
// api process validates, filters and reads through a second on the next request.
func TestFieldDefinedOnOneServerIsUsableOnAnother(t *testing.T) {
	one := apitest.New(t)
	two := apitest.Start(t, one.DB, one.Redis, one.Clock)
	c, token := one.Workspace("acme")
	ids := seedLeads(t, one, c, 3)
	// Warm server two's cache before the definition exists.
	if r := two.Do(token, `mutation($id:ID!){ updateLead(id:$id, input:{attributes:{budget: 5}}){ id } }`, map[string]any{"id": ids[0]}); len(r.Errors) == 0 || r.Errors[0].Field() != "input.attributes.budget" {
		t.Fatalf("unknown field accepted: %+v", r.Errors)
	}
	one.MustDo(token, createField, map[string]any{"input": map[string]any{"key": "budget", "label": "Budget", "type": "NUMBER", "min": 0}}, nil)
	two.MustDo(token, `mutation($id:ID!){ updateLead(id:$id, input:{attributes:{budget: "1200.5"}}){ id } }`, map[string]any{"id": ids[0]}, nil)
	two.MustDo(token, `mutation($id:ID!){ updateLead(id:$id, input:{attributes:{budget: 99}}){ id } }`, map[string]any{"id": ids[1]}, nil)
	var out struct {
		Leads struct {
			Edges []struct {
				Node struct {
					ID         string
					Attributes map[string]any
				}
			}
		}
	}
	two.MustDo(token, `{ leads(where:{attributes:[{key:"budget", op:GT, value: 100}]}) { edges { node { id attributes } } } }`, nil, &out)
	if len(out.Leads.Edges) != 1 || out.Leads.Edges[0].Node.ID != ids[0] || out.Leads.Edges[0].Node.Attributes["budget"] != 1200.5 {
		t.Fatalf("numeric filter through server two = %+v", out.Leads.Edges)
	}
	// Archive through server two: server one stops showing and accepting it at once.
	var f struct{ FieldDefinitions []struct{ ID string } }
	one.MustDo(token, `{ fieldDefinitions(entity: LEAD) { id } }`, nil, &f)
	two.MustDo(token, `mutation($id:ID!){ archiveFieldDefinition(id:$id){ archived } }`, map[string]any{"id": f.FieldDefinitions[0].ID}, nil)
	out.Leads.Edges = nil // json.Unmarshal would merge into the old maps
	one.MustDo(token, `{ leads(first: 10) { edges { node { id attributes } } } }`, nil, &out)
	for _, e := range out.Leads.Edges {
		if _, ok := e.Node.Attributes["budget"]; ok {
			t.Errorf("archived field still shown: %v", e.Node.Attributes)
		}
	}
	if r := one.Do(token, `mutation($id:ID!){ updateLead(id:$id, input:{attributes:{budget: 1}}){ id } }`, map[string]any{"id": ids[2]}); len(r.Errors) == 0 || r.Errors[0].Field() != "input.attributes.budget" {
		t.Errorf("archived field accepted a write: %+v", r.Errors)
	}
	// Unarchive: the stored values come back.
	one.MustDo(token, `mutation($id:ID!){ unarchiveFieldDefinition(id:$id){ archived } }`, map[string]any{"id": f.FieldDefinitions[0].ID}, nil)
	out.Leads.Edges = nil
	two.MustDo(token, `{ leads(where:{attributes:[{key:"budget", op:GT, value: 100}]}) { edges { node { id attributes } } } }`, nil, &out)
	if len(out.Leads.Edges) != 1 || out.Leads.Edges[0].Node.Attributes["budget"] != 1200.5 {
		t.Errorf("unarchived values = %+v", out.Leads.Edges)
	}
}

// TestBadAttributeWritesWriteNothing: bad values through updateLead are
// refused with extensions.field = attributes.<key> and the lead is unchanged.
func TestBadAttributeWritesWriteNothing(t *testing.T) {
	api := apitest.New(t)
	c, token := api.Workspace("acme")
	ids := seedLeads(t, api, c, 2)
	for _, in := range []map[string]any{
		{"key": "budget", "label": "Budget", "type": "NUMBER", "min": 0, "max": 1000000},
		{"key": "city", "label": "City", "type": "SELECT", "options": []map[string]any{{"value": "sh", "label": "上海"}, {"value": "bj", "label": "北京"}}},
		{"key": "contract_no", "label": "Contract", "type": "TEXT", "unique": true, "pattern": "^C[0-9]{4}$"},
		{"key": "backup_phone", "label": "Backup phone", "type": "PHONE"},
	} {
		api.MustDo(token, createField, map[string]any{"input": in}, nil)
	}
	api.MustDo(token, `mutation($id:ID!){ updateLead(id:$id, input:{attributes:{contract_no:"C0001", city:"上海", backup_phone:"13912345678"}}){ id } }`, map[string]any{"id": ids[0]}, nil)
	before := snapshot(t, api)
	cases := []struct {
		attrs       map[string]any
		field, code string
	}{
		{map[string]any{"budget": "lots"}, "input.attributes.budget", "BAD_USER_INPUT"},
		{map[string]any{"budget": -1}, "input.attributes.budget", "BAD_USER_INPUT"},
		{map[string]any{"budget": 2000000}, "input.attributes.budget", "BAD_USER_INPUT"},
		{map[string]any{"city": "gz"}, "input.attributes.city", "BAD_USER_INPUT"},
		{map[string]any{"contract_no": "X1"}, "input.attributes.contract_no", "BAD_USER_INPUT"},
		{map[string]any{"contract_no": "C0001"}, "input.attributes.contract_no", "CONFLICT"},
		{map[string]any{"backup_phone": "139****5678"}, "input.attributes.backup_phone", "BAD_USER_INPUT"},
		{map[string]any{"backup_phone": "12"}, "input.attributes.backup_phone", "BAD_USER_INPUT"},
		{map[string]any{"nope": 1}, "input.attributes.nope", "BAD_USER_INPUT"},
		{map[string]any{"budget": 5, "city": "xx"}, "input.attributes.city", "BAD_USER_INPUT"},
	}
	for _, tc := range cases {
		r := api.Do(token, `mutation($id:ID!, $a: JSON){ updateLead(id:$id, input:{name:"changed", attributes:$a}){ id } }`, map[string]any{"id": ids[1], "a": tc.attrs})
		if len(r.Errors) == 0 {
			t.Errorf("%v accepted", tc.attrs)
			continue
		}
		if r.Errors[0].Field() != tc.field || r.Errors[0].Code() != tc.code {
			t.Errorf("%v: got %s %s (%s); want %s %s", tc.attrs, r.Errors[0].Code(), r.Errors[0].Field(), r.Errors[0].Message, tc.code, tc.field)
		}
	}
	if r := api.Do(token, `mutation($id:ID!){ updateLead(id:$id, input:{phone:"138****0000"}){ id } }`, map[string]any{"id": ids[1]}); len(r.Errors) == 0 || r.Errors[0].Field() != "input.phone" {
		t.Errorf("masked phone accepted: %+v", r.Errors)
	}
	after := snapshot(t, api)
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("table %s changed although every write was refused", table)
		}
	}
	// Values are stored coerced; a read shows them the same way.
	var out struct {
		UpdateLead struct{ Attributes map[string]any }
	}
	api.MustDo(token, `mutation($id:ID!){ updateLead(id:$id, input:{attributes:{budget:"12.5", city:"bj", contract_no: null}}){ attributes } }`, map[string]any{"id": ids[0]}, &out)
	want := map[string]any{"budget": 12.5, "city": "bj", "backup_phone": "+8613912345678"}
	got, _ := json.Marshal(out.UpdateLead.Attributes)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("stored attributes = %s; want %s", got, wantJSON)
	}
}

// TestFieldTypeChangeIsRefusedWhenValuesWouldNotConvert reports how many leads are in the way.
func TestFieldTypeChangeIsRefusedWhenValuesWouldNotConvert(t *testing.T) {
	api := apitest.New(t)
	c, token := api.Workspace("acme")
	ids := seedLeads(t, api, c, 3)
	var f struct{ CreateFieldDefinition struct{ ID string } }
	api.MustDo(token, createField, map[string]any{"input": map[string]any{"key": "code", "label": "Code", "type": "TEXT"}}, &f)
	for i, v := range []string{"12", "abc", "def"} {
		api.MustDo(token, `mutation($id:ID!, $v: JSON){ updateLead(id:$id, input:{attributes:{code:$v}}){ id } }`, map[string]any{"id": ids[i], "v": v}, nil)
	}
	r := api.Do(token, `mutation($id:ID!){ updateFieldDefinition(id:$id, input:{type: NUMBER}){ type } }`, map[string]any{"id": f.CreateFieldDefinition.ID})
	if len(r.Errors) == 0 || r.Errors[0].Code() != "CONFLICT" || !strings.Contains(r.Errors[0].Message, "2 leads") {
		t.Fatalf("type change: %+v", r.Errors)
	}
	r = api.Do(token, `mutation($id:ID!){ updateFieldDefinition(id:$id, input:{required: true}){ required } }`, map[string]any{"id": f.CreateFieldDefinition.ID})
	if len(r.Errors) != 0 {
		t.Fatalf("required with every lead filled: %+v", r.Errors)
	}
}

// TestSortLeadsByCustomField pages through leads sorted by a NUMBER field:
// numeric order (9 before 10), empty values last, both directions.
func TestSortLeadsByCustomField(t *testing.T) {
	api := apitest.New(t)
	c, token := api.Workspace("acme")
	ids := seedLeads(t, api, c, 5)
	api.MustDo(token, createField, map[string]any{"input": map[string]any{"key": "budget", "label": "Budget", "type": "NUMBER"}}, nil)
	for i, v := range []any{10, 9, nil, 100, 9.5} {
		if v == nil {
			continue
		}
		api.MustDo(token, `mutation($id:ID!, $v: JSON){ updateLead(id:$id, input:{attributes:{budget:$v}}){ id } }`, map[string]any{"id": ids[i], "v": v}, nil)
	}
	page := func(dir, after string) ([]string, string, bool) {
		var out struct {
			Leads struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node struct{ ID string } }
			}
		}
		vars := map[string]any{"dir": dir}
		if after != "" {
			vars["after"] = after
		}
		api.MustDo(token, `query($dir: OrderDirection!, $after: Cursor){ leads(first: 2, after: $after, orderByAttribute:{key:"budget", direction:$dir}) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`, vars, &out)
		var got []string
		for _, e := range out.Leads.Edges {
			got = append(got, e.Node.ID)
		}
		if out.Leads.TotalCount != 5 {
			t.Errorf("totalCount = %d", out.Leads.TotalCount)
		}
		return got, out.Leads.PageInfo.EndCursor, out.Leads.PageInfo.HasNextPage
	}
	all := func(dir string) []string {
		var got []string
		after := ""
		for range 5 {
			ids, end, more := page(dir, after)
			got = append(got, ids...)
			if !more {
				break
			}
			after = end
		}
		return got
	}
	if got, want := all("ASC"), []string{ids[1], ids[4], ids[0], ids[3], ids[2]}; !slices.Equal(got, want) {
		t.Errorf("ascending = %v; want %v", got, want)
	}
	if got, want := all("DESC"), []string{ids[3], ids[0], ids[4], ids[1], ids[2]}; !slices.Equal(got, want) {
		t.Errorf("descending = %v; want %v", got, want)
	}
	// Attribute filters work inside and/or/not like any other filter.
	var nested struct{ Leads struct{ TotalCount int } }
	api.MustDo(token, `{ leads(where:{or:[{attributes:[{key:"budget", op:GT, value: 50}]}, {not:{attributes:[{key:"budget", op:IS_NOT_EMPTY}]}}]}) { totalCount } }`, nil, &nested)
	if nested.Leads.TotalCount != 2 { // budget 100, and the lead without a budget
		t.Errorf("nested attribute filter matched %d leads; want 2", nested.Leads.TotalCount)
	}
	if r := api.Do(token, `{ leads(last: 2, orderByAttribute:{key:"budget"}) { totalCount } }`, nil); len(r.Errors) == 0 || r.Errors[0].Field() != "orderByAttribute" {
		t.Errorf("backward paging: %+v", r.Errors)
	}
	if r := api.Do(token, `{ leads(orderByAttribute:{key:"nope"}) { totalCount } }`, nil); len(r.Errors) == 0 || r.Errors[0].Field() != "orderByAttribute.key" {
		t.Errorf("unknown key: %+v", r.Errors)
	}
}

// TestFieldTypesServeTheDescriptors: fieldTypes is each type's descriptor,
// UI hints included, in the order a form offers the types.
func TestFieldTypesServeTheDescriptors(t *testing.T) {
	api := apitest.New(t)
	_, token := api.Workspace("acme")
	var out struct {
		FieldTypes []struct {
			Type, Widget, GraphqlScalar, CelType string
			Operators                            []string
			Sortable                             bool
			Settings                             struct {
				Options, Pattern bool
				Bounds           *string
				MaxLength        *int
			}
		}
	}
	api.MustDo(token, `{ fieldTypes { type operators widget sortable graphqlScalar celType
		settings { options pattern bounds maxLength } } }`, nil, &out)
	if len(out.FieldTypes) != len(fields.Types()) {
		t.Fatalf("fieldTypes = %+v", out.FieldTypes)
	}
	for i, got := range out.FieldTypes {
		typ := fields.Types()[i]
		d, _ := fields.Describe(typ)
		if got.Type != string(typ) || got.Widget != string(d.Widget) || got.Sortable != d.Sortable ||
			got.GraphqlScalar != d.GraphQLScalar || got.CelType != string(d.CEL) || len(got.Operators) != len(d.Ops) {
			t.Errorf("fieldTypes[%d] = %+v, want the descriptor of %s", i, got, typ)
		}
		s := got.Settings
		if s.Options != d.Settings.Options || s.Pattern != d.Settings.Pattern ||
			(s.Bounds == nil) != (d.Settings.Bounds == "") || (s.MaxLength != nil) != (d.Settings.Bounds == fields.BoundsLength) {
			t.Errorf("fieldTypes[%d].settings = %+v, want %+v", i, s, d.Settings)
		}
	}
}
