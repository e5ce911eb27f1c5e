package typed_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/graph/generated"
	"github.com/scrmhq/scrm/graph/typed"
	"github.com/scrmhq/scrm/internal/fields"
)

var served = generated.NewExecutableSchema(generated.Config{}).Schema()

func build(t *testing.T, defs ...fields.Definition) *typed.Schema {
	t.Helper()
	sch, err := fields.NewSchema(defs)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := typed.Build(served, sch)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

var (
	budget = fields.Definition{Key: "budget", Label: "预算", Type: fields.TypeNumber}
	city   = fields.Definition{Key: "city", Label: "城市", Type: fields.TypeSelect, Options: []fields.Option{
		{Value: "shanghai", Label: "上海"}, {Value: "北京", Label: "北京"}, {Value: "tier-1", Label: "一线"},
	}}
	channels = fields.Definition{Key: "channels", Label: "渠道", Type: fields.TypeMultiSelect, Options: []fields.Option{
		{Value: "ads", Label: "广告"}, {Value: "referral", Label: "转介绍"},
	}}
)

// rewrite validates query against ts like the executor does, runs Rewrite
// and returns the served form of the operation and its variables.
func rewrite(t *testing.T, ts *typed.Schema, query string, vars map[string]any) (string, map[string]any) {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(ts.AST, query)
	if errs != nil {
		t.Fatalf("validate against the typed schema: %v", errs)
	}
	op := doc.Operations[0]
	coerced, err := validator.VariableValues(ts.AST, op, vars)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	format := func(doc *ast.QueryDocument) string {
		var b strings.Builder
		formatter.NewFormatter(&b, formatter.WithIndent(" ")).FormatQueryDocument(doc)
		return b.String()
	}
	validated := format(doc)
	rc := &graphql.OperationContext{Doc: doc, Operation: op, Variables: coerced}
	if gerr := ts.Rewrite(context.Background(), rc); gerr != nil {
		t.Fatalf("rewrite: %v", gerr)
	}
	// The handler's query cache hands the same validated document to every
	// request: Rewrite must work on a copy.
	if got := format(doc); got != validated {
		t.Errorf("Rewrite changed the validated document:\n%s", got)
	}
	if rc.Operation != rc.Doc.Operations[0] {
		t.Errorf("the operation context's operation is not its document's")
	}
	return format(rc.Doc), rc.Variables
}

func TestWorkspaceSchemaServesCustomFieldsAsTypes(t *testing.T) {
	ts := build(t, budget, city, channels, fields.Definition{Key: "gone", Label: "x", Type: fields.TypeText, Archived: true})
	lead := ts.AST.Types["Lead"]
	for name, want := range map[string]string{"budget": "Float", "city": "LeadCityOption", "channels": "[LeadChannelsOption!]"} {
		f := lead.Fields.ForName(name)
		if f == nil || f.Type.String() != want {
			t.Errorf("Lead.%s = %v, want type %s", name, f, want)
		}
	}
	if lead.Fields.ForName("gone") != nil || lead.Fields.ForName(typed.TypedAttributeField) != nil {
		t.Error("the archived field or typedAttribute is served")
	}
	if served.Types["Lead"].Fields.ForName("budget") != nil || served.Types["Lead"].Fields.ForName(typed.TypedAttributeField) == nil {
		t.Fatal("Build changed the served schema")
	}
	var names []string
	for _, v := range ts.AST.Types["LeadCityOption"].EnumValues {
		names = append(names, v.Name)
	}
	if len(names) != 3 || names[0] != "SHANGHAI" || names[2] != "TIER_1" || !regexp.MustCompile(`^V_[0-9a-f]{10}$`).MatchString(names[1]) {
		t.Errorf("LeadCityOption values = %v", names)
	}
	where := ts.AST.Types["LeadWhereInput"]
	for name, want := range map[string]string{
		"budget": "Float", "budgetGT": "Float", "budgetIn": "[Float!]", "budgetIsNil": "Boolean",
		"city": "LeadCityOption", "cityNotIn": "[LeadCityOption!]", "channelsContains": "[LeadChannelsOption!]",
	} {
		if f := where.Fields.ForName(name); f == nil || f.Type.String() != want {
			t.Errorf("LeadWhereInput.%s = %v, want %s", name, f, want)
		}
	}
	if where.Fields.ForName("cityGT") != nil || where.Fields.ForName("budgetContains") != nil {
		t.Error("filters the field's type cannot run are served")
	}
	if ts.AST.Types["LeadOrderField"].EnumValues.ForName("BUDGET") == nil || ts.AST.Types["UpdateLeadInput"].Fields.ForName("city") == nil ||
		ts.AST.Types["LeadInput"].Fields.ForName("channels") == nil {
		t.Error("order or input fields are missing")
	}
	// Node's implementations are the typed Lead, so introspection of a
	// node shows the custom fields too.
	for _, d := range ts.AST.PossibleTypes["Node"] {
		if d.Name == "Lead" && d.Fields.ForName("budget") == nil {
			t.Error("Node's Lead is the served one")
		}
	}
	// The SDL loads back as a schema: what code generators read is valid.
	var sdl strings.Builder
	formatter.NewFormatter(&sdl).FormatSchema(ts.AST)
	if _, err := gqlparser.LoadSchema(&ast.Source{Input: sdl.String()}); err != nil {
		t.Fatalf("the SDL does not load: %v", err)
	}
}

func TestWorkspaceWithoutFieldsServesTheBaseSchema(t *testing.T) {
	ts := build(t)
	if ts.Fields() != 0 || ts.AST.Types["Lead"].Fields.ForName(typed.TypedAttributeField) != nil {
		t.Fatal("unexpected fields")
	}
	if _, errs := gqlparser.LoadQuery(ts.AST, `{ leads { edges { node { budget } } } }`); errs == nil ||
		!strings.Contains(errs.Error(), `Cannot query field "budget" on type "Lead"`) {
		t.Fatalf("errors = %v", errs)
	}
}

func TestRewriteSelectionsKeepResponseKeys(t *testing.T) {
	ts := build(t, budget, city)
	got, vars := rewrite(t, ts, `query { leads { edges { node { id budget money: budget ...F } } } node(id: "x") { ... on Lead { city } } }
		fragment F on Lead { c: city }`, nil)
	// One reader per field, whatever the aliases.
	read := func(v string, l *ent.Lead) any { return vars[v].(ent.AttributeReader).ReadAttribute(l) }
	l := &ent.Lead{Attributes: map[string]any{"budget": 12.0, "city": "北京"}}
	bj := ts.AST.Types["LeadCityOption"].EnumValues[1].Name
	wants := map[string]any{"budget": 12.0, "money": 12.0, "c": bj, "city": bj}
	for sel, want := range wants {
		m := regexp.MustCompile(sel + `: typedAttribute\(field: \$(typed:\d+)\)`).FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("%s is not rewritten:\n%s", sel, got)
		}
		if v := read(m[1], l); v != want {
			t.Errorf("%s reads %v, want %v", sel, v, want)
		}
	}
}

