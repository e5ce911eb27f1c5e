package wecom_test

import "testing"

// TestMediaLibraryReadsOnlyWhatIsAsked: weComMedia counts the library only
// when totalCount is selected and reads the page's uses only when
// edges.usedBy is, fragments included: each costs one statement, and a
// page of nodes alone costs two fewer than one with both.
func TestMediaLibraryReadsOnlyWhatIsAsked(t *testing.T) {
	m := newMediaCorp(t)
	api, admin := m.api, m.admin
	video := storeMedium(t, api, admin, "VIDEO", "intro.mp4", mp4(16))
	storeMedium(t, api, admin, "FILE", "a.pdf", []byte("%PDF-1.4 a"))
	storeMedium(t, api, admin, "FILE", "b.pdf", []byte("%PDF-1.4 b"))
	api.MustDo(admin, `mutation($i: CreateContactWayInput!){ createContactWay(input: $i) { id } }`, map[string]any{"i": map[string]any{
		"name": "视频码", "userIDs": []string{m.member}, "welcomeAttachments": []any{map[string]any{"type": "VIDEO", "mediaID": video.ID}}}}, nil)
	api.WaitIdle()

	type page struct {
		WeComMedia struct {
			TotalCount int
			Edges      []struct {
				Node   *struct{ ID, Filename string }
				UsedBy []struct{ Kind, Name string }
			}
		}
	}
	run := func(query string) (page, int) {
		t.Helper()
		var out page
		before := api.Statements()
		api.MustDo(admin, query, nil, &out)
		return out, api.Statements() - before
	}
	usedBy := func(p page) []string {
		var names []string
		for _, e := range p.WeComMedia.Edges {
			for _, u := range e.UsedBy {
				names = append(names, u.Kind+" "+u.Name)
			}
		}
		return names
	}

	full, fullN := run(`{ weComMedia { totalCount edges { node { id filename } usedBy { kind name } } } }`)
	nodes, nodesN := run(`{ weComMedia { edges { node { id filename } } } }`)
	total, totalN := run(`query { weComMedia { ...Total edges { node { id } } } } fragment Total on WeComMediaConnection { totalCount }`)
	uses, usesN := run(`{ weComMedia { edges { node { id } ... on WeComMediaEdge { usedBy { kind name } } } } }`)

	if full.WeComMedia.TotalCount != 3 || len(full.WeComMedia.Edges) != 3 || len(usedBy(full)) != 1 {
		t.Fatalf("the full page: %+v", full)
	}
	if len(nodes.WeComMedia.Edges) != 3 || total.WeComMedia.TotalCount != 3 || len(usedBy(uses)) != 1 || usedBy(uses)[0] != "CONTACT_WAY 视频码" {
		t.Errorf("partial pages: nodes %d, total %d, usedBy %v", len(nodes.WeComMedia.Edges), total.WeComMedia.TotalCount, usedBy(uses))
	}
	if fullN-nodesN != 2 || totalN-nodesN != 1 || usesN-nodesN != 1 {
		t.Errorf("statements: all %d, nodes only %d, with totalCount %d, with usedBy %d: want nodes+2, nodes, nodes+1, nodes+1",
			fullN, nodesN, totalN, usesN)
	}
}
