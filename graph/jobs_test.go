package graph_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/clean"
)

const (
	importJobMutation = `mutation($csv: Upload!, $mapping: JSON!, $key: String) {
		importLeads(csv: $csv, mapping: $mapping, idempotencyKey: $key) { id kind status } }`
	exportJobMutation = `mutation($where: LeadWhereInput, $columns: [String!]) {
		exportLeads(where: $where, columns: $columns) { id kind status } }`
	jobQuery = `query($id: ID!) { node(id: $id) { ... on Job {
		id kind status total done failed error createdAt startedAt finishedAt resultURL } } }`
)

// jobView is a Job as the contract's Job query reads it.
type jobView struct {
	ID, Kind, Status string
	Total, Done      int
	Failed           int
	Error            *string
	ResultURL        *string
}

// importFile uploads data as a CSV file for importLeads.
func importFile(api *apitest.API, token, name string, data []byte, mapping map[string]any, key string) apitest.Response {
	vars := map[string]any{"csv": nil, "mapping": mapping}
	if key != "" {
		vars["key"] = key
	}
	return api.Upload(token, importJobMutation, vars, map[string]apitest.File{"csv": {Name: name, Data: data}})
}

// waitJob polls the job (run by the test server's worker, a real process)
// until it is over, for at most 30 s.
func waitJob(t *testing.T, api *apitest.API, token, id string) jobView {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out struct{ Node jobView }
		api.MustDo(token, jobQuery, map[string]any{"id": id}, &out)
		switch out.Node.Status {
		case "SUCCEEDED", "FAILED", "CANCELLED":
			return out.Node
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 30 s", id, out.Node.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustID(t *testing.T, r apitest.Response, field string) string {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %+v", field, r.Errors)
	}
	var data map[string]map[string]any
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	id, _ := data[field]["id"].(string)
	if id == "" {
		t.Fatalf("%s returned no id: %s", field, r.Data)
	}
	return id
}

