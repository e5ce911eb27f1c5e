package tagging_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/testenv"
)

// group creates a tag group with tags and returns the group's and the
// tags' ids.
func (w *ws) group(t *testing.T, name string, exclusive bool, tags ...string) (uuid.UUID, []uuid.UUID) {
	t.Helper()
	g, err := tagging.New(w.c, nil).CreateTagGroup(w.ctx, name, exclusive, 0, tags)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uuid.UUID, len(g.Edges.Tags))
	for i, tg := range g.Edges.Tags {
		ids[i] = tg.ID
	}
	return g.ID, ids
}

// tagRaw puts tags on leads with plain inserts, bypassing exclusivity (as
// leads tagged before a group became exclusive would be).
func (w *ws) tagRaw(t *testing.T, lead uuid.UUID, tags ...uuid.UUID) {
	t.Helper()
	for _, id := range tags {
		if err := w.c.LeadTag.Create().SetLeadID(lead).SetTagID(id).SetCreatedAt(t0).Exec(w.ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// wantRefs fails unless err is a CONFLICT at field whose Details list
// exactly want (kind:name, in order).
func wantRefs(t *testing.T, err error, field string, want ...string) {
	t.Helper()
	wantErr(t, err, apperr.Conflict, field)
	if !errors.Is(err, tagging.ErrInUse) {
		t.Errorf("err = %v; want ErrInUse inside", err)
	}
	e, _ := apperr.As(err)
	refs, _ := e.Details["references"].([]tagging.Reference)
	got := make([]string, len(refs))
	for i, r := range refs {
		got[i] = r.Kind + ":" + r.Name
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || e.Details["referenceCount"] != len(want) {
		t.Errorf("references = %v (count %v); want %v", got, e.Details["referenceCount"], want)
	}
}

func TestUpdateTagGroup(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	theirs, _ := other.group(t, "Theirs", false)

	t.Run("renames, reorders and makes exclusive", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		id, tags := w.group(t, "意向", false, "高", "低")
		lead := w.leads(t, 1)[0]
		w.tagRaw(t, lead, tags[0]) // one tag of the group: exclusive is fine
		g, err := tagging.New(w.c, nil).UpdateTagGroup(w.ctx, id, tagging.GroupPatch{Name: ptr(" 购买意向 "), Exclusive: ptr(true), Position: ptr(4)})
		if err != nil {
			t.Fatal(err)
		}
		if g.Name != "购买意向" || !g.Exclusive || g.Position != 4 {
			t.Errorf("group %+v", g)
		}
		// The same name is no change, not a clash with itself.
		if _, err := tagging.New(w.c, nil).UpdateTagGroup(w.ctx, id, tagging.GroupPatch{Name: ptr("购买意向"), Exclusive: ptr(false)}); err != nil {
			t.Fatal(err)
		}
	})

	tests := []struct {
		name  string
		patch tagging.GroupPatch
		id    func(w *ws, g uuid.UUID) uuid.UUID
		code  apperr.Code
		field string
		leads int // Details leadCount
	}{
		{name: "empty name", patch: tagging.GroupPatch{Name: ptr(" ")}, code: apperr.BadInput, field: "name"},
		{name: "name of 101 characters", patch: tagging.GroupPatch{Name: ptr(strings.Repeat("g", 101))}, code: apperr.BadInput, field: "name"},
		{name: "negative position", patch: tagging.GroupPatch{Position: ptr(-1)}, code: apperr.BadInput, field: "position"},
		{name: "name taken", patch: tagging.GroupPatch{Name: ptr("Other")}, code: apperr.Conflict, field: "name"},
		{name: "another workspace's group", patch: tagging.GroupPatch{Name: ptr("x")}, id: func(*ws, uuid.UUID) uuid.UUID { return theirs }, code: apperr.NotFound, field: "id"},
		{name: "exclusive while two leads hold two tags", patch: tagging.GroupPatch{Name: ptr("renamed"), Exclusive: ptr(true)}, code: apperr.Conflict, field: "exclusive", leads: 2},
		{name: "renaming a WeCom corp tag group", patch: tagging.GroupPatch{Name: ptr("renamed")}, id: func(w *ws, g uuid.UUID) uuid.UUID {
			w.c.TagGroup.UpdateOneID(g).SetWecomGroupID("etGROUP").ExecX(w.ctx)
			return g
		}, code: apperr.Conflict, field: "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			id, tags := w.group(t, "G", false, "a", "b", "c")
			w.group(t, "Other", false)
			leads := w.leads(t, 3)
			w.tagRaw(t, leads[0], tags[0], tags[1])
			w.tagRaw(t, leads[1], tags[0], tags[1], tags[2])
			w.tagRaw(t, leads[2], tags[2])
			if tt.id != nil {
				id = tt.id(w, id)
			}
			before := w.digest(t)
			_, err := tagging.New(w.c, nil).UpdateTagGroup(w.ctx, id, tt.patch)
			wantErr(t, err, tt.code, tt.field)
			if tt.leads > 0 {
				e, _ := apperr.As(err)
				if e.Details["leadCount"] != tt.leads || !errors.Is(err, tagging.ErrWouldBreakExclusive) {
					t.Errorf("details %v, err %v; want leadCount %d", e.Details, err, tt.leads)
				}
			}
			if w.digest(t) != before {
				t.Error("a refused UpdateTagGroup wrote")
			}
		})
	}
}

func TestUpdateTag(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	theirs, _ := other.group(t, "Theirs", false)

	t.Run("renames, colours and moves", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		g1, tags := w.group(t, "G1", false, "a")
		g2, _ := w.group(t, "G2", true, "b")
		// A rule naming another tag does not hold this one's rename.
		w.c.ScoringRule.Create().SetName("b rule").SetCondition(`"b" in tags`).SetPoints(5).ExecX(w.ctx)
		svc := tagging.New(w.c, nil)
		got, err := svc.UpdateTag(w.ctx, tags[0], tagging.TagPatch{Name: ptr(" A "), Color: ptr(" red "), GroupID: &g2})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "A" || got.Color != "red" || got.GroupID == nil || *got.GroupID != g2 {
			t.Errorf("tag %+v", got)
		}
		if got, err = svc.UpdateTag(w.ctx, tags[0], tagging.TagPatch{ClearGroup: true}); err != nil || got.GroupID != nil {
			t.Fatalf("clearGroup = %+v, %v", got, err)
		}
		if got, err = svc.UpdateTag(w.ctx, tags[0], tagging.TagPatch{GroupID: &g1, Color: ptr("")}); err != nil || *got.GroupID != g1 || got.Color != "" {
			t.Fatalf("back to G1 = %+v, %v", got, err)
		}
	})

	tests := []struct {
		name  string
		patch func(w *ws, groups map[string]uuid.UUID) tagging.TagPatch
		id    func(w *ws, tags map[string]uuid.UUID) uuid.UUID
		code  apperr.Code
		field string
		refs  []string
		leads int
	}{
		{name: "empty name", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch { return tagging.TagPatch{Name: ptr("")} }, code: apperr.BadInput, field: "name"},
		{name: "colour of 33 characters", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch {
			return tagging.TagPatch{Color: ptr(strings.Repeat("c", 33))}
		}, code: apperr.BadInput, field: "color"},
		{name: "groupID and clearGroup", patch: func(_ *ws, g map[string]uuid.UUID) tagging.TagPatch {
			return tagging.TagPatch{GroupID: ptr(g["Excl"]), ClearGroup: true}
		}, code: apperr.BadInput, field: "clearGroup"},
		{name: "name taken in another group", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch { return tagging.TagPatch{Name: ptr("x")} }, code: apperr.Conflict, field: "name"},
		{name: "renaming a tag rules name", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch { return tagging.TagPatch{Name: ptr("VIP2")} },
			id: func(_ *ws, tags map[string]uuid.UUID) uuid.UUID { return tags["VIP"] }, code: apperr.Conflict, field: "name",
			refs: []string{"ASSIGNMENT_RULE:vip first", "SCORING_RULE:vip points"}},
		{name: "unknown group", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch { return tagging.TagPatch{GroupID: ptr(uuid.New())} }, code: apperr.NotFound, field: "groupID"},
		{name: "another workspace's group", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch { return tagging.TagPatch{GroupID: &theirs} }, code: apperr.NotFound, field: "groupID"},
		{name: "another workspace's tag", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch { return tagging.TagPatch{Name: ptr("y")} },
			id: func(*ws, map[string]uuid.UUID) uuid.UUID { return theirs }, code: apperr.NotFound, field: "id"},
		{name: "into an exclusive group a lead holds a tag of", patch: func(_ *ws, g map[string]uuid.UUID) tagging.TagPatch {
			return tagging.TagPatch{GroupID: ptr(g["Excl"])}
		}, code: apperr.Conflict, field: "groupID", leads: 1},
		{name: "renaming a WeCom corp tag", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch { return tagging.TagPatch{Name: ptr("z")} },
			id: func(w *ws, tags map[string]uuid.UUID) uuid.UUID {
				w.c.Tag.UpdateOneID(tags["a"]).SetWecomTagID("etTAG").ExecX(w.ctx)
				return tags["a"]
			}, code: apperr.Conflict, field: "name", refs: []string{"WECOM_CORP_TAG:a"}},
		{name: "moving a WeCom corp tag", patch: func(*ws, map[string]uuid.UUID) tagging.TagPatch { return tagging.TagPatch{ClearGroup: true} },
			id: func(w *ws, tags map[string]uuid.UUID) uuid.UUID {
				w.c.Tag.UpdateOneID(tags["a"]).SetWecomTagID("etTAG").ExecX(w.ctx)
				return tags["a"]
			}, code: apperr.Conflict, field: "groupID", refs: []string{"WECOM_CORP_TAG:a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			g, gt := w.group(t, "G", false, "a", "x")
			ex, et := w.group(t, "Excl", true, "e1")
			vip := w.tags(t, "VIP")[0]
			groups := map[string]uuid.UUID{"G": g, "Excl": ex}
			tags := map[string]uuid.UUID{"a": gt[0], "x": gt[1], "e1": et[0], "VIP": vip}
			lead := w.leads(t, 2)
			w.tagRaw(t, lead[0], gt[0], et[0])
			w.tagRaw(t, lead[1], gt[0])
			w.c.AssignmentRule.Create().SetName("vip first").SetCondition(`"VIP" in tags && lead.score > 10`).SetStrategy("ROUND_ROBIN").ExecX(w.ctx)
			w.c.ScoringRule.Create().SetName("vip points").SetCondition(`tags.exists(t, t == 'VIP')`).SetPoints(5).ExecX(w.ctx)
			// Names the text but not as a tag literal: not a reference.
			w.c.ScoringRule.Create().SetName("vip attr").SetCondition(`lead.name.startsWith("VIP ")`).SetPoints(1).ExecX(w.ctx)
			id := tags["a"]
			if tt.id != nil {
				id = tt.id(w, tags)
			}
			before := w.digest(t)
			_, err := tagging.New(w.c, nil).UpdateTag(w.ctx, id, tt.patch(w, groups))
			if tt.refs != nil {
				wantRefs(t, err, tt.field, tt.refs...)
			} else {
				wantErr(t, err, tt.code, tt.field)
			}
			if tt.leads > 0 {
				e, _ := apperr.As(err)
				if e.Details["leadCount"] != tt.leads {
					t.Errorf("details %v; want leadCount %d", e.Details, tt.leads)
				}
			}
			if w.digest(t) != before {
				t.Error("a refused UpdateTag wrote")
			}
		})
	}
}

// refWorld names tag "used" in every way DeleteTag looks at, and tag
// "free" only in ways it must ignore (an archived journey, a deleted code,
// a rule condition's text outside a string).
func refWorld(t *testing.T, w *ws) (used, free uuid.UUID) {
	t.Helper()
	ids := w.tags(t, "used", "free")
	used, free = ids[0], ids[1]
	c, ctx := w.c, w.ctx
	c.Segment.Create().SetName("高意向").SetRule(schematype.SegmentRule{And: []schematype.SegmentRule{
		{Tag: &schematype.TagCondition{None: []uuid.UUID{used}}}}}).ExecX(ctx)
	c.Journey.Create().SetName("tag trigger").SetStatus("ACTIVE").SetTriggerKind("tagAdded").
		SetTrigger(schematype.JourneyTrigger{TagAdded: &schematype.TagAddedTrigger{TagID: used}}).ExecX(ctx)
	j := c.Journey.Create().SetName("tag step").SetStatus("PAUSED").SetTriggerKind("manual").SetTrigger(schematype.JourneyTrigger{}).SaveX(ctx)
	c.JourneyVersion.Create().SetJourneyID(j.ID).SetVersion(1).SetCreatedAt(t0).
		SetSteps([]schematype.JourneyStep{{AddTags: &schematype.TagsStep{TagIDs: []uuid.UUID{used}}}}).ExecX(ctx)
	old := c.Journey.Create().SetName("archived").SetStatus("ARCHIVED").SetTriggerKind("tagAdded").
		SetTrigger(schematype.JourneyTrigger{TagAdded: &schematype.TagAddedTrigger{TagID: free}}).SaveX(ctx)
	c.JourneyVersion.Create().SetJourneyID(old.ID).SetVersion(1).SetCreatedAt(t0).
		SetSteps([]schematype.JourneyStep{{AddTags: &schematype.TagsStep{TagIDs: []uuid.UUID{free}}}}).ExecX(ctx)
	c.AssignmentRule.Create().SetName("used first").SetCondition(`"used" in tags`).SetStrategy("ROUND_ROBIN").ExecX(ctx)
	c.ScoringRule.Create().SetName("used points").SetCondition(`"used" in tags || "x" in tags`).SetPoints(3).SetEnabled(false).ExecX(ctx)
	c.ScoringRule.Create().SetName("free text").SetCondition(`lead.source == "free trial"`).SetPoints(3).ExecX(ctx)
	c.ContactWay.Create().SetName("展会活码").SetState("s1").SetConfigID("c1").SetQrCodeURL("u").
		SetUserIds([]uuid.UUID{}).SetTagIds([]uuid.UUID{used}).ExecX(ctx)
	c.ContactWay.Create().SetName("旧活码").SetState("s2").SetConfigID("c2").SetQrCodeURL("u").
		SetUserIds([]uuid.UUID{}).SetTagIds([]uuid.UUID{free}).SetDeletedAt(t0).ExecX(ctx)
	c.SavedView.Create().SetName("my vips").SetOwnerID(w.admin).
		SetState(map[string]any{"filter": map[string]any{"tagIDs": []string{used.String()}}}).ExecX(ctx)
	return used, free
}

func TestDeleteTag(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	theirs := other.tags(t, "theirs")[0]

	t.Run("takes the tag off every lead in one statement", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		_, free := refWorld(t, w)
		keep := w.tags(t, "keep")[0]
		leads := w.leads(t, 3000)
		if _, err := tagging.New(w.c, nil).TagLeads(w.ctx, leads, []uuid.UUID{free}, nil, ""); err != nil {
			t.Fatal(err)
		}
		w.tagRaw(t, leads[0], keep)
		w.c.Lead.Update().SetUpdatedAt(t0).ExecX(w.ctx)
		c, counts := countingClient(db, "DELETE FROM LEAD_TAGS")
		now := t0.Add(time.Hour)
		n, err := tagging.New(c, func() time.Time { return now }).DeleteTag(w.ctx, free)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3000 || counts()["DELETE FROM LEAD_TAGS"] != 1 {
			t.Errorf("removed %d edges with %d statements; want 3000 with 1", n, counts()["DELETE FROM LEAD_TAGS"])
		}
		if ok, _ := w.c.Tag.Query().Where(tag.ID(free)).Exist(w.ctx); ok {
			t.Error("the tag is still there")
		}
		if got := w.edges(t, leads[0]); len(got) != 1 || !got[keep] {
			t.Errorf("lead 0's tags = %v; want only keep", got)
		}
		if l := w.c.Lead.GetX(w.ctx, leads[1]); !l.UpdatedAt.Equal(now) {
			t.Errorf("updated_at = %v; want %v", l.UpdatedAt, now)
		}
		// A tag no lead has is deleted too.
		if n, err := tagging.New(w.c, nil).DeleteTag(w.ctx, keep); err != nil || n != 1 {
			t.Errorf("delete keep = %d, %v", n, err)
		}
	})

	t.Run("refused while anything names it", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		used, _ := refWorld(t, w)
		lead := w.leads(t, 1)[0]
		w.tagRaw(t, lead, used)
		before := w.digest(t)
		_, err := tagging.New(w.c, nil).DeleteTag(w.ctx, used)
		wantRefs(t, err, "id", "SEGMENT:高意向", "JOURNEY:tag step", "JOURNEY:tag trigger", "ASSIGNMENT_RULE:used first",
			"SCORING_RULE:used points", "CONTACT_WAY:展会活码", "SAVED_VIEW:my vips")
		if !strings.Contains(err.Error(), `segment "高意向"`) {
			t.Errorf("message %q does not name the segment", err)
		}
		if w.digest(t) != before {
			t.Error("a refused DeleteTag wrote")
		}
	})

	t.Run("refused for a WeCom corp tag", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		id := w.tags(t, "corp")[0]
		w.c.Tag.UpdateOneID(id).SetWecomTagID("etCORP").ExecX(w.ctx)
		before := w.digest(t)
		_, err := tagging.New(w.c, nil).DeleteTag(w.ctx, id)
		wantRefs(t, err, "id", "WECOM_CORP_TAG:corp")
		if w.digest(t) != before {
			t.Error("a refused DeleteTag wrote")
		}
	})

	t.Run("another workspace's tag", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		_, err := tagging.New(w.c, nil).DeleteTag(w.ctx, theirs)
		wantErr(t, err, apperr.NotFound, "id")
		if ok, _ := other.c.Tag.Query().Where(tag.ID(theirs)).Exist(other.ctx); !ok {
			t.Error("the other workspace's tag was deleted")
		}
	})
}

