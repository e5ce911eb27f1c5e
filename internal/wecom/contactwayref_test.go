package wecom_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/gid"
)

// TestContactWayOfContactsIsReadOncePerPage: WeComContact.contactWay costs
// the same number of statements for a lead with one relationship as for a
// lead with three (the lead page's 企业微信 section), and for a page of 2
// leads as for a page of 8 (a lead list showing their relationships): the
// codes are read for the whole list or page at once, not per contact. The
// codes read right: a deleted one says so, a state of no code is null.
func TestContactWayOfContactsIsReadOncePerPage(t *testing.T) {
	api, admin, fake, _, cbURL, _ := massSendFixture(t)
	now := api.Clock.Now
	code := func(name, member string) (id, state string) {
		var out struct{ CreateContactWay struct{ ID, State string } }
		api.MustDo(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id state } }`, map[string]any{"i": map[string]any{
			"name": name, "userIDs": []string{gid.Encode(userID(t, api, member))}}}, &out)
		return out.CreateContactWay.ID, out.CreateContactWay.State
	}
	add := func(ext, member, state string) {
		t.Helper()
		if resp, body := post(t, cbURL, fake.Add(customer{ExternalUserID: ext, Name: "客户 " + ext}, member, state, nil, now())); resp.StatusCode != 200 {
			t.Fatalf("add %s = %d %s", ext, resp.StatusCode, body)
		}
	}
	_, expo := code("展会码", "zhangsan")
	oldID, old := code("旧码", "lisi")
	api.MustDo(admin, `mutation($id: ID!){ deleteContactWay(id: $id) }`, map[string]any{"id": oldID}, nil)
	for i := range 8 {
		add(fmt.Sprintf("wmRef-%d", i), "zhangsan", expo)
	}
	add("wmRef-0", "lisi", old)       // the first customer also added lisi, through the deleted code,
	add("wmRef-1", "lisi", "crm-x")   // the second through a state of no code.
	add("wmRef-one", "lisi", "crm-y") // a lead with one relationship
	leadOf := func(ext string) string {
		var id uuid.UUID
		if err := api.DB.DB.QueryRow(`SELECT lead_id FROM wecom_contacts WHERE external_user_id = $1 LIMIT 1`, ext).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return gid.Encode(id)
	}

	type contact struct {
		User       struct{ Name string }
		State      string
		ContactWay *struct {
			ID, Name string
			Deleted  bool
		}
	}
	section := `query($id: ID!) { node(id: $id) { ... on Lead { wecomContacts { state user { name } contactWay { id name deleted } } } } }`
	read := func(lead string) ([]contact, int) {
		var out struct {
			Node struct{ WecomContacts []contact }
		}
		before := api.Statements()
		api.MustDo(admin, section, map[string]any{"id": lead}, &out)
		return out.Node.WecomContacts, api.Statements() - before
	}
	two, twoStatements := read(leadOf("wmRef-0"))
	one, oneStatements := read(leadOf("wmRef-one"))
	if oneStatements != twoStatements {
		t.Errorf("the 企业微信 section took %d statements for one relationship, %d for two", oneStatements, twoStatements)
	}
	ways := map[string]string{}
	for _, c := range append(two, one...) {
		switch {
		case c.ContactWay == nil:
			ways[c.State] = "null"
		default:
			ways[c.State] = fmt.Sprintf("%s deleted=%v", c.ContactWay.Name, c.ContactWay.Deleted)
		}
	}
	if ways[expo] != "展会码 deleted=false" || ways[old] != "旧码 deleted=true" || ways["crm-y"] != "null" || len(two) != 2 {
		t.Errorf("codes of the contacts: %v (%d contacts)", ways, len(two))
	}

	page := `query($n: Int) { leads(first: $n, orderBy: {field: CREATED_AT, direction: DESC}) {
		edges { node { id wecomContacts { state contactWay { id name deleted } } } } } }`
	counts := map[int]int{}
	for _, n := range []int{2, 8} {
		var out struct {
			Leads struct {
				Edges []struct {
					Node struct{ WecomContacts []contact }
				}
			}
		}
		before := api.Statements()
		api.MustDo(admin, page, map[string]any{"n": n}, &out)
		counts[n] = api.Statements() - before
		named := 0
		for _, e := range out.Leads.Edges {
			for _, c := range e.Node.WecomContacts {
				if c.ContactWay != nil && c.ContactWay.Name != "" {
					named++
				}
			}
		}
		if len(out.Leads.Edges) != n || named < n-1 {
			t.Fatalf("a page of %d leads: %d leads, %d contacts with their code", n, len(out.Leads.Edges), named)
		}
	}
	if counts[2] != counts[8] {
		t.Errorf("a page of 2 leads with their contacts' codes took %d statements, of 8 %d", counts[2], counts[8])
	}
	t.Logf("the 企业微信 section: %d statements; a page of leads with their codes: %d", twoStatements, counts[8])
}