func countRows(t *testing.T, api *apitest.API, table string) int {
	t.Helper()
	var n int
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportJob uploads a GBK file through importLeads and follows the job:
// the leads arrive with their Chinese names, the rejected row is in the
// result CSV that only the job's viewers may download, the idempotency key
// returns the same job, and bad mappings and files write nothing.
func TestImportJob(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation{ createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, nil)
	rep := api.Login("acme", "rep@acme.test", "rep-password")

	text := "姓名,手机号,标签\n张三,138 0013 8000,展会|VIP\n李四,13900139000,展会\n王五,12,\n赵六,13700137000,\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gbk, []byte(text)) {
		t.Fatal("the GBK file is the same bytes as UTF-8: the test would not show decoding")
	}
	mapping := map[string]any{"source": "expo", "columns": map[string]any{"姓名": "name", "手机号": "phone", "标签": "tags"}}

	// Bad input writes nothing: an unknown target, a custom field that does
	// not exist, a mapped column the file lacks, and a rep (no lead.import).
	for _, tc := range []struct {
		name, token, code, field string
		mapping                  map[string]any
	}{
		{"unknown target", admin, "BAD_USER_INPUT", "mapping.columns.姓名", map[string]any{"columns": map[string]any{"姓名": "nmae"}}},
		{"unknown custom field", admin, "BAD_USER_INPUT", "mapping.columns.姓名", map[string]any{"columns": map[string]any{"姓名": "attributes.nope"}}},
		{"unknown key", admin, "BAD_USER_INPUT", "mapping.colums", map[string]any{"colums": map[string]any{"姓名": "name"}}},
		{"column not in the file", admin, "BAD_USER_INPUT", "csv", map[string]any{"columns": map[string]any{"电话": "phone"}}},
		{"rep", rep, "FORBIDDEN", "", mapping},
	} {
		r := importFile(api, tc.token, "leads.csv", gbk, tc.mapping, "")
		if len(r.Errors) != 1 || r.Errors[0].Code() != tc.code || r.Errors[0].Field() != tc.field {
			t.Errorf("%s: errors = %+v, want %s at %q", tc.name, r.Errors, tc.code, tc.field)
		}
	}
	if n := countRows(t, api, "jobs") + countRows(t, api, "job_files"); n != 0 {
		t.Fatalf("refused imports wrote %d job rows", n)
	}

	id := mustID(t, importFile(api, admin, "展会名单.csv", gbk, mapping, "expo-2026"), "importLeads")
	again := mustID(t, importFile(api, admin, "展会名单.csv", gbk, mapping, "expo-2026"), "importLeads")
	if again != id || countRows(t, api, "jobs") != 1 {
		t.Fatalf("the same idempotency key gave job %s then %s (%d jobs)", id, again, countRows(t, api, "jobs"))
	}
	j := waitJob(t, api, admin, id)
	if j.Kind != "IMPORT" || j.Status != "SUCCEEDED" || j.Total != 4 || j.Done != 4 || j.Failed != 1 || j.ResultURL == nil {
		t.Fatalf("job = %+v", j)
	}
	var names []string
	rows, err := api.DB.DB.Query(`SELECT name FROM leads ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		names = append(names, n)
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "张三,李四,赵六" {
		t.Fatalf("leads = %v, want the three good rows decoded from GBK", names)
	}

	// The rejected row, with its reason, is the result CSV.
	status, h, body := api.Get(admin, *j.ResultURL)
	if status != 200 || !strings.Contains(h.Get("Content-Disposition"), "rejected.csv") || !bytes.HasPrefix(body, []byte("\uFEFF")) {
		t.Fatalf("download = %d %v %q", status, h, body)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != "王五" || !strings.Contains(recs[1][4], "phone") {
		t.Fatalf("rejects = %q (%v)", recs, err)
	}

	// Another user does not see the job at all.
	r := api.Do(rep, jobQuery, map[string]any{"id": id})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("rep's node(job) = %s %+v, want NOT_FOUND", r.Data, r.Errors)
	}
	if status, _, _ := api.Get(rep, *j.ResultURL); status != 404 {
		t.Errorf("rep's download = %d, want 404", status)
	}
	if status, _, _ := api.Get("", *j.ResultURL); status != 401 {
		t.Errorf("anonymous download = %d, want 401", status)
	}
	r = api.Do(rep, `mutation($id: ID!){ cancelJob(id: $id){ id status } }`, map[string]any{"id": id})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("rep's cancelJob = %+v, want NOT_FOUND", r.Errors)
	}
	// A finished job cannot be cancelled.
	r = api.Do(admin, `mutation($id: ID!){ cancelJob(id: $id){ id status } }`, map[string]any{"id": id})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" {
		t.Errorf("cancelJob of a finished job = %+v, want CONFLICT", r.Errors)
	}
}

// TestExportJobMasked exports leads as an analyst, who sees phones masked:
// the file has the phones exactly as the leads query shows them to the
// analyst, a filter on the phone is FORBIDDEN (and starts no job), and a
// rep may not export at all.
func TestExportJobMasked(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation{ createFieldDefinition(input:{entity: LEAD, key:"city", label:"City", type: TEXT}){ id } }`, nil, nil)
	api.MustDo(admin, `mutation{ createUser(input:{name:"Ana", email:"ana@acme.test", password:"ana-password", roles:["analyst"]}){ id } }`, nil, nil)
	api.MustDo(admin, `mutation{ createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, nil)
	analyst := api.Login("acme", "ana@acme.test", "ana-password")
	rep := api.Login("acme", "rep@acme.test", "rep-password")
	phones := []string{"13800138000", "13900139000", "13700137000"}
	var leads []any
	for i, p := range phones {
		leads = append(leads, map[string]any{"name": []string{"甲", "乙", "丙"}[i], "phone": p, "attributes": map[string]any{"city": "上海"}})
	}
	api.MustDo(admin, `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ results { status } } }`,
		map[string]any{"in": map[string]any{"leads": leads}}, nil)
	api.WaitIdle()

	r := api.Do(analyst, exportJobMutation, map[string]any{"where": map[string]any{"phone": phones[0]}})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" || r.Errors[0].Field() != "where.phone" {
		t.Fatalf("export filtered by a masked field = %+v", r.Errors)
	}
	if r := api.Do(rep, exportJobMutation, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("rep's export = %+v", r.Errors)
	}
	if r := api.Do(analyst, exportJobMutation, map[string]any{"columns": []string{"name", "fax"}}); len(r.Errors) != 1 || r.Errors[0].Field() != "columns[1]" {
		t.Fatalf("unknown column = %+v", r.Errors)
	}
	if n := countRows(t, api, "jobs"); n != 0 {
		t.Fatalf("refused exports wrote %d jobs", n)
	}

	id := mustID(t, api.Do(analyst, exportJobMutation, map[string]any{
		"where": map[string]any{"nameIn": []string{"甲", "乙"}}, "columns": []string{"name", "phone", "city", "tags"}}), "exportLeads")
	j := waitJob(t, api, analyst, id)
	if j.Status != "SUCCEEDED" || j.Total != 2 || j.Done != 2 || j.Failed != 0 || j.ResultURL == nil {
		t.Fatalf("job = %+v", j)
	}
	status, h, body := api.Get(analyst, *j.ResultURL)
	if status != 200 || !strings.HasSuffix(strings.Trim(strings.SplitAfter(h.Get("Content-Disposition"), "filename=")[1], `"`), ".csv") {
		t.Fatalf("download = %d %v", status, h)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "name,phone,attributes.city,tags" || len(recs) != 3 {
		t.Fatalf("export = %q", recs)
	}
	var seen struct {
		Leads struct {
			Edges []struct{ Node struct{ Name, Phone string } }
		}
	}
	api.MustDo(analyst, `{ leads(first: 10){ edges { node { name phone } } } }`, nil, &seen)
	want := map[string]string{}
	for _, e := range seen.Leads.Edges {
		want[e.Node.Name] = e.Node.Phone
	}
	for _, rec := range recs[1:] {
		if rec[1] != want[rec[0]] || rec[2] != "上海" {
			t.Errorf("exported %q, the analyst sees phone %q", rec, want[rec[0]])
		}
		for _, p := range phones {
			if strings.Contains(rec[1], p[3:]) {
				t.Errorf("the export shows the hidden digits of %s: %q", p, rec[1])
			}
		}
		if !strings.Contains(rec[1], "*") || rec[1] != clean.MaskPhone("+86"+phoneOf(phones, rec[0])) {
			t.Errorf("phone %q is not masked", rec[1])
		}
	}
	// The admin may download it too; the rep may not.
	if status, _, _ := api.Get(admin, *j.ResultURL); status != 200 {
		t.Errorf("admin's download = %d", status)
	}
	if status, _, _ := api.Get(rep, *j.ResultURL); status != 404 {
		t.Errorf("rep's download = %d", status)
	}
}

// phoneOf is the phone the test gave the lead named name.
func phoneOf(phones []string, name string) string {
	return phones[strings.Index("甲乙丙", name)/len("甲")]
}
