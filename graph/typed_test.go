package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/changetoken"
)

// typedWorkspace is workspace A of the typed-schema tests: budget (NUMBER)
// and city (SELECT, one option with a Chinese value) on 30 leads, some
// without values.
func typedWorkspace(t *testing.T, api *apitest.API) (token string, ids []string, cityEnum map[string]string) {
	t.Helper()
	c, token := api.Workspace("acme")
	ids = seedLeads(t, api, c, 30)
	api.MustDo(token, createField, map[string]any{"input": map[string]any{"key": "budget", "label": "预算", "type": "NUMBER"}}, nil)
	api.MustDo(token, createField, map[string]any{"input": map[string]any{"key": "city", "label": "城市", "type": "SELECT",
		"options": []any{map[string]any{"value": "shanghai", "label": "上海"}, map[string]any{"value": "北京", "label": "北京"}, map[string]any{"value": "shenzhen", "label": "深圳"}}}}, nil)
	cities := []any{"shanghai", "北京", "shenzhen", nil}
	for i, id := range ids {
		attrs := map[string]any{"city": cities[i%4]}
		if i%5 != 0 {
			attrs["budget"] = float64((i * 37) % 11 * 1000)
		}
		api.MustDo(token, `mutation($id:ID!, $a: JSON){ updateLead(id:$id, input:{attributes:$a}){ id } }`, map[string]any{"id": id, "a": attrs}, nil)
	}
	// The enum value names, read back through introspection.
	var intro struct {
		Type struct {
			EnumValues []struct{ Name, Description string }
		} `json:"__type"`
	}
	api.MustDo(token, `{ __type(name: "LeadCityOption") { enumValues { name description } } }`, nil, &intro)
	cityEnum = map[string]string{}
	for _, v := range intro.Type.EnumValues {
		switch {
		case strings.HasPrefix(v.Description, "上海"):
			cityEnum["shanghai"] = v.Name
		case strings.HasPrefix(v.Description, "北京"):
			cityEnum["北京"] = v.Name
		case strings.HasPrefix(v.Description, "深圳"):
			cityEnum["shenzhen"] = v.Name
		}
	}
	if len(cityEnum) != 3 || cityEnum["shanghai"] != "SHANGHAI" {
		t.Fatalf("LeadCityOption = %+v", intro.Type.EnumValues)
	}
	return token, ids, cityEnum
}

type typedRow struct {
	ID     string
	Budget any
	City   any
}

