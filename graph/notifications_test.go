package graph_test

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

const notificationPageQuery = `query($u: Boolean, $k: [String!], $f: Int, $a: Cursor){
	notificationPage(unreadOnly: $u, kinds: $k, first: $f, after: $a){
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id kind message readAt } } } }`

type notificationPage struct {
	NotificationPage struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Edges []struct {
			Node struct {
				ID, Kind, Message string
				ReadAt            *string
			}
		}
	}
}

func (p notificationPage) messages() []string {
	var out []string
	for _, e := range p.NotificationPage.Edges {
		out = append(out, e.Node.Message)
	}
	return out
}

// TestNotificationPage runs notificationPage, unreadNotificationCount and
// markNotificationsRead: a user pages through its own notifications newest
// first (ties by id), filtered by unread and kind, and never sees or marks
// another user's or another workspace's; bad first, after and kinds are
// refused at their argument.
func TestNotificationPage(t *testing.T) {
	api := apitest.New(t)
	acme, admin := api.Workspace("acme")
	beta, betaAdmin := api.Workspace("beta")
	repID, rep, _ := repAndAnalyst(t, api, admin)
	base := api.Clock.Now().Add(-time.Hour)
	// note writes a notification straight into the table, as the services'
	// set-based INSERTs do, and returns its id.
	note := func(tenant, user uuid.UUID, kind, msg string, at time.Time, read bool) string {
		t.Helper()
		id := gid.New(gid.Notification)
		var readAt *time.Time
		if read {
			readAt = &at
		}
		if _, err := api.DB.DB.Exec(`INSERT INTO notifications (id, tenant_id, user_id, kind, message, created_at, read_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, tenant, user, kind, msg, at, readAt); err != nil {
			t.Fatal(err)
		}
		return gid.Encode(id)
	}
	// The rep's seven, m0 the oldest; m3 and m4 were written at the same time.
	kinds := []string{"lead.assigned", "task.overdue", "lead.assigned", "pool.recycle_reminder", "task.assigned", "lead.assigned", "wecom.lost"}
	var repNotes []string
	for i, k := range kinds {
		at := base.Add(time.Duration(i) * time.Minute)
		if i == 4 {
			at = base.Add(3 * time.Minute)
		}
		repNotes = append(repNotes, note(acme.Workspace.ID, repID, k, "m"+strconv.Itoa(i), at, i == 1 || i == 5))
	}
	adminNote := note(acme.Workspace.ID, acme.Admin.ID, "lead.assigned", "admin's", base.Add(time.Hour), false)
	betaNote := note(beta.Workspace.ID, beta.Admin.ID, "lead.assigned", "beta's", base.Add(time.Hour), false)
	m34 := []string{"m3", "m4"}
	if mustUUID(t, repNotes[4]).String() > mustUUID(t, repNotes[3]).String() { // ties: the greater id first
		m34 = []string{"m4", "m3"}
	}
	newestFirst := append(append([]string{"m6", "m5"}, m34...), "m2", "m1", "m0")

	page := func(token string, vars map[string]any) notificationPage {
		t.Helper()
		var p notificationPage
		api.MustDo(token, notificationPageQuery, vars, &p)
		return p
	}
	unread := func(token string) int {
		t.Helper()
		var out struct{ UnreadNotificationCount int }
		api.MustDo(token, `{ unreadNotificationCount }`, nil, &out)
		return out.UnreadNotificationCount
	}

	t.Run("pages of two cover the list once, newest first", func(t *testing.T) {
		var got []string
		vars := map[string]any{"f": 2}
		for range 10 {
			p := page(rep, vars)
			if p.NotificationPage.TotalCount != 7 {
				t.Fatalf("totalCount %d, want 7", p.NotificationPage.TotalCount)
			}
			got = append(got, p.messages()...)
			if !p.NotificationPage.PageInfo.HasNextPage {
				break
			}
			vars = map[string]any{"f": 2, "a": *p.NotificationPage.PageInfo.EndCursor}
		}
		if !slices.Equal(got, newestFirst) {
			t.Errorf("pages %v, want %v", got, newestFirst)
		}
		if all := page(rep, nil).messages(); !slices.Equal(all, newestFirst) {
			t.Errorf("one page %v, want %v", all, newestFirst)
		}
	})

	t.Run("filters", func(t *testing.T) {
		if got := page(rep, map[string]any{"u": true}).messages(); slices.Contains(got, "m1") || slices.Contains(got, "m5") || len(got) != 5 {
			t.Errorf("unread %v", got)
		}
		if got := page(rep, map[string]any{"k": []string{"lead.assigned"}}).messages(); !slices.Equal(got, []string{"m5", "m2", "m0"}) {
			t.Errorf("lead.assigned %v", got)
		}
		p := page(rep, map[string]any{"k": []string{"lead.assigned", "task.overdue"}, "u": true})
		if got := p.messages(); !slices.Equal(got, []string{"m2", "m0"}) || p.NotificationPage.TotalCount != 2 {
			t.Errorf("unread lead.assigned or task.overdue %v (total %d)", got, p.NotificationPage.TotalCount)
		}
		if got := page(rep, map[string]any{"k": []string{}}).messages(); len(got) != 7 {
			t.Errorf("kinds [] lists %v, want every kind", got)
		}
		if n := unread(rep); n != 5 {
			t.Errorf("rep's unread count %d, want 5", n)
		}
	})

	t.Run("only the caller's own", func(t *testing.T) {
		if got := page(admin, nil).messages(); !slices.Equal(got, []string{"admin's"}) {
			t.Errorf("acme's admin sees %v", got)
		}
		if got := page(betaAdmin, nil).messages(); !slices.Equal(got, []string{"beta's"}) {
			t.Errorf("beta's admin sees %v", got)
		}
		var changed struct{ MarkNotificationsRead int }
		api.MustDo(rep, `mutation($ids:[ID!]){ markNotificationsRead(ids:$ids) }`, map[string]any{"ids": []string{adminNote, betaNote}}, &changed)
		if changed.MarkNotificationsRead != 0 || unread(admin) != 1 || unread(betaAdmin) != 1 {
			t.Errorf("the rep marked %d of others' read (admin %d unread, beta %d)", changed.MarkNotificationsRead, unread(admin), unread(betaAdmin))
		}
		api.MustDo(rep, `mutation($ids:[ID!]){ markNotificationsRead(ids:$ids) }`, map[string]any{"ids": []string{repNotes[0], adminNote, repNotes[1]}}, &changed)
		if changed.MarkNotificationsRead != 1 || unread(rep) != 4 || unread(admin) != 1 {
			t.Errorf("marked %d, rep %d unread, admin %d, want 1, 4, 1", changed.MarkNotificationsRead, unread(rep), unread(admin))
		}
		api.MustDo(rep, `mutation { markNotificationsRead }`, nil, &changed)
		if changed.MarkNotificationsRead != 4 || unread(rep) != 0 || unread(admin) != 1 || unread(betaAdmin) != 1 {
			t.Errorf("mark all: %d changed; unread rep %d, admin %d, beta %d", changed.MarkNotificationsRead, unread(rep), unread(admin), unread(betaAdmin))
		}
	})

	t.Run("bad input", func(t *testing.T) {
		foreign := func(v any) string {
			var b bytes.Buffer
			entgql.Cursor[uuid.UUID]{ID: uuid.New(), Value: v}.MarshalGQL(&b)
			s, _ := strconv.Unquote(b.String())
			return s
		}
		for _, tc := range []struct {
			name  string
			vars  map[string]any
			field string
		}{
			{"negative first", map[string]any{"f": -1}, "first"},
			{"first over 200", map[string]any{"f": 201}, "first"},
			{"not a cursor", map[string]any{"a": "bm90IGEgY3Vyc29y"}, "after"},
			{"another list's cursor", map[string]any{"a": foreign("2026-01-01T00:00:00Z")}, "after"},
			{"blank kind", map[string]any{"k": []string{"lead.assigned", ""}}, "kinds[1]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := api.Do(rep, notificationPageQuery, tc.vars)
				if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Field() != tc.field {
					t.Fatalf("errors %+v, want BAD_USER_INPUT at %s", r.Errors, tc.field)
				}
			})
		}
		if p := page(rep, map[string]any{"f": 0}); len(p.NotificationPage.Edges) != 0 || p.NotificationPage.TotalCount != 7 {
			t.Errorf("first 0: %+v", p)
		}
		if r := api.Do(admin, `mutation { markNotificationsRead(ids: ["not-an-id"]) }`, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("a bad id: %+v", r.Errors)
		}
		if unread(admin) != 1 {
			t.Errorf("a refused markNotificationsRead wrote")
		}
	})
}