func TestReaderMasksContactFields(t *testing.T) {
	mobile := fields.Definition{Key: "mobile2", Label: "备用手机", Type: fields.TypePhone}
	ts := build(t, mobile)
	_, vars := rewrite(t, ts, `{ leads { edges { node { mobile2 } } } }`, nil)
	var r ent.AttributeReader
	for _, v := range vars {
		r, _ = v.(ent.AttributeReader)
	}
	got := r.ReadAttribute(&ent.Lead{Attributes: map[string]any{"mobile2": "+8613812345678"}})
	if got == "+8613812345678" || !strings.Contains(got.(string), "*") {
		t.Fatalf("a viewer without the contact grant reads %v", got)
	}
}

func TestRewriteFiltersOrderAndInputs(t *testing.T) {
	ts := build(t, budget, city, channels)
	cityBJ := ts.AST.Types["LeadCityOption"].EnumValues[1].Name
	got, vars := rewrite(t, ts, `query($min: Float, $cities: [LeadCityOption!], $order: LeadOrder) {
		leads(where: {budgetGTE: $min, cityIn: $cities, budgetIsNil: false, or: [{channelsContains: [ADS, REFERRAL]}, {cityIsNil: true}], nameContains: "x"}, orderBy: $order) { totalCount }
	}`, map[string]any{"min": 10, "cities": []any{"SHANGHAI", cityBJ}, "order": map[string]any{"field": "BUDGET", "direction": "DESC"}})
	if !strings.Contains(got, "orderBy: null") || !strings.Contains(got, "orderByAttribute: $typed:") {
		t.Fatalf("orderBy not moved:\n%s", got)
	}
	js, _ := json.Marshal(vars)
	for _, want := range []string{
		`{"key":"budget","op":"GTE","value":10}`,
		`{"key":"city","op":"IN","value":["shanghai","北京"]}`,
		`{"key":"channels","op":"CONTAINS","value":["ads","referral"]}`,
		`{"key":"city","op":"IS_EMPTY"}`,
		`{"direction":"DESC","key":"budget"}`,
		`"nameContains":"x"`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("variables lack %s: %s", want, js)
		}
	}
	if strings.Contains(string(js), "budgetIsNil") || strings.Contains(string(js), `"IS_NOT_EMPTY"`) {
		t.Errorf("a false IsNil filtered: %s", js)
	}

	_, vars = rewrite(t, ts, `mutation { updateLead(id: "x", input: {name: "n", budget: 5.5, city: SHANGHAI, channels: [ADS], attributes: {other: 1}}) { id } }`, nil)
	js, _ = json.Marshal(vars)
	if want := `{"attributes":{"budget":5.5,"channels":["ads"],"city":"shanghai","other":1},"name":"n"}`; !strings.Contains(string(js), want) {
		t.Errorf("update input = %s, want %s", js, want)
	}
	// bulkUpdateLeads' action.update is an UpdateLeadInput: the same typed fields.
	_, vars = rewrite(t, ts, `mutation($a: BulkLeadActionInput!) { bulkUpdateLeads(where: {budgetGT: 1}, action: $a) { matched } }`,
		map[string]any{"a": map[string]any{"update": map[string]any{"company": "c", "budget": nil, "city": cityBJ, "channels": []any{"REFERRAL"}}}})
	js, _ = json.Marshal(vars)
	if want := `{"update":{"attributes":{"budget":null,"channels":["referral"],"city":"北京"},"company":"c"}}`; !strings.Contains(string(js), want) {
		t.Errorf("bulk action = %s, want %s", js, want)
	}
	_, vars = rewrite(t, ts, `mutation($rows: [LeadInput!]!) { ingestLeads(input: {source: "s", leads: $rows}) { created } }`,
		map[string]any{"rows": []any{map[string]any{"name": "a", "budget": nil}, map[string]any{"name": "b", "city": "SHANGHAI"}}})
	js, _ = json.Marshal(vars)
	if !strings.Contains(string(js), `"attributes":{"budget":null}`) || !strings.Contains(string(js), `"attributes":{"city":"shanghai"}`) {
		t.Errorf("ingest rows = %s", js)
	}
}