// TestTypedSchemaEqualsTheGenericPath: selecting, filtering and sorting by
// custom fields as typed GraphQL fields, with aliases, fragments and
// variables, returns what the generic attributes path returns.
func TestTypedSchemaEqualsTheGenericPath(t *testing.T) {
	api := apitest.New(t)
	token, _, cityEnum := typedWorkspace(t, api)

	typedQuery := `
		query Typed($min: Float, $cities: [LeadCityOption!], $order: LeadOrder, $first: Int) {
			page: leads(first: $first, where: {budgetGTE: $min, cityIn: $cities, or: [{budgetIsNil: true}, {budgetLT: 8000}]}, orderBy: $order) {
				totalCount
				edges { node { id ...Custom } }
			}
		}
		fragment Custom on Lead { money: budget town: city }`
	genericQuery := `
		query Generic($preds: [AttributePredicateInput!], $order: AttributeOrderInput, $first: Int) {
			leads(first: $first, where: {attributes: $preds, or: [{attributes: [{key: "budget", op: IS_EMPTY}]}, {attributes: [{key: "budget", op: LT, value: 8000}]}]}, orderByAttribute: $order) {
				totalCount
				edges { node { id attributes } }
			}
		}`
	cases := []struct {
		name    string
		typed   map[string]any
		generic map[string]any
	}{
		{"budget and city filters, budget descending",
			map[string]any{"min": 2000, "cities": []any{cityEnum["shanghai"], cityEnum["北京"]}, "order": map[string]any{"field": "BUDGET", "direction": "DESC"}, "first": 50},
			map[string]any{"preds": []any{map[string]any{"key": "budget", "op": "GTE", "value": 2000}, map[string]any{"key": "city", "op": "IN", "value": []any{"shanghai", "北京"}}},
				"order": map[string]any{"key": "budget", "direction": "DESC"}, "first": 50}},
		{"no filters, city ascending, one page of 7",
			map[string]any{"order": map[string]any{"field": "CITY"}, "first": 7},
			map[string]any{"order": map[string]any{"key": "city"}, "first": 7}},
		{"a Chinese option value",
			map[string]any{"cities": []any{cityEnum["北京"]}, "order": map[string]any{"field": "BUDGET"}, "first": 50},
			map[string]any{"preds": []any{map[string]any{"key": "city", "op": "IN", "value": []any{"北京"}}}, "order": map[string]any{"key": "budget"}, "first": 50}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var typedOut struct {
				Page struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							ID    string
							Money any
							Town  any
						}
					}
				}
			}
			api.MustDo(token, typedQuery, c.typed, &typedOut)
			var genericOut struct {
				Leads struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							ID         string
							Attributes map[string]any
						}
					}
				}
			}
			api.MustDo(token, genericQuery, c.generic, &genericOut)
			var got, want []typedRow
			for _, e := range typedOut.Page.Edges {
				got = append(got, typedRow{e.Node.ID, e.Node.Money, e.Node.Town})
			}
			for _, e := range genericOut.Leads.Edges {
				r := typedRow{ID: e.Node.ID, Budget: e.Node.Attributes["budget"]}
				if v, ok := e.Node.Attributes["city"].(string); ok {
					r.City = cityEnum[v]
				}
				want = append(want, r)
			}
			if len(want) == 0 {
				t.Fatal("the generic query matched nothing: the case proves nothing")
			}
			if typedOut.Page.TotalCount != genericOut.Leads.TotalCount || !reflect.DeepEqual(got, want) {
				t.Fatalf("typed (%d) = %v\ngeneric (%d) = %v", typedOut.Page.TotalCount, got, genericOut.Leads.TotalCount, want)
			}
		})
	}

	// A node fetched through the Node interface has its typed fields too.
	var one struct {
		Leads struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	api.MustDo(token, `{ leads(first: 1, where: {budgetNotNil: true, cityNotNil: true}) { edges { node { id } } } }`, nil, &one)
	var node struct {
		Node struct {
			Budget any
			City   any
		}
	}
	api.MustDo(token, `query($id: ID!) { node(id: $id) { ... on Lead { budget city } } }`, map[string]any{"id": one.Leads.Edges[0].Node.ID}, &node)
	if node.Node.Budget == nil || node.Node.City == nil {
		t.Errorf("node() = %+v", node.Node)
	}
}

// TestTypedInputsWriteAttributes: custom fields in updateLead and
// ingestLeads inputs are written like attributes, null clears.
func TestTypedInputsWriteAttributes(t *testing.T) {
	api := apitest.New(t)
	token, ids, cityEnum := typedWorkspace(t, api)
	var out struct {
		UpdateLead struct {
			Attributes map[string]any
			Budget     any
			City       any
		}
	}
	api.MustDo(token, `mutation($id: ID!, $city: LeadCityOption) { updateLead(id: $id, input: {budget: 4321.5, city: $city}) { attributes budget city } }`,
		map[string]any{"id": ids[3], "city": cityEnum["北京"]}, &out)
	if out.UpdateLead.Attributes["budget"] != 4321.5 || out.UpdateLead.Attributes["city"] != "北京" || out.UpdateLead.City != cityEnum["北京"] {
		t.Fatalf("updateLead = %+v", out.UpdateLead)
	}
	out.UpdateLead.Attributes = nil // json.Unmarshal would merge into the old map
	api.MustDo(token, `mutation($id: ID!) { updateLead(id: $id, input: {budget: null}) { attributes budget city } }`, map[string]any{"id": ids[3]}, &out)
	if _, has := out.UpdateLead.Attributes["budget"]; has || out.UpdateLead.Budget != nil || out.UpdateLead.Attributes["city"] != "北京" {
		t.Fatalf("clearing budget = %+v", out.UpdateLead)
	}
	// Values are validated like attributes: the error names the key.
	r := api.Do(token, `mutation($id: ID!) { updateLead(id: $id, input: {budget: 1, attributes: {budget: 2}}) { id } }`, map[string]any{"id": ids[3]})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("budget given twice: %+v", r.Errors)
	}
	var ing struct {
		IngestLeads struct {
			Results []struct {
				Status string
				Lead   struct {
					Budget any
					City   any
				}
			}
		}
	}
	api.MustDo(token, `mutation($rows: [LeadInput!]!) { ingestLeads(input: {source: "typed", leads: $rows}) { results { status lead { budget city } } } }`,
		map[string]any{"rows": []any{map[string]any{"name": "新客户", "phone": "13911112222", "budget": 777, "city": "SHANGHAI"}}}, &ing)
	if len(ing.IngestLeads.Results) != 1 || ing.IngestLeads.Results[0].Lead.Budget != 777.0 || ing.IngestLeads.Results[0].Lead.City != "SHANGHAI" {
		t.Fatalf("ingest = %+v", ing.IngestLeads)
	}
}

