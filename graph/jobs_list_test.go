package graph_test

import (
	"slices"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

const jobsListQuery = `query($kinds: [JobKind!], $statuses: [JobStatus!], $first: Int, $after: Cursor) {
	jobs(kinds: $kinds, statuses: $statuses, first: $first, after: $after) {
		edges { node { id kind status createdBy { email } } }
		pageInfo { hasNextPage endCursor } } }`

type jobsPage struct {
	Jobs struct {
		Edges []struct {
			Node struct {
				ID, Kind, Status string
				CreatedBy        struct{ Email string }
			}
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   string
		}
	}
}

// listJobs returns the ids of the jobs token sees with vars, and whether
// there is a next page and its cursor.
func listJobs(t *testing.T, api *apitest.API, token string, vars map[string]any) ([]string, bool, string) {
	t.Helper()
	var out jobsPage
	api.MustDo(token, jobsListQuery, vars, &out)
	var ids []string
	for _, e := range out.Jobs.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids, out.Jobs.PageInfo.HasNextPage, out.Jobs.PageInfo.EndCursor
}

// TestJobsList lists the jobs a user sees, newest first: an analyst its own, an
// admin (job manage) every job of the workspace, by kind and status, in
// pages; another workspace's jobs never; bad pages are refused at their
// argument.
func TestJobsList(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation{ createUser(input:{name:"Ana", email:"ana@acme.test", password:"ana-password", roles:["analyst"]}){ id } }`, nil, nil)
	analyst := api.Login("acme", "ana@acme.test", "ana-password")

	export := func(token string) string {
		id := mustID(t, api.Do(token, exportJobMutation, map[string]any{"columns": []string{"name"}}), "exportLeads")
		if j := waitJob(t, api, token, id); j.Status != "SUCCEEDED" {
			t.Fatalf("export %s: %+v", id, j)
		}
		return id
	}
	adminExport := export(admin)
	anaExport := export(analyst)
	_, other := api.Workspace("globex")
	otherExport := export(other)
	// An import still waiting for a worker, written as the API writes it
	// without its task, so it stays QUEUED; the newest of the three.
	queued := gid.New(gid.Job)
	if _, err := api.DB.DB.Exec(`INSERT INTO jobs (id, tenant_id, created_at, updated_at, kind, status, total, done, failed, created_by_id)
		SELECT $1, tenant_id, now() + interval '1 second', now(), 'IMPORT', 'QUEUED', 0, 0, 0, id FROM users WHERE email = 'admin@acme.test'`, queued); err != nil {
		t.Fatal(err)
	}
	queuedID := gid.Encode(queued)

	for _, tc := range []struct {
		name  string
		token string
		vars  map[string]any
		want  []string
	}{
		{"an analyst: its own", analyst, nil, []string{anaExport}},
		{"an admin: every job, newest first", admin, nil, []string{queuedID, anaExport, adminExport}},
		{"another workspace's admin", other, nil, []string{otherExport}},
		{"by kind", admin, map[string]any{"kinds": []string{"EXPORT"}}, []string{anaExport, adminExport}},
		{"by status", admin, map[string]any{"statuses": []string{"QUEUED", "RUNNING"}}, []string{queuedID}},
		{"by kind and status", admin, map[string]any{"kinds": []string{"EXPORT"}, "statuses": []string{"QUEUED"}}, nil},
		{"empty lists filter nothing", admin, map[string]any{"kinds": []string{}, "statuses": []string{}}, []string{queuedID, anaExport, adminExport}},
		{"an analyst by kind", analyst, map[string]any{"kinds": []string{"IMPORT"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _, _ := listJobs(t, api, tc.token, tc.vars); !slices.Equal(got, tc.want) {
				t.Fatalf("jobs = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("in pages", func(t *testing.T) {
		first, more, cursor := listJobs(t, api, admin, map[string]any{"first": 2})
		if !slices.Equal(first, []string{queuedID, anaExport}) || !more {
			t.Fatalf("first page %v (more %v)", first, more)
		}
		second, more, _ := listJobs(t, api, admin, map[string]any{"first": 2, "after": cursor})
		if !slices.Equal(second, []string{adminExport}) || more {
			t.Fatalf("second page %v (more %v)", second, more)
		}
	})

	t.Run("the creator is named", func(t *testing.T) {
		var out jobsPage
		api.MustDo(admin, jobsListQuery, map[string]any{"kinds": []string{"EXPORT"}}, &out)
		var who []string
		for _, e := range out.Jobs.Edges {
			who = append(who, e.Node.CreatedBy.Email)
		}
		if !slices.Equal(who, []string{"ana@acme.test", "admin@acme.test"}) {
			t.Fatalf("createdBy = %v", who)
		}
	})

	t.Run("bad pages", func(t *testing.T) {
		for _, tc := range []struct {
			name, field string
			vars        map[string]any
		}{
			{"too many", "first", map[string]any{"first": 51}},
			{"negative", "first", map[string]any{"first": -1}},
			{"not a cursor", "after", map[string]any{"after": "bm90IGEgY3Vyc29y"}},
		} {
			if r := api.Do(admin, jobsListQuery, tc.vars); len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != tc.field {
				t.Errorf("%s: errors %+v, want BAD_USER_INPUT at %s", tc.name, r.Errors, tc.field)
			}
		}
		if r := api.Do("", jobsListQuery, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Errorf("signed out: %+v", r.Errors)
		}
	})
}