func TestRewriteRefusesAmbiguousInput(t *testing.T) {
	ts := build(t, budget)
	for name, query := range map[string]string{
		"twice":      `mutation { updateLead(id: "x", input: {budget: 1, attributes: {budget: 2}}) { id } }`,
		"both sorts": `{ leads(orderBy: {field: BUDGET}, orderByAttribute: {key: "budget"}) { totalCount } }`,
	} {
		doc, errs := gqlparser.LoadQuery(ts.AST, query)
		if errs != nil {
			t.Fatal(errs)
		}
		rc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
		gerr := ts.Rewrite(context.Background(), rc)
		if gerr == nil || gerr.Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("%s: error = %v", name, gerr)
		}
	}
}

// readerOf is the reader the rewrite binds to a selection of key.
func readerOf(t *testing.T, ts *typed.Schema, key string) ent.AttributeReader {
	t.Helper()
	_, vars := rewrite(t, ts, `{ leads { edges { node { `+key+` } } } }`, nil)
	for _, v := range vars {
		if r, ok := v.(ent.AttributeReader); ok {
			return r
		}
	}
	t.Fatalf("no reader for %s", key)
	return nil
}

func TestReadersConvertStoredValues(t *testing.T) {
	ts := build(t, budget, city, channels)
	bj := ts.AST.Types["LeadCityOption"].EnumValues[1].Name
	cases := []struct {
		key  string
		in   any
		want any
	}{
		{"budget", 12.5, 12.5},
		{"budget", "12", nil}, // a value left by an old TEXT definition
		{"city", "北京", bj},
		{"city", "gone", nil},
		{"channels", []any{"referral", "gone", "ads"}, []any{"REFERRAL", "ADS"}},
		{"channels", nil, nil},
	}
	for _, c := range cases {
		l := &ent.Lead{Attributes: map[string]any{}}
		if c.in != nil {
			l.Attributes[c.key] = c.in
		}
		got, _ := json.Marshal(readerOf(t, ts, c.key).ReadAttribute(l))
		want, _ := json.Marshal(c.want)
		if string(got) != string(want) {
			t.Errorf("reading %s = %v gives %s, want %s", c.key, c.in, got, want)
		}
	}
}

// TestServedNamesAreReservedKeys: no custom-field key can take a name the
// served schema already has on Lead, its where, order and inputs, so the
// typed schema never has to leave a field out.
func TestServedNamesAreReservedKeys(t *testing.T) {
	keyRE := regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	var names []string
	for _, typ := range []string{"Lead", "UpdateLeadInput", "LeadInput"} {
		for _, f := range served.Types[typ].Fields {
			names = append(names, f.Name)
		}
	}
	for _, v := range served.Types["LeadOrderField"].EnumValues {
		names = append(names, strings.ToLower(v.Name))
	}
	suffixes := []string{"NEQ", "In", "NotIn", "Contains", "GT", "GTE", "LT", "LTE", "IsNil", "NotNil"}
	for _, f := range served.Types["LeadWhereInput"].Fields {
		names = append(names, f.Name)
		for _, s := range suffixes {
			if base, ok := strings.CutSuffix(f.Name, s); ok {
				names = append(names, base)
			}
		}
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		if n == typed.TypedAttributeField || !keyRE.MatchString(n) {
			continue // typedAttribute is never served; the rest no key can spell
		}
		if fields.ValidKey(n) == nil {
			t.Errorf("%q is a served name but a valid custom-field key", n)
		}
	}
}