// TestTypedSchemaIsTheWorkspacesOwn: workspace B sees neither field in
// introspection or SDL and cannot query them; an archived field leaves A's
// schema on the next request.
func TestTypedSchemaIsTheWorkspacesOwn(t *testing.T) {
	api := apitest.New(t)
	tokenA, _, _ := typedWorkspace(t, api)
	_, tokenB := api.Workspace("beta")

	leadFields := func(token string) []string {
		var out struct {
			Type struct{ Fields []struct{ Name string } } `json:"__type"`
		}
		api.MustDo(token, `{ __type(name: "Lead") { fields { name } } }`, nil, &out)
		var names []string
		for _, f := range out.Type.Fields {
			names = append(names, f.Name)
		}
		return names
	}
	has := func(names []string, n string) bool {
		return strings.Contains(" "+strings.Join(names, " ")+" ", " "+n+" ")
	}
	a, b := leadFields(tokenA), leadFields(tokenB)
	if !has(a, "budget") || !has(a, "city") || has(a, "typedAttribute") {
		t.Errorf("A's Lead fields = %v", a)
	}
	if has(b, "budget") || has(b, "city") || has(b, "typedAttribute") || !has(b, "attributes") {
		t.Errorf("B's Lead fields = %v", b)
	}
	r := api.Do(tokenB, `{ leads { edges { node { budget } } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[0].Message, `Cannot query field "budget" on type "Lead"`) {
		t.Fatalf("B's query of budget: %+v", r.Errors)
	}
	if r := api.Do(tokenB, `{ leads(where: {budgetGT: 1}) { totalCount } }`, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("B's filter on budget: %+v", r.Errors)
	}
	// typedAttribute is not served to anyone.
	if r := api.Do(tokenA, `{ leads { edges { node { typedAttribute(key: "budget") } } } }`, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("typedAttribute is served: %+v", r.Errors)
	}

	sdl := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, api.URL+"/graphql/schema.graphql", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	status, sdlA := sdl(tokenA)
	if status != http.StatusOK || !strings.Contains(sdlA, "budget: Float") || !strings.Contains(sdlA, "enum LeadCityOption") || !strings.Contains(sdlA, "budgetGT: Float") {
		t.Fatalf("A's SDL (%d) lacks its fields", status)
	}
	if _, err := gqlparser.LoadSchema(&ast.Source{Name: "a.graphql", Input: sdlA}); err != nil {
		t.Fatalf("A's SDL does not load: %v", err)
	}
	if _, sdlB := sdl(tokenB); strings.Contains(sdlB, "budget: Float") || strings.Contains(sdlB, "LeadCityOption") || !strings.Contains(sdlB, "type Lead implements Node") {
		t.Fatal("B's SDL has A's field, or is not a schema")
	}
	if status, _ := sdl(""); status != http.StatusUnauthorized {
		t.Fatalf("SDL without credentials: %d", status)
	}

	// Archiving city takes it out of A's schema on the next request.
	var defs struct{ FieldDefinitions []struct{ ID, Key string } }
	api.MustDo(tokenA, `{ fieldDefinitions(entity: LEAD) { id key } }`, nil, &defs)
	for _, d := range defs.FieldDefinitions {
		if d.Key == "city" {
			api.MustDo(tokenA, `mutation($id: ID!) { archiveFieldDefinition(id: $id) { id } }`, map[string]any{"id": d.ID}, nil)
		}
	}
	if r := api.Do(tokenA, `{ leads { edges { node { city } } } }`, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("archived city is still served: %+v", r.Errors)
	}
	if r := api.Do(tokenA, `{ __type(name: "LeadCityOption") { name } }`, nil); string(r.Data) != `{"__type":null}` {
		t.Fatalf("archived city's enum is still served: %s", r.Data)
	}
}

// TestTypedFieldDefinedOnOneServerIsQueryableOnAnother: a second api
// process (own caches), warmed before the definition, serves the new field
// on the next request.
func TestTypedFieldDefinedOnOneServerIsQueryableOnAnother(t *testing.T) {
	one := apitest.New(t)
	two := apitest.Start(t, one.DB, one.Redis, one.Clock)
	c, token := one.Workspace("acme")
	ids := seedLeads(t, one, c, 2)
	if r := two.Do(token, `{ leads { edges { node { score } } } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("warm-up: %+v", r.Errors)
	}
	if r := two.Do(token, `{ leads { edges { node { budget } } } }`, nil); len(r.Errors) == 0 {
		t.Fatal("budget is served before it is defined")
	}
	one.MustDo(token, createField, map[string]any{"input": map[string]any{"key": "budget", "label": "Budget", "type": "NUMBER"}}, nil)
	two.MustDo(token, `mutation($id: ID!) { updateLead(id: $id, input: {budget: 12}) { id } }`, map[string]any{"id": ids[0]}, nil)
	var out struct {
		Leads struct {
			Edges []struct {
				Node struct {
					ID     string
					Budget any
				}
			}
		}
	}
	two.MustDo(token, `{ leads(where: {budgetGT: 10}) { edges { node { id budget } } } }`, nil, &out)
	if got := fmt.Sprint(out.Leads.Edges); got != fmt.Sprintf("[{{%s 12}}]", ids[0]) {
		t.Fatalf("server two = %s", got)
	}
	js, _ := json.Marshal(out)
	if !strings.Contains(string(js), `"Budget":12`) {
		t.Fatalf("budget = %s", js)
	}
}

// TestListStatementsDoNotGrowWithPageSize: a page of leads with owner, tags,
// stage and custom fields costs the same number of SQL statements for 5
// leads as for 20, through the typed and the generic path and with either
// kind of order (edges are loaded per page, not per lead), and at most two
// (issue #21): the page itself, which carries the owner, stage and tags
// (ent.InlineEdgeLoads), and the count where the path takes one; the
// workspace's schema version is a Redis token (fielddefs/versions.go).
func TestListStatementsDoNotGrowWithPageSize(t *testing.T) {
	api := apitest.New(t)
	token, ids, _ := typedWorkspace(t, api)
	var me struct{ Me struct{ ID string } }
	api.MustDo(token, `{ me { id } }`, nil, &me)
	var tags struct{ CreateTag struct{ ID string } }
	api.MustDo(token, `mutation { createTag(input: {name: "高意向"}) { id } }`, nil, &tags)
	api.MustDo(token, `mutation($ids: [ID!]!, $t: ID!) { tagLeads(leadIDs: $ids, tagIDs: [$t]) { affected } }`, map[string]any{"ids": ids, "t": tags.CreateTag.ID}, nil)
	api.MustDo(token, `mutation($ids: [ID!]!, $o: ID!) { assignLeads(ids: $ids, ownerID: $o) { assigned failures { code } } }`, map[string]any{"ids": ids, "o": me.Me.ID}, nil)
	for name, c := range map[string]struct {
		query string
		most  int
	}{
		"typed":          {`query($n: Int) { leads(first: $n, orderBy: {field: BUDGET}) { edges { node { id owner { name } tags { name } stage { name } budget city } } } }`, 2},
		"generic":        {`query($n: Int) { leads(first: $n, orderByAttribute: {key: "budget"}) { edges { node { id owner { name } tags { name } stage { name } attributes } } } }`, 2},
		"built-in order": {`query($n: Int) { leads(first: $n, orderBy: {field: SCORE, direction: DESC}, where: {budgetNotNil: true}) { edges { node { id owner { name } tags { name } stage { name } budget city } } } }`, 1},
		"with a count":   {`query($n: Int) { leads(first: $n, orderBy: {field: CREATED_AT}) { totalCount edges { node { id owner { name } tags { name } stage { name } budget } } } }`, 2},
		// pageInfo is read off the page (one row more than asked), not a count.
		"with page info": {`query($n: Int) { leads(first: $n, orderBy: {field: CREATED_AT}) { pageInfo { hasNextPage endCursor } edges { node { id owner { name } tags { name } stage { name } budget } } } }`, 1},
	} {
		query := c.query
		counts := map[int]int{}
		for _, n := range []int{5, 20} {
			var out struct {
				Leads struct {
					Edges []struct {
						Node struct {
							Owner struct{ Name string }
							Tags  []struct{ Name string }
						}
					}
				}
			}
			before := api.Statements()
			api.MustDo(token, query, map[string]any{"n": n}, &out)
			counts[n] = api.Statements() - before
			if len(out.Leads.Edges) != n || out.Leads.Edges[0].Node.Owner.Name == "" || len(out.Leads.Edges[n-1].Node.Tags) != 1 {
				t.Fatalf("%s page of %d: %+v", name, n, out.Leads.Edges)
			}
		}
		if counts[5] == 0 || counts[20] != counts[5] || counts[20] > c.most {
			t.Errorf("%s: %d statements for 5 leads, %d for 20, want at most %d", name, counts[5], counts[20], c.most)
		}
		t.Logf("%s list: %d SQL statements per page", name, counts[20])
	}

	// hasNextPage without a count: true while leads remain, false on the
	// last page; with first: 0 it needs the count, and says whether any lead
	// matches.
	var all struct{ Leads struct{ TotalCount int } }
	api.MustDo(token, `{ leads(first: 0) { totalCount } }`, nil, &all)
	for _, c := range []struct {
		first int
		next  bool
	}{{all.Leads.TotalCount - 1, true}, {all.Leads.TotalCount, false}, {0, true}} {
		var page struct {
			Leads struct {
				PageInfo struct{ HasNextPage bool }
				Edges    []struct{ Node struct{ ID string } }
			}
		}
		api.MustDo(token, `query($n: Int) { leads(first: $n) { pageInfo { hasNextPage } edges { node { id } } } }`, map[string]any{"n": c.first}, &page)
		if page.Leads.PageInfo.HasNextPage != c.next || len(page.Leads.Edges) != c.first {
			t.Errorf("first %d of %d leads: hasNextPage %v with %d edges, want %v with %d", c.first, all.Leads.TotalCount, page.Leads.PageInfo.HasNextPage, len(page.Leads.Edges), c.next, c.first)
		}
	}

	// The signed-in user and the schema are read again in the background
	// before their recheck is due, so no list request pays for the recheck.
	const list = `{ leads(first: 20, orderBy: {field: CREATED_AT}) { totalCount edges { node { id budget } } } }`
	for i := range 3 {
		api.Clock.Advance(changetoken.RefreshAhead + time.Second/2)
		before := api.Statements()
		api.MustDo(token, list, nil, nil)
		if n := api.Statements() - before; n != 2 {
			t.Errorf("list %d, %v after the one before: %d statements, want 2", i+1, changetoken.RefreshAhead+time.Second/2, n)
		}
		api.WaitRefreshes()
	}
}

// The page statement carries each lead's owner, stage and tags: a lead
// without them reads null and [] (not another statement per lead), and
// two selections of tags under different aliases each get theirs.
func TestInlinedEdgesOfAPage(t *testing.T) {
	api := apitest.New(t)
	token, ids, _ := typedWorkspace(t, api)
	var tag struct{ CreateTag struct{ ID string } }
	api.MustDo(token, `mutation { createTag(input: {name: "高意向"}) { id } }`, nil, &tag)
	api.MustDo(token, `mutation($ids: [ID!]!, $t: ID!) { tagLeads(leadIDs: $ids, tagIDs: [$t]) { affected } }`, map[string]any{"ids": ids[:1], "t": tag.CreateTag.ID}, nil)
	const page = `{ leads(first: 30) { edges { node { id owner { name } stage { name } pool { name } territory { name } a: tags { name } b: tags { id } } } } }`
	var out struct {
		Leads struct {
			Edges []struct {
				Node struct {
					ID        string
					Owner     *struct{ Name string }
					Stage     *struct{ Name string }
					Pool      *struct{ Name string }
					Territory *struct{ Name string }
					A         []struct{ Name string }
					B         []struct{ ID string }
				}
			}
		}
	}
	before := api.Statements()
	api.MustDo(token, page, nil, &out)
	if n := api.Statements() - before; n > 2 {
		t.Errorf("a page of %d leads took %d statements", len(out.Leads.Edges), n)
	}
	if len(out.Leads.Edges) != len(ids) {
		t.Fatalf("%d leads, want %d", len(out.Leads.Edges), len(ids))
	}
	tagged := 0
	for _, e := range out.Leads.Edges {
		n := e.Node
		if n.Stage == nil || n.Stage.Name == "" {
			t.Errorf("lead %s: stage %+v", n.ID, n.Stage)
		}
		if n.Owner != nil || n.Territory != nil || n.Pool == nil || n.Pool.Name == "" {
			t.Errorf("lead %s (in a pool, no owner or territory) reads %+v %+v %+v", n.ID, n.Owner, n.Pool, n.Territory)
		}
		if n.A == nil || n.B == nil || len(n.A) != len(n.B) {
			t.Fatalf("lead %s: tags %+v and %+v", n.ID, n.A, n.B)
		}
		if n.ID == ids[0] {
			tagged++
			if len(n.A) != 1 || n.A[0].Name != "高意向" || n.B[0].ID != tag.CreateTag.ID {
				t.Errorf("the tagged lead's tags: %+v %+v", n.A, n.B)
			}
		} else if len(n.A) != 0 {
			t.Errorf("lead %s: tags %+v", n.ID, n.A)
		}
	}
	if tagged != 1 {
		t.Errorf("the tagged lead was listed %d times", tagged)
	}
	// An edge that loads edges of its own is not inlined: it loads as
	// before, still once per page, and reads right.
	var me struct{ Me struct{ ID string } }
	api.MustDo(token, `{ me { id } }`, nil, &me)
	api.MustDo(token, `mutation($ids: [ID!]!, $o: ID!) { assignLeads(ids: $ids, ownerID: $o) { assigned } }`, map[string]any{"ids": ids, "o": me.Me.ID}, nil)
	var nested struct {
		Leads struct {
			Edges []struct {
				Node struct {
					Owner struct {
						Name  string
						Roles []string
					}
				}
			}
		}
	}
	counts := map[int]int{}
	for _, n := range []int{5, 20} {
		before := api.Statements()
		api.MustDo(token, `query($n: Int) { leads(first: $n) { edges { node { owner { name roles } } } } }`, map[string]any{"n": n}, &nested)
		counts[n] = api.Statements() - before
		if len(nested.Leads.Edges) != n || nested.Leads.Edges[n-1].Node.Owner.Name == "" {
			t.Fatalf("owners = %+v", nested.Leads.Edges)
		}
	}
	if counts[5] != counts[20] {
		t.Errorf("owner with a resolver field: %d statements for 5 leads, %d for 20", counts[5], counts[20])
	}
}

// A page whose leads select only fields of leadFieldColumns reads only their
// columns (selectLeadColumns); every value must still be the one the page
// gives when it selects the generic attributes too, which reads every column.
func TestNarrowedLeadPageKeepsEveryValue(t *testing.T) {
	api := apitest.New(t)
	token, ids, _ := typedWorkspace(t, api)
	var me struct{ Me struct{ ID string } }
	api.MustDo(token, `{ me { id } }`, nil, &me)
	var tags struct{ CreateTag struct{ ID string } }
	api.MustDo(token, `mutation { createTag(input: {name: "高意向"}) { id } }`, nil, &tags)
	api.MustDo(token, `mutation($ids: [ID!]!, $t: ID!) { tagLeads(leadIDs: $ids, tagIDs: [$t]) { affected } }`, map[string]any{"ids": ids[:10], "t": tags.CreateTag.ID}, nil)
	api.MustDo(token, `mutation($ids: [ID!]!, $o: ID!) { assignLeads(ids: $ids, ownerID: $o) { assigned } }`, map[string]any{"ids": ids[5:20], "o": me.Me.ID}, nil)
	api.MustDo(token, `mutation($id: ID!) { updateLead(id: $id, input: {company: "ACME", email: "a@acme.test"}) { id } }`, map[string]any{"id": ids[3]}, nil)

	const fields = `id name phone email company status score tier source sourceDetail createdAt updatedAt lastFollowUpAt
		ownerID stageID poolID claimedAt owner { name } stage { name } pool { name } tags { name } budget city`
	page := func(extra string) []map[string]any {
		var out struct {
			Leads struct {
				Edges []struct{ Node map[string]any }
			}
		}
		api.MustDo(token, `{ leads(first: 50, orderBy: {field: CREATED_AT}) { edges { node { `+fields+extra+` } } } }`, nil, &out)
		nodes := make([]map[string]any, len(out.Leads.Edges))
		for i, e := range out.Leads.Edges {
			delete(e.Node, "attributes")
			delete(e.Node, "reachableChannels")
			nodes[i] = e.Node
		}
		return nodes
	}
	narrowed, full := page(""), page(" attributes reachableChannels")
	if len(narrowed) != len(ids) || len(full) != len(ids) {
		t.Fatalf("%d and %d leads, want %d", len(narrowed), len(full), len(ids))
	}
	seen := map[string]bool{}
	for i := range narrowed {
		if !reflect.DeepEqual(narrowed[i], full[i]) {
			t.Fatalf("lead %d:\nnarrowed %v\nfull     %v", i, narrowed[i], full[i])
		}
		for k, v := range narrowed[i] {
			if v != nil && v != "" {
				seen[k] = true
			}
		}
	}
	// The comparison means something only if the page has these values.
	for _, k := range []string{"name", "phone", "email", "company", "owner", "stage", "tags", "budget", "city", "ownerID", "claimedAt"} {
		if !seen[k] {
			t.Errorf("no lead of the page has %s: the comparison does not cover it", k)
		}
	}
}

// TestOptionGraphQLNamesAreTheSchemasEnumValues: fieldDefinitions serves
// each option's enum value name as the workspace's schema spells it,
// colliding and non-ASCII values included, so clients need not rebuild it.
func TestOptionGraphQLNamesAreTheSchemasEnumValues(t *testing.T) {
	api := apitest.New(t)
	token, _, cityEnum := typedWorkspace(t, api)
	api.MustDo(token, createField, map[string]any{"input": map[string]any{"key": "tier_code", "label": "档位", "type": "MULTI_SELECT",
		"options": []any{map[string]any{"value": "tier-1", "label": "一档"}, map[string]any{"value": "tier 1", "label": "一档（旧）"},
			map[string]any{"value": "2nd", "label": "二档"}, map[string]any{"value": "null", "label": "空"}}}}, nil)
	var defs struct {
		FieldDefinitions []struct {
			Key     string
			Options []struct{ Value, GraphqlName string }
		}
	}
	api.MustDo(token, `{ fieldDefinitions(entity: LEAD) { key options { value graphqlName } } }`, nil, &defs)
	var intro struct {
		Type struct{ EnumValues []struct{ Name string } } `json:"__type"`
	}
	api.MustDo(token, `{ __type(name: "LeadTierCodeOption") { enumValues { name } } }`, nil, &intro)
	seen := 0
	for _, d := range defs.FieldDefinitions {
		switch d.Key {
		case "city":
			for _, o := range d.Options {
				if o.GraphqlName != cityEnum[o.Value] {
					t.Errorf("city option %q: graphqlName %q, schema %q", o.Value, o.GraphqlName, cityEnum[o.Value])
				}
			}
			seen++
		case "tier_code":
			var got []string
			for _, o := range d.Options {
				got = append(got, o.GraphqlName)
			}
			var want []string
			for _, v := range intro.Type.EnumValues {
				want = append(want, v.Name)
			}
			if !reflect.DeepEqual(got, want) || got[0] != "TIER_1" || !strings.HasPrefix(got[1], "V_") || got[2] != "_2ND" || !strings.HasPrefix(got[3], "V_") {
				t.Errorf("tier_code graphqlNames %v, schema %v", got, want)
			}
			seen++
		case "budget":
			if len(d.Options) != 0 {
				t.Errorf("budget options %+v", d.Options)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("fieldDefinitions = %+v", defs.FieldDefinitions)
	}
}
