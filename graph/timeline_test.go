package graph_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/delivery"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// timelineWorld is a workspace with one lead that has an item of every kind,
// each a minute after the one before, and the viewers of the tests.
type timelineWorld struct {
	api                        *apitest.API
	admin, rep, other, analyst string // tokens
	repID, adminID             string
	lead                       string
	want                       []string // kinds, newest first
}

const timelineQuery = `query($id: ID!, $first: Int, $after: Cursor, $kinds: [TimelineKind!]) {
  node(id: $id) { ... on Lead { timeline(first: $first, after: $after, kinds: $kinds) {
    edges { cursor node { id at kind summary actor { id name }
      followUp { id content author { name } } stageChange { id to { name } } ownerChange { id kind toUser { name } }
      deal { id amount owner { name } } event { name source properties }
      message { broadcast { id name } channel status reply } } }
    pageInfo { hasNextPage endCursor } } } } }`

type timelineItem struct {
	ID       string
	At       time.Time
	Kind     string
	Summary  string
	Actor    *struct{ ID, Name string }
	FollowUp *struct {
		ID, Content string
		Author      *struct{ Name string }
	}
	StageChange *struct {
		ID string
		To struct{ Name string }
	}
	OwnerChange *struct {
		ID, Kind string
		ToUser   *struct{ Name string }
	}
	Deal *struct {
		ID     string
		Amount float64
	}
	Event *struct {
		Name, Source string
		Properties   map[string]any
	}
	Message *struct {
		Broadcast struct{ ID, Name string }
		Channel   string
		Status    string
		Reply     *string
	}
}

