package wecomfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"
)

// The corp tag endpoints (企业客户标签), with the documented shapes
// (https://developer.work.weixin.qq.com/document/path/92117, 92118):
//
//	POST /cgi-bin/externalcontact/get_corp_tag_list {tag_id, group_id}
//	    -> tag_group [{group_id, group_name, create_time, order, deleted, tag [{id, name, create_time, order, deleted}]}]
//	POST /cgi-bin/externalcontact/add_corp_tag {group_id | group_name, tag [{name}]}
//	    -> tag_group {group_id, group_name, tag [{id, name}]}; 40071 a tag name the group has, 40068 an unknown group
//	POST /cgi-bin/externalcontact/edit_corp_tag {id, name, order}
//	    -> ok; 40068 an unknown tag or group id, 40071 a name another tag of
//	    the group (or another group) has, 40058 no id or a name over 30 characters
//	POST /cgi-bin/externalcontact/del_corp_tag {tag_id [...], group_id [...]}
//	    -> ok (a group goes with its tags; a group left without tags goes
//	    too, and the tags come off every customer); 40068 an unknown id,
//	    40058 both lists empty
//	POST /cgi-bin/externalcontact/mark_tag {userid, external_userid, add_tag [...], remove_tag [...]}
//	    -> ok; 84061 not the member's contact, 40068 an unknown tag
//
// A member's tags on a customer are also in externalcontact/get's
// follow_user.tags.

// TagGroup is a group of the corp's tag library.
type TagGroup struct {
	ID, Name string
	Tags     []Tag
}

// Tag is a corp tag.
type Tag struct{ ID, Name string }

// TagMember records that member put the corp tags on customer ext.
func (f *Server) TagMember(ext, member string, tagIDs ...string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	key := ext + "/" + member
	for _, id := range tagIDs {
		if !slices.Contains(f.MemberTags[key], id) {
			f.MemberTags[key] = append(f.MemberTags[key], id)
		}
	}
}

// TagsOf returns the corp tag ids member put on customer ext.
func (f *Server) TagsOf(ext, member string) []string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return slices.Clone(f.MemberTags[ext+"/"+member])
}

// Library returns a copy of the corp's tag library.
func (f *Server) Library() []TagGroup {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	out := make([]TagGroup, len(f.CorpTags))
	for i, g := range f.CorpTags {
		out[i] = TagGroup{ID: g.ID, Name: g.Name, Tags: slices.Clone(g.Tags)}
	}
	return out
}

// tag finds a corp tag by id (callers hold Mu).
func (f *Server) tag(id string) (*TagGroup, *Tag) {
	for _, g := range f.CorpTags {
		for i := range g.Tags {
			if g.Tags[i].ID == id {
				return g, &g.Tags[i]
			}
		}
	}
	return nil, nil
}

// followTags is a member's tags on a customer as follow_user.tags (callers hold Mu).
func (f *Server) followTags(ext, member string) []any {
	out := []any{}
	for _, id := range f.MemberTags[ext+"/"+member] {
		if g, t := f.tag(id); t != nil {
			out = append(out, map[string]any{"group_name": g.Name, "tag_name": t.Name, "tag_id": t.ID, "type": 1})
		}
	}
	return out
}

func (f *Server) corpTagList(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	groups := []any{}
	for i, g := range f.CorpTags {
		tags := []any{}
		for j, t := range g.Tags {
			tags = append(tags, map[string]any{"id": t.ID, "name": t.Name, "create_time": 1, "order": j, "deleted": false})
		}
		groups = append(groups, map[string]any{"group_id": g.ID, "group_name": g.Name, "create_time": 1, "order": i,
			"deleted": false, "tag": tags})
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "tag_group": groups})
}

