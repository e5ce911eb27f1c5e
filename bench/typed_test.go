package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scrmhq/scrm/ent"
	entpool "github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/workspace"
)

// The 100-lead list of issue #4 with owner, tags, stage and five custom
// fields, once through the workspace's typed schema and once through the
// generic attributes field.
const (
	typedList = `query List($min: Float) {
		leads(first: 100, where: {budgetGTE: $min}, orderBy: {field: SCORE, direction: DESC}) { edges { node {
			id name score owner { name } tags { name } stage { name }
			budget city industry visit_date vip
		} } } }`
	genericList = `query List($min: JSON) {
		leads(first: 100, where: {attributes: [{key: "budget", op: GTE, value: $min}]}, orderBy: {field: SCORE, direction: DESC}) { edges { node {
			id name score owner { name } tags { name } stage { name }
			attributes
		} } } }`
)

// BenchmarkTypedSchema measures server time (the api role's handler called
// in-process, no network) of the list through the typed path against the
// generic path, alternating the two in the same run, and reports their
// ratio. Goal (issue #4): typed/generic ≤ 1.15.
func BenchmarkTypedSchema(b *testing.B) {
	api, token := listWorkspace(b)
	h := api.Server.Config.Handler
	run := func(query string) time.Duration {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"min": 10000}})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		elapsed := time.Since(start)
		var out struct {
			Data struct {
				Leads struct{ Edges []json.RawMessage }
			}
			Errors []any
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Errors) > 0 || len(out.Data.Leads.Edges) != 100 {
			b.Fatalf("list: %d edges, errors %v %v", len(out.Data.Leads.Edges), out.Errors, err)
		}
		return elapsed
	}
	for range 20 { // warm caches (schema, plans, connections)
		run(typedList)
		run(genericList)
	}
	var typed, generic time.Duration
	b.ResetTimer()
	for i := range b.N {
		// Alternate which goes first so neither always meets a warmer cache.
		if i%2 == 0 {
			typed += run(typedList)
			generic += run(genericList)
		} else {
			generic += run(genericList)
			typed += run(typedList)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(typed.Microseconds())/float64(b.N)/1000, "typed-ms/op")
	b.ReportMetric(float64(generic.Microseconds())/float64(b.N)/1000, "generic-ms/op")
	b.ReportMetric(float64(typed)/float64(generic), "typed/generic")
}

// listWorkspace starts the api role on a fresh database with a workspace
// of five custom fields (NUMBER, SELECT, TEXT, DATE, BOOLEAN) and 1,000
// owned, tagged, staged leads, and returns its admin's token.
func listWorkspace(b *testing.B) (*apitest.API, string) {
	b.Helper()
	api := apitest.New(b)
	c, token := api.Workspace("typed")
	for _, f := range []map[string]any{
		{"key": "budget", "label": "预算", "type": "NUMBER"},
		{"key": "city", "label": "城市", "type": "SELECT", "options": []any{
			map[string]any{"value": "sh", "label": "上海"}, map[string]any{"value": "bj", "label": "北京"}, map[string]any{"value": "gz", "label": "广州"}}},
		{"key": "industry", "label": "行业", "type": "TEXT"},
		{"key": "visit_date", "label": "到访日期", "type": "DATE"},
		{"key": "vip", "label": "VIP", "type": "BOOLEAN"},
	} {
		api.MustDo(token, `mutation($in: CreateFieldDefinitionInput!) { createFieldDefinition(input: $in) { id } }`, map[string]any{"in": f}, nil)
	}
	seedTypedLeads(b, api, c, 1000)
	return api, token
}

// seedTypedLeads writes n owned, tagged, staged leads with all five custom
// fields set (one in ten without a visit date).
func seedTypedLeads(b *testing.B, api *apitest.API, c *workspace.Created, n int) {
	b.Helper()
	ctx := tenant.NewContext(context.Background(), c.Workspace.ID)
	cl := api.DB.Client
	first, err := workspace.NextLeadSeq(ctx, cl, c.Workspace.ID, n)
	if err != nil {
		b.Fatal(err)
	}
	public, err := cl.Pool.Query().Where(entpool.IsDefault(true)).Only(ctx)
	if err != nil {
		b.Fatal(err)
	}
	stages, err := cl.Stage.Query().Order(ent.Asc(stage.FieldPosition)).All(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var tags []*ent.Tag
	for _, name := range []string{"高意向", "已加微信", "老客户"} {
		tg, err := cl.Tag.Create().SetName(name).Save(ctx)
		if err != nil {
			b.Fatal(err)
		}
		tags = append(tags, tg)
	}
	cities := []string{"sh", "bj", "gz"}
	bs := make([]*ent.LeadCreate, n)
	for i := range n {
		attrs := map[string]any{
			"budget": float64(1000 * (i%200 + 1)), "city": cities[i%3], "industry": fmt.Sprintf("行业%d", i%17), "vip": i%7 == 0,
		}
		if i%10 != 0 {
			attrs["visit_date"] = fmt.Sprintf("2026-%02d-%02d", i%12+1, i%28+1)
		}
		bs[i] = cl.Lead.Create().SetSeq(first + int64(i)).SetName(fmt.Sprintf("客户 %d", i)).SetPhone(fmt.Sprintf("+86137%08d", i)).
			SetPoolID(public.ID).SetOwnerID(c.Admin.ID).SetStageID(stages[i%len(stages)].ID).SetScore(i % 100).
			SetAttributes(attrs)
	}
	for start := 0; start < n; start += 500 {
		if err := cl.Lead.CreateBulk(bs[start:min(start+500, n)]...).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	// Lead i has the first i%4 tags.
	for k, tg := range tags {
		if _, err := api.DB.DB.ExecContext(ctx, `INSERT INTO lead_tags (tenant_id, lead_id, tag_id, created_at, source)
			SELECT tenant_id, id, $2, now(), 'MANUAL' FROM leads WHERE tenant_id = $1 AND (seq - $3) % 4 > $4`,
			c.Workspace.ID, tg.ID, first, k); err != nil {
			b.Fatal(err)
		}
	}
}
