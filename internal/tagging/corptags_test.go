package tagging_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/testenv"
)

// corpTags records what tagging hands to the WeCom layer, or fails.
type corpTags struct {
	calls []string
	fail  error
}

func (c *corpTags) CorpTagRenamed(_ context.Context, wecomID string, group bool, name, _ string) error {
	c.calls = append(c.calls, fmt.Sprintf("rename %s group=%v %s", wecomID, group, name))
	return c.fail
}

func (c *corpTags) CorpTagsDeleted(_ context.Context, tagIDs, groupIDs []string, _ string) error {
	slices.Sort(tagIDs)
	c.calls = append(c.calls, fmt.Sprintf("delete tags=%v groups=%v", tagIDs, groupIDs))
	return c.fail
}

// TestCorpTagChanges: renames and deletes of tags and groups linked to WeCom
// corp tags go to CorpTags in the transaction (a failure there undoes the
// change); a linked tag's move and a name WeCom would refuse are refused
// before anything is written or sent; unlinked tags send nothing.
func TestCorpTagChanges(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	gid, tags := w.group(t, "客户等级", false, "重要", "普通", "本地")
	other, _ := w.group(t, "来源", false)
	w.c.TagGroup.UpdateOneID(gid).SetWecomGroupID("etG1").ExecX(w.ctx)
	w.c.Tag.UpdateOneID(tags[0]).SetWecomTagID("etT1").ExecX(w.ctx)
	w.c.Tag.UpdateOneID(tags[1]).SetWecomTagID("etT2").ExecX(w.ctx)
	rec := &corpTags{}
	s := tagging.New(w.c, nil)
	s.CorpTags = rec

	if _, err := s.UpdateTag(w.ctx, tags[0], tagging.TagPatch{Name: ptr("核心")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTag(w.ctx, tags[2], tagging.TagPatch{Name: ptr("本地2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTagGroup(w.ctx, gid, tagging.GroupPatch{Name: ptr("客户分级"), Position: ptr(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTag(w.ctx, tags[0], tagging.TagPatch{Color: ptr("red")}); err != nil {
		t.Fatal(err)
	}
	want := []string{"rename etT1 group=false 核心", "rename etG1 group=true 客户分级"}
	if !slices.Equal(rec.calls, want) {
		t.Errorf("calls = %q, want %q", rec.calls, want)
	}

	// Refusals: nothing written, nothing sent.
	rec.calls = nil
	before := w.digest(t)
	_, err := s.UpdateTag(w.ctx, tags[1], tagging.TagPatch{GroupID: &other, Name: ptr("x")})
	wantErr(t, err, apperr.Conflict, "groupID")
	if !errors.Is(err, tagging.ErrWeComMove) || !strings.Contains(err.Error(), "WeCom cannot move") {
		t.Errorf("move: %v", err)
	}
	_, err = s.UpdateTag(w.ctx, tags[1], tagging.TagPatch{ClearGroup: true})
	wantErr(t, err, apperr.Conflict, "clearGroup")
	_, err = s.UpdateTag(w.ctx, tags[1], tagging.TagPatch{Name: ptr(strings.Repeat("长", 31))})
	wantErr(t, err, apperr.BadInput, "name")
	_, err = s.UpdateTagGroup(w.ctx, gid, tagging.GroupPatch{Name: ptr(strings.Repeat("组", 31))})
	wantErr(t, err, apperr.BadInput, "name")
	// The WeCom layer failing undoes the rename.
	rec.fail = errors.New("outbox down")
	if _, err := s.UpdateTag(w.ctx, tags[1], tagging.TagPatch{Name: ptr("一般")}); err == nil || !strings.Contains(err.Error(), "outbox down") {
		t.Errorf("rename with a failing outbox: %v", err)
	}
	if _, err := s.DeleteTag(w.ctx, tags[1]); err == nil {
		t.Errorf("delete with a failing outbox succeeded")
	}
	if w.digest(t) != before {
		t.Error("a refused or failed change wrote")
	}
	rec.fail = nil
	if len(rec.calls) != 2 {
		t.Errorf("calls of the failed changes = %q, want the two that failed only", rec.calls)
	}

	// Deletes: a linked tag; a group with its linked and unlinked tags.
	rec.calls = nil
	lead := w.leads(t, 1)[0]
	w.tagRaw(t, lead, tags[1])
	if n, err := s.DeleteTag(w.ctx, tags[1]); err != nil || n != 1 {
		t.Fatalf("DeleteTag = %d, %v", n, err)
	}
	g2, t2 := w.group(t, "另一组", false, "甲", "乙")
	w.c.Tag.UpdateOneID(t2[0]).SetWecomTagID("etT9").ExecX(w.ctx)
	if _, err := s.DeleteTagGroup(w.ctx, gid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTagGroup(w.ctx, g2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTagGroup(w.ctx, other); err != nil {
		t.Fatal(err)
	}
	want = []string{"delete tags=[etT2] groups=[]", "delete tags=[etT1] groups=[etG1]", "delete tags=[etT9] groups=[]"}
	if !slices.Equal(rec.calls, want) {
		t.Errorf("calls = %q, want %q", rec.calls, want)
	}
}