func (f *Server) addCorpTag(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		GroupID   string `json:"group_id"`
		GroupName string `json:"group_name"`
		Tag       []struct {
			Name string `json:"name"`
		} `json:"tag"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Tag) == 0 || (req.GroupID == "" && req.GroupName == "") {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	var g *TagGroup
	for _, x := range f.CorpTags {
		if (req.GroupID != "" && x.ID == req.GroupID) || (req.GroupID == "" && x.Name == req.GroupName) {
			g = x
		}
	}
	if g == nil {
		if req.GroupID != "" {
			f.Answer(w, map[string]any{"errcode": 40068, "errmsg": "invalid tagid"})
			return
		}
		g = &TagGroup{ID: fmt.Sprintf("etGROUP%03d", len(f.CorpTags)+1), Name: req.GroupName}
		f.CorpTags = append(f.CorpTags, g)
	}
	made := []any{}
	for _, t := range req.Tag {
		if slices.ContainsFunc(g.Tags, func(x Tag) bool { return x.Name == t.Name }) {
			f.Answer(w, map[string]any{"errcode": 40071, "errmsg": "tag name exists"})
			return
		}
	}
	for _, t := range req.Tag {
		f.tagSeq++
		nt := Tag{ID: fmt.Sprintf("etTAG%04d", f.tagSeq), Name: t.Name}
		g.Tags = append(g.Tags, nt)
		made = append(made, map[string]any{"id": nt.ID, "name": nt.Name, "create_time": 1, "order": len(g.Tags)})
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok",
		"tag_group": map[string]any{"group_id": g.ID, "group_name": g.Name, "create_time": 1, "order": 1, "tag": made}})
}

func (f *Server) markTag(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	var req struct {
		UserID         string   `json:"userid"`
		ExternalUserID string   `json:"external_userid"`
		AddTag         []string `json:"add_tag"`
		RemoveTag      []string `json:"remove_tag"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.UserID == "" || req.ExternalUserID == "" {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	if !f.isContact(req.ExternalUserID, req.UserID) {
		f.Answer(w, map[string]any{"errcode": 84061, "errmsg": "not external contact"})
		return
	}
	for _, id := range append(slices.Clone(req.AddTag), req.RemoveTag...) {
		if _, t := f.tag(id); t == nil {
			f.Answer(w, map[string]any{"errcode": 40068, "errmsg": "invalid tagid"})
			return
		}
	}
	key := req.ExternalUserID + "/" + req.UserID
	for _, id := range req.AddTag {
		if !slices.Contains(f.MemberTags[key], id) {
			f.MemberTags[key] = append(f.MemberTags[key], id)
		}
	}
	f.MemberTags[key] = slices.DeleteFunc(f.MemberTags[key], func(id string) bool { return slices.Contains(req.RemoveTag, id) })
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// injectedCorpTagErr answers the next queued errcode of CorpTagErrcodes, if
// any (callers hold Mu).
func (f *Server) injectedCorpTagErr(w http.ResponseWriter) bool {
	if len(f.CorpTagErrcodes) == 0 {
		return false
	}
	code := f.CorpTagErrcodes[0]
	f.CorpTagErrcodes = f.CorpTagErrcodes[1:]
	f.Answer(w, map[string]any{"errcode": code, "errmsg": fmt.Sprintf("injected error %d", code)})
	return true
}

func (f *Server) editCorpTag(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) || f.injectedCorpTagErr(w) {
		return
	}
	var req struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Order *int   `json:"order"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ID == "" || utf8.RuneCountInString(req.Name) > 30 {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	for _, g := range f.CorpTags {
		if g.ID != req.ID {
			continue
		}
		if req.Name != "" {
			if slices.ContainsFunc(f.CorpTags, func(x *TagGroup) bool { return x.ID != g.ID && x.Name == req.Name }) {
				f.Answer(w, map[string]any{"errcode": 40071, "errmsg": "tag name exists"})
				return
			}
			g.Name = req.Name
		}
		f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
		return
	}
	g, t := f.tag(req.ID)
	if t == nil {
		f.Answer(w, map[string]any{"errcode": 40068, "errmsg": "invalid tagid"})
		return
	}
	if req.Name != "" {
		if slices.ContainsFunc(g.Tags, func(x Tag) bool { return x.ID != t.ID && x.Name == req.Name }) {
			f.Answer(w, map[string]any{"errcode": 40071, "errmsg": "tag name exists"})
			return
		}
		t.Name = req.Name
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *Server) delCorpTag(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.authorized(w, r) || f.injectedCorpTagErr(w) {
		return
	}
	var req struct {
		TagID   []string `json:"tag_id"`
		GroupID []string `json:"group_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || (len(req.TagID) == 0 && len(req.GroupID) == 0) {
		f.Answer(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	for _, id := range req.GroupID {
		if !slices.ContainsFunc(f.CorpTags, func(g *TagGroup) bool { return g.ID == id }) {
			f.Answer(w, map[string]any{"errcode": 40068, "errmsg": "invalid tagid"})
			return
		}
	}
	for _, id := range req.TagID {
		if _, t := f.tag(id); t == nil {
			f.Answer(w, map[string]any{"errcode": 40068, "errmsg": "invalid tagid"})
			return
		}
	}
	gone := slices.Clone(req.TagID)
	for _, g := range f.CorpTags {
		if slices.Contains(req.GroupID, g.ID) {
			for _, t := range g.Tags {
				gone = append(gone, t.ID)
			}
		}
	}
	f.CorpTags = slices.DeleteFunc(f.CorpTags, func(g *TagGroup) bool { return slices.Contains(req.GroupID, g.ID) })
	for _, g := range f.CorpTags {
		g.Tags = slices.DeleteFunc(g.Tags, func(t Tag) bool { return slices.Contains(gone, t.ID) })
	}
	f.CorpTags = slices.DeleteFunc(f.CorpTags, func(g *TagGroup) bool { return len(g.Tags) == 0 })
	for k, ids := range f.MemberTags {
		f.MemberTags[k] = slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(gone, id) })
	}
	f.Answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}
