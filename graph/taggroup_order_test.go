package graph_test

import (
	"slices"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestTagGroupTagsInNameOrder: a group's tags come in name order (then id),
// the order Query.tags lists them in, wherever the group is read (tagGroups,
// node, a tag's group, createTagGroup's answer), whatever order they were
// created in; a tag added later takes its place by name, not at the end.
func TestTagGroupTagsInNameOrder(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	type tags struct{ Tags []struct{ ID, Name string } }
	names := func(ts tags) []string {
		var out []string
		for _, x := range ts.Tags {
			out = append(out, x.Name)
		}
		return out
	}
	var created struct {
		CreateTagGroup struct {
			ID string
			tags
		}
	}
	api.MustDo(admin, `mutation { createTagGroup(input:{name:"意向", tags:["b","c","a","高","中","低"]}){ id tags { id name } } }`, nil, &created)
	group := created.CreateTagGroup.ID
	api.MustDo(admin, `mutation($g:ID!){ createTag(input:{name:"0", groupID:$g}){ id } }`, map[string]any{"g": group}, nil)
	api.MustDo(admin, `mutation { createTag(input:{name:"aa"}){ id } }`, nil, nil) // in no group

	// Query.tags' order, the group's tags only.
	var all struct {
		Tags []struct {
			Name  string
			Group *struct{ ID string }
		}
	}
	api.MustDo(admin, `{ tags { name group { id } } }`, nil, &all)
	var want []string
	for _, x := range all.Tags {
		if x.Group != nil && x.Group.ID == group {
			want = append(want, x.Name)
		}
	}
	// Pinyin order (TestTagsInPinyinOrder): digits, Chinese names, Latin ones.
	if !slices.Equal(want, []string{"0", "低", "高", "中", "a", "b", "c"}) {
		t.Fatalf("Query.tags lists the group's tags as %v", want)
	}
	if got := names(created.CreateTagGroup.tags); !slices.Equal(got, slices.DeleteFunc(slices.Clone(want), func(s string) bool { return s == "0" })) {
		t.Errorf("createTagGroup answers %v", got)
	}

	var groups struct {
		TagGroups []struct {
			ID string
			tags
		}
	}
	api.MustDo(admin, `{ tagGroups { id tags { id name } } }`, nil, &groups)
	if len(groups.TagGroups) != 1 || !slices.Equal(names(groups.TagGroups[0].tags), want) {
		t.Errorf("tagGroups lists %+v, want %v", groups.TagGroups, want)
	}
	var node struct{ Node tags }
	api.MustDo(admin, `query($id:ID!){ node(id:$id){ ... on TagGroup { tags { id name } } } }`, map[string]any{"id": group}, &node)
	if !slices.Equal(names(node.Node), want) {
		t.Errorf("node(id) lists %v, want %v", names(node.Node), want)
	}
	var via struct {
		Tags []struct{ Group *tags }
	}
	api.MustDo(admin, `{ tags { group { tags { id name } } } }`, nil, &via)
	for _, x := range via.Tags {
		if x.Group != nil && !slices.Equal(names(*x.Group), want) {
			t.Errorf("a tag's group lists %v, want %v", names(*x.Group), want)
		}
	}
}
