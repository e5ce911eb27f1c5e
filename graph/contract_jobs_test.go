package graph_test

import (
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

// The jobs of contract part 2 (#24, and the WeCom sync of #22); the jobs
// themselves are tested in jobs_test.go and internal/longjob.
func init() {
	contractRuns["Job"] = contractRun{
		vars: func(s *scenario) map[string]any {
			// An export of the scenario's leads, run to its end.
			var out struct{ ExportLeads struct{ ID string } }
			s.api.MustDo(s.token, `mutation { exportLeads(columns: ["name", "phone"]) { id } }`, nil, &out)
			s.ids["job"] = out.ExportLeads.ID
			waitContractJob(s, out.ExportLeads.ID)
			return map[string]any{"id": out.ExportLeads.ID}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			j, _ := d["node"].(map[string]any)
			if j["id"] != s.ids["job"] || j["kind"] != "EXPORT" || j["status"] != "SUCCEEDED" || j["error"] != nil ||
				j["startedAt"] == nil || j["finishedAt"] == nil || j["done"] != j["total"] || j["total"].(float64) < 1 {
				t.Fatalf("job = %v", j)
			}
			url, _ := j["resultURL"].(string)
			if status, _, body := s.api.Get(s.token, url); status != 200 || len(body) == 0 {
				t.Errorf("GET %s = %d", url, status)
			}
		},
	}
	contractRuns["ImportLeads"] = contractRun{
		vars: func(*scenario) map[string]any {
			return map[string]any{"csv": nil, "idempotencyKey": "contract-import-1", "mapping": map[string]any{
				"source": "expo", "columns": map[string]any{"姓名": "name", "手机号": "phone", "预算": "attributes.budget"}}}
		},
		files: func(*scenario) map[string]apitest.File {
			return map[string]apitest.File{"csv": {Name: "contract.csv", Data: []byte("姓名,手机号,预算\n孙七,136 0013 6000,8000\n周八,12,\n")}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			s.ids["importJob"], _ = dig(d, "importLeads", "id").(string)
			if dig(d, "importLeads", "kind") != "IMPORT" || s.ids["importJob"] == "" {
				t.Fatalf("importLeads = %v", d)
			}
			if j := waitContractJob(s, s.ids["importJob"]); j["status"] != "SUCCEEDED" || j["done"] != 2.0 || j["failed"] != 1.0 {
				t.Errorf("import job = %v", j)
			}
		},
	}
	contractRuns["ExportLeads"] = contractRun{
		vars: func(s *scenario) map[string]any {
			return map[string]any{"where": map[string]any{"nameIn": []string{"孙七"}}, "columns": []string{"name", "phone", "budget"}}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			id, _ := dig(d, "exportLeads", "id").(string)
			if dig(d, "exportLeads", "kind") != "EXPORT" || id == "" {
				t.Fatalf("exportLeads = %v", d)
			}
			if j := waitContractJob(s, id); j["status"] != "SUCCEEDED" || j["total"] != 1.0 || j["done"] != 1.0 {
				t.Errorf("export job = %v", j)
			}
		},
	}
	contractRuns["CancelJob"] = contractRun{
		vars: func(s *scenario) map[string]any {
			// A job still waiting for a worker: written as the API writes it,
			// without its task, so it is QUEUED whatever the worker does.
			id := gid.New(gid.Job)
			_, err := s.api.DB.DB.Exec(`INSERT INTO jobs (id, tenant_id, created_at, updated_at, kind, status, total, done, failed, created_by_id)
				SELECT $1, tenant_id, now(), now(), 'EXPORT', 'QUEUED', 0, 0, 0, id FROM users WHERE email = 'admin@acme.test'`, id)
			if err != nil {
				panic(err)
			}
			s.ids["queuedJob"] = gid.Encode(id)
			return map[string]any{"id": s.ids["queuedJob"]}
		},
		check: func(t *testing.T, s *scenario, d map[string]any) {
			if dig(d, "cancelJob", "id") != s.ids["queuedJob"] || dig(d, "cancelJob", "status") != "CANCELLED" {
				t.Errorf("cancelJob = %v", d)
			}
		},
	}
	contractRuns["SyncWeComContacts"] = contractRun{
		check: func(t *testing.T, s *scenario, d map[string]any) {
			id, _ := dig(d, "syncWeComContacts", "id").(string)
			if dig(d, "syncWeComContacts", "kind") != "WECOM_SYNC" || id == "" {
				t.Fatalf("syncWeComContacts = %v", d)
			}
			// The scenario's workspace has no WeCom corp: the job fails and
			// says what to configure (internal/wecom tests a real sync).
			if j := waitContractJob(s, id); j["status"] != "FAILED" || j["error"] == nil {
				t.Errorf("sync job = %v", j)
			}
		},
	}
}

// waitContractJob polls a job until it is over (the test server's worker
// runs it), for at most 30 s, and returns it.
func waitContractJob(s *scenario, id string) map[string]any {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out struct{ Node map[string]any }
		s.api.MustDo(s.token, jobQuery, map[string]any{"id": id}, &out)
		switch out.Node["status"] {
		case "SUCCEEDED", "FAILED", "CANCELLED":
			return out.Node
		}
		if time.Now().After(deadline) {
			return out.Node
		}
		time.Sleep(50 * time.Millisecond)
	}
}