func TestDeleteTagGroup(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)

	t.Run("deletes the group and its tags", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		g, tags := w.group(t, "G", false, "a", "b")
		loose := w.tags(t, "loose")[0]
		leads := w.leads(t, 2)
		w.tagRaw(t, leads[0], tags[0], tags[1], loose)
		w.tagRaw(t, leads[1], tags[1])
		n, err := tagging.New(w.c, nil).DeleteTagGroup(w.ctx, g)
		if err != nil || n != 3 {
			t.Fatalf("DeleteTagGroup = %d, %v; want 3 edges", n, err)
		}
		if left := w.c.Tag.Query().CountX(w.ctx); left != 1 {
			t.Errorf("%d tags left; want the ungrouped one", left)
		}
		if got := w.edges(t, leads[0]); len(got) != 1 || !got[loose] {
			t.Errorf("lead 0's tags = %v", got)
		}
		if w.c.TagGroup.Query().CountX(w.ctx) != 0 {
			t.Error("the group is still there")
		}
	})

	tests := []struct {
		name string
		prep func(w *ws, g uuid.UUID, tags []uuid.UUID)
		want []string
	}{
		{"one of its tags is used", func(w *ws, _ uuid.UUID, tags []uuid.UUID) {
			w.c.Segment.Create().SetName("seg").SetRule(schematype.SegmentRule{Tag: &schematype.TagCondition{Any: tags[1:]}}).ExecX(w.ctx)
		}, []string{"SEGMENT:seg"}},
		{"it is a WeCom corp tag group", func(w *ws, g uuid.UUID, _ []uuid.UUID) {
			w.c.TagGroup.UpdateOneID(g).SetWecomGroupID("etG").ExecX(w.ctx)
		}, []string{"WECOM_CORP_TAG:G"}},
		{"one of its tags is a WeCom corp tag", func(w *ws, _ uuid.UUID, tags []uuid.UUID) {
			w.c.Tag.UpdateOneID(tags[0]).SetWecomTagID("etA").ExecX(w.ctx)
		}, []string{"WECOM_CORP_TAG:a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			g, tags := w.group(t, "G", false, "a", "b")
			w.tagRaw(t, w.leads(t, 1)[0], tags[0])
			tt.prep(w, g, tags)
			before := w.digest(t)
			_, err := tagging.New(w.c, nil).DeleteTagGroup(w.ctx, g)
			wantRefs(t, err, "id", tt.want...)
			if w.digest(t) != before {
				t.Error("a refused DeleteTagGroup wrote")
			}
		})
	}
	t.Run("unknown group", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		_, err := tagging.New(w.c, nil).DeleteTagGroup(w.ctx, uuid.New())
		wantErr(t, err, apperr.NotFound, "id")
	})
}
