package graph_test

import (
	"slices"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestTagsInPinyinOrder: tag and tag group names sort in pinyin order (the
// ICU collation zh-Hans-x-icu: 阿 before 北 before 长, Chinese names before
// Latin ones), not in code point order (where 中 < 北 < 长 < 阿): Query.tags,
// TagGroup.tags and tagGroups (by position, then name).
func TestTagsInPinyinOrder(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	type named struct{ Name string }
	api.MustDo(admin, `mutation { createTagGroup(input:{name:"重要", tags:["长期","北京","阿里","中国","VIP"]}){ id } }`, nil, nil)
	api.MustDo(admin, `mutation { createTagGroup(input:{name:"北方"}){ id } }`, nil, nil)
	api.MustDo(admin, `mutation { createTagGroup(input:{name:"阿坝"}){ id } }`, nil, nil)
	api.MustDo(admin, `mutation { createTagGroup(input:{name:"最后", position: 1}){ id } }`, nil, nil)
	want := []string{"阿里", "北京", "长期", "中国", "VIP"}

	var all struct{ Tags []named }
	api.MustDo(admin, `{ tags { name } }`, nil, &all)
	var got []string
	for _, x := range all.Tags {
		got = append(got, x.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Query.tags lists %v, want %v", got, want)
	}
	var groups struct {
		TagGroups []struct {
			Name string
			Tags []named
		}
	}
	api.MustDo(admin, `{ tagGroups { name tags { name } } }`, nil, &groups)
	got = got[:0]
	for _, g := range groups.TagGroups {
		got = append(got, g.Name)
		if g.Name == "重要" {
			var tags []string
			for _, x := range g.Tags {
				tags = append(tags, x.Name)
			}
			if !slices.Equal(tags, want) {
				t.Errorf("TagGroup.tags lists %v, want %v", tags, want)
			}
		}
	}
	if wantGroups := []string{"阿坝", "北方", "重要", "最后"}; !slices.Equal(got, wantGroups) {
		t.Errorf("tagGroups lists %v, want %v", got, wantGroups)
	}
}