type timelinePage struct {
	Node *struct {
		Timeline *struct {
			Edges []struct {
				Cursor string
				Node   timelineItem
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
}

func (p timelinePage) items() []timelineItem {
	if p.Node == nil || p.Node.Timeline == nil {
		return nil
	}
	out := make([]timelineItem, len(p.Node.Timeline.Edges))
	for i, e := range p.Node.Timeline.Edges {
		out[i] = e.Node
	}
	return out
}

func kindsOf(items []timelineItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Kind
	}
	return out
}

func newTimelineWorld(t *testing.T) *timelineWorld {
	t.Helper()
	api := apitest.New(t)
	c, admin := api.Workspace("tl")
	w := &timelineWorld{api: api, admin: admin, adminID: c.Admin.ID.String()}
	users := map[string]string{}
	for _, u := range []struct{ name, role string }{{"rep", "rep"}, {"other", "rep"}, {"analyst", "analyst"}} {
		var out struct{ CreateUser struct{ ID string } }
		api.MustDo(admin, `mutation($in: CreateUserInput!){ createUser(input:$in){ id } }`, map[string]any{"in": map[string]any{
			"name": "User " + u.name, "email": u.name + "@tl.test", "password": "password-" + u.name, "roles": []string{u.role}}}, &out)
		users[u.name] = out.CreateUser.ID
	}
	w.repID = users["rep"]
	w.rep = api.Login("tl", "rep@tl.test", "password-rep")
	w.other = api.Login("tl", "other@tl.test", "password-other")
	w.analyst = api.Login("tl", "analyst@tl.test", "password-analyst")

	var ing struct {
		IngestLeads struct {
			Results []struct{ Lead struct{ ID string } }
		}
	}
	api.MustDo(admin, `mutation{ ingestLeads(input:{leads:[{name:"Timeline lead", phone:"+8613812345678"}]}){ results { lead { id } } } }`, nil, &ing)
	w.lead = ing.IngestLeads.Results[0].Lead.ID
	tick := func() { api.Clock.Advance(time.Minute) }

	// OWNER_CHANGE (by the admin), FOLLOW_UP (by the rep), DEAL and its
	// STAGE_CHANGE to WON (by the admin, same instant), EVENT, WECOM, MESSAGE.
	tick()
	api.MustDo(admin, `mutation($ids:[ID!]!,$to:ID){ assignLeads(ids:$ids, ownerID:$to){ assigned } }`, map[string]any{"ids": []string{w.lead}, "to": w.repID}, nil)
	tick()
	api.MustDo(w.rep, `mutation($id:ID!){ createFollowUp(input:{leadID:$id, kind:CALL, outcome:CONNECTED, content:"Called, wants a quote"}){ id } }`, map[string]any{"id": w.lead}, nil)
	tick()
	api.MustDo(admin, `mutation($id:ID!){ createDeal(input:{leadID:$id, amount:1200}){ id } }`, map[string]any{"id": w.lead}, nil)
	tick()
	api.MustDo(admin, `mutation($e:[EventInput!]!){ trackEvents(events:$e){ accepted } }`, map[string]any{"e": []any{map[string]any{
		"leadID": w.lead, "name": "viewed_price", "occurredAt": api.Clock.Now().Format(time.RFC3339Nano),
		"properties": map[string]any{"page": "/pricing", "contact": "call me on +8613912345678 or li.si@example.com"}}}}, nil)
	tick()
	ctx := tenant.NewContext(context.Background(), c.Workspace.ID)
	db := api.DB.DB
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(`UPDATE users SET wecom_user_id = 'zhangsan' WHERE tenant_id = $1 AND id = $2`, c.Workspace.ID, mustDecode(t, w.repID))
	mustExec(`INSERT INTO events (tenant_id, id, lead_id, name, properties, occurred_at, received_at, source)
		VALUES ($1, $2, $3, 'wecom.added', '{"userID":"zhangsan","externalUserID":"wmEXT"}', $4, $4, 'wecom')`,
		c.Workspace.ID, gid.New(gid.Event), mustDecode(t, w.lead), api.Clock.Now())
	tick()
	b, err := api.DB.Client.Broadcast.Create().SetName("Spring sale").SetChannel("sms").SetTemplate("Hi {{.name}}").
		SetScheduledAt(api.Clock.Now()).SetCreatedByID(c.Admin.ID).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := api.Clock.Now()
	if err := api.DB.Client.Delivery.Create().SetBroadcastID(b.ID).SetLeadID(mustDecode(t, w.lead)).SetStatus(delivery.StatusREPLIED).
		SetSentAt(now).SetRepliedAt(now).SetReply("ok, my wife's number is 13712345678").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// A delivery that was suppressed is not a message the lead got.
	b2, err := api.DB.Client.Broadcast.Create().SetName("Suppressed").SetChannel("sms").SetTemplate("x").SetScheduledAt(now).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.DB.Client.Delivery.Create().SetBroadcastID(b2.ID).SetLeadID(mustDecode(t, w.lead)).SetStatus(delivery.StatusSUPPRESSED_DND).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	w.want = []string{"MESSAGE", "WECOM", "EVENT", "STAGE_CHANGE|DEAL", "STAGE_CHANGE|DEAL", "FOLLOW_UP", "OWNER_CHANGE"}
	return w
}

func (w *timelineWorld) page(t *testing.T, token string, vars map[string]any) timelinePage {
	t.Helper()
	vars["id"] = w.lead
	var out timelinePage
	w.api.MustDo(token, timelineQuery, vars, &out)
	return out
}

func TestLeadTimeline(t *testing.T) {
	w := newTimelineWorld(t)

	t.Run("every kind, newest first, with actors and summaries", func(t *testing.T) {
		p := w.page(t, w.admin, map[string]any{})
		items := p.items()
		got := kindsOf(items)
		if len(got) != len(w.want) {
			t.Fatalf("kinds = %v, want %v", got, w.want)
		}
		for i, k := range got {
			if !slices.Contains(strings.Split(w.want[i], "|"), k) {
				t.Fatalf("kinds = %v, want %v", got, w.want)
			}
		}
		for i := 1; i < len(items); i++ {
			if items[i].At.After(items[i-1].At) {
				t.Errorf("item %d (%s) is newer than item %d", i, items[i].Kind, i-1)
			}
		}
		by := map[string]timelineItem{}
		for _, it := range items {
			by[it.Kind] = it
		}
		checks := []struct {
			kind, actor, summary string
			payload              bool
		}{
			{"FOLLOW_UP", "User rep", "CALL · CONNECTED: Called, wants a quote", by["FOLLOW_UP"].FollowUp != nil && by["FOLLOW_UP"].FollowUp.Author.Name == "User rep"},
			{"OWNER_CHANGE", "Admin tl", "ASSIGN: pool → User rep", by["OWNER_CHANGE"].OwnerChange != nil && by["OWNER_CHANGE"].OwnerChange.ToUser.Name == "User rep"},
			{"DEAL", "Admin tl", "1200.00 CNY", by["DEAL"].Deal != nil && by["DEAL"].Deal.Amount == 1200},
			{"STAGE_CHANGE", "Admin tl", "", by["STAGE_CHANGE"].StageChange != nil && by["STAGE_CHANGE"].StageChange.To.Name != ""},
			{"EVENT", "", "viewed_price", by["EVENT"].Event != nil && by["EVENT"].Event.Properties["page"] == "/pricing"},
			{"WECOM", "User rep", "wecom.added", by["WECOM"].Event != nil && by["WECOM"].Event.Source == "wecom"},
			{"MESSAGE", "Admin tl", "Spring sale · sms · REPLIED", by["MESSAGE"].Message != nil && by["MESSAGE"].Message.Broadcast.Name == "Spring sale"},
		}
		for _, c := range checks {
			it := by[c.kind]
			actor := ""
			if it.Actor != nil {
				actor = it.Actor.Name
			}
			if actor != c.actor {
				t.Errorf("%s actor = %q, want %q", c.kind, actor, c.actor)
			}
			if c.summary != "" && it.Summary != c.summary {
				t.Errorf("%s summary = %q, want %q", c.kind, it.Summary, c.summary)
			}
			if !c.payload {
				t.Errorf("%s payload is wrong: %+v", c.kind, it)
			}
		}
		// The admin has lead.contact: nothing masked.
		if s, _ := by["EVENT"].Event.Properties["contact"].(string); !strings.Contains(s, "+8613912345678") {
			t.Errorf("admin sees event contact %q", s)
		}
	})

	t.Run("pages are disjoint and cover everything", func(t *testing.T) {
		all := kindsOf(w.page(t, w.admin, map[string]any{}).items())
		var seen []string
		var kinds []string
		vars := map[string]any{"first": 2}
		for range 10 {
			p := w.page(t, w.admin, vars)
			for _, it := range p.items() {
				if slices.Contains(seen, it.ID) {
					t.Fatalf("item %s on two pages", it.ID)
				}
				seen = append(seen, it.ID)
				kinds = append(kinds, it.Kind)
			}
			if !p.Node.Timeline.PageInfo.HasNextPage {
				break
			}
			vars = map[string]any{"first": 2, "after": *p.Node.Timeline.PageInfo.EndCursor}
		}
		if !slices.Equal(kinds, all) {
			t.Errorf("pages of 2 list %v, one page %v", kinds, all)
		}
		r := w.api.Do(w.admin, timelineQuery, map[string]any{"id": w.lead, "after": "bm90IGEgY3Vyc29y"})
		if len(r.Errors) == 0 {
			t.Errorf("a bad cursor was accepted")
		}
	})

	t.Run("kinds filter", func(t *testing.T) {
		got := kindsOf(w.page(t, w.admin, map[string]any{"kinds": []string{"EVENT", "DEAL"}}).items())
		if !slices.Equal(got, []string{"EVENT", "DEAL"}) {
			t.Errorf("EVENT, DEAL = %v", got)
		}
		got = kindsOf(w.page(t, w.admin, map[string]any{"kinds": []string{"WECOM"}}).items())
		if !slices.Equal(got, []string{"WECOM"}) {
			t.Errorf("WECOM = %v", got)
		}
	})

	t.Run("a rep who cannot see the lead learns nothing", func(t *testing.T) {
		r := w.api.Do(w.other, timelineQuery, map[string]any{"id": w.lead})
		if string(r.Data) != `{"node":null}` && len(r.Errors) == 0 {
			t.Errorf("other rep got %s", r.Data)
		}
		for _, e := range r.Errors {
			if e.Code() != "NOT_FOUND" {
				t.Errorf("other rep: %+v", e)
			}
		}
	})

	t.Run("messages need broadcast read, follow-ups lead.followup read; contacts masked", func(t *testing.T) {
		rep := kindsOf(w.page(t, w.rep, map[string]any{}).items())
		if slices.Contains(rep, "MESSAGE") || !slices.Contains(rep, "FOLLOW_UP") {
			t.Errorf("rep (no broadcast read) sees %v", rep)
		}
		if got := w.page(t, w.rep, map[string]any{"kinds": []string{"MESSAGE"}}).items(); len(got) != 0 {
			t.Errorf("rep asking for messages gets %v", kindsOf(got))
		}
		items := w.page(t, w.analyst, map[string]any{}).items()
		an := kindsOf(items)
		if slices.Contains(an, "FOLLOW_UP") || !slices.Contains(an, "MESSAGE") {
			t.Errorf("analyst (broadcast read, no lead.followup) sees %v", an)
		}
		for _, it := range items {
			switch it.Kind {
			case "EVENT":
				s, _ := it.Event.Properties["contact"].(string)
				if strings.Contains(s, "12345678") || strings.Contains(s, "li.si@") || !strings.Contains(s, "139****5678") {
					t.Errorf("analyst (no lead.contact) sees event contact %q", s)
				}
			case "MESSAGE":
				if it.Message.Reply == nil || strings.Contains(*it.Message.Reply, "13712345678") {
					t.Errorf("analyst sees reply %v", it.Message.Reply)
				}
			}
		}
	})

	t.Run("a constant number of statements per page", func(t *testing.T) {
		count := func() int {
			before := w.api.Statements()
			w.page(t, w.admin, map[string]any{})
			return w.api.Statements() - before
		}
		small := count()
		// Five more of each kind that has a payload to load.
		for range 5 {
			w.api.Clock.Advance(time.Second)
			w.api.MustDo(w.rep, `mutation($id:ID!){ createFollowUp(input:{leadID:$id, kind:NOTE, content:"note"}){ id } }`, map[string]any{"id": w.lead}, nil)
			w.api.MustDo(w.admin, `mutation($id:ID!){ createDeal(input:{leadID:$id, amount:10}){ id } }`, map[string]any{"id": w.lead}, nil)
		}
		big := count()
		if big != small {
			t.Errorf("statements: %d for %d items, %d for more", small, len(w.want), big)
		}
		t.Logf("%d statements per page", big)
	})
}

func mustDecode(t *testing.T, id string) uuid.UUID {
	t.Helper()
	u, err := gid.Decode(id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