// TestBadTypedValuesNameTheirPath: values that pass GraphQL validation but
// not the field (a Date scalar out of shape, a number below the field's
// minimum) are refused before anything runs, at the path the client wrote.
func TestBadTypedValuesNameTheirPath(t *testing.T) {
	zero := 0.0
	visit := fields.Definition{Key: "visit_date", Label: "到访", Type: fields.TypeDate}
	price := fields.Definition{Key: "price", Label: "价格", Type: fields.TypeNumber, Min: &zero}
	code := fields.Definition{Key: "member_code", Label: "会员号", Type: fields.TypeText, Unique: true}
	ts := build(t, visit, price, code)
	cases := map[string]struct{ query, field string }{
		"bulk update":   {`mutation { bulkUpdateLeads(where: {}, action: {update: {company: "c", price: -5}}) { matched } }`, "action.update.price"},
		"bulk unique":   {`mutation { bulkUpdateLeads(where: {}, action: {update: {member_code: "M1"}}) { matched } }`, "action.update.member_code"},
		"bulk clear":    {`mutation { bulkUpdateLeads(where: {price: 1}, action: {update: {member_code: null, visit_date: "2026-02-01"}}) { matched } }`, ""},
		"bulk twice":    {`mutation { bulkUpdateLeads(where: {}, action: {update: {price: 1, attributes: {price: 2}}}) { matched } }`, "action.update.price"},
		"update unique": {`mutation { updateLead(id: "x", input: {member_code: "M1"}) { id } }`, ""},
		"filter":        {`{ leads(where: {or: [{price: 1}, {visit_dateGT: "2026-13-45"}]}) { totalCount } }`, "where.or[1].visit_dateGT"},
		"update":        {`mutation { updateLead(id: "x", input: {price: -5}) { id } }`, "input.price"},
		"ingest row":    {`mutation { ingestLeads(input: {source: "s", leads: [{name: "a"}, {name: "b", visit_date: "yesterday"}]}) { created } }`, "input.leads[1].visit_date"},
		"twice":         {`mutation { updateLead(id: "x", input: {price: 1, attributes: {price: 2}}) { id } }`, "input.price"},
		"valid":         {`{ leads(where: {visit_dateGTE: "2026-01-01", priceIn: [1, 2]}) { edges { node { id price } } } }`, ""},
	}
	for name, c := range cases {
		doc, errs := gqlparser.LoadQuery(ts.AST, c.query)
		if errs != nil {
			t.Fatalf("%s: %v", name, errs)
		}
		gerr := ts.Rewrite(context.Background(), &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]})
		switch {
		case c.field == "" && gerr != nil:
			t.Errorf("%s: %v", name, gerr)
		case c.field != "" && (gerr == nil || gerr.Extensions["field"] != c.field || gerr.Extensions["code"] != "BAD_USER_INPUT"):
			t.Errorf("%s: error = %v %v, want field %s", name, gerr, gerr.Extensions, c.field)
		}
	}
}

// TestEveryFieldTypeHasItsScalar: a field of every registered type builds,
// with the GraphQL type its descriptor declares, which the typed schema
// defines (an enum of the options for option types).
func TestEveryFieldTypeHasItsScalar(t *testing.T) {
	for _, typ := range fields.Types() {
		d, _ := fields.Describe(typ)
		def := fields.Definition{Key: "f", Label: "F", Type: typ}
		if d.Storage.Options() {
			def.Options = []fields.Option{{Value: "a", Label: "A"}}
		}
		ts := build(t, def)
		f := ts.AST.Types["Lead"].Fields.ForName("f")
		if f == nil {
			t.Fatalf("%s: no Lead.f", typ)
		}
		want := d.GraphQLScalar
		if d.Storage.Options() {
			want = "LeadFOption"
		}
		if f.Type.Name() != want || ts.AST.Types[want] == nil || (f.Type.Elem != nil) != d.Storage.List() {
			t.Errorf("%s: Lead.f is %s, want %s (defined: %v, list: %v)", typ, f.Type, want, ts.AST.Types[want] != nil, d.Storage.List())
		}
	}
}
