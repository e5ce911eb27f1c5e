package tagging_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/testenv"
)

func TestCreateTagGroup(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	if _, err := tagging.New(other.c, nil).CreateTagGroup(other.ctx, "意向", true, 0, []string{"高", "中", "低"}); err != nil {
		t.Fatal(err)
	}

	t.Run("creates the group and its tags", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		// The same names as the other workspace's: names are per workspace.
		g, err := tagging.New(w.c, nil).CreateTagGroup(w.ctx, " 意向 ", true, 3, []string{" 高 ", "中", "低"})
		if err != nil {
			t.Fatal(err)
		}
		if g.Name != "意向" || !g.Exclusive || g.Position != 3 {
			t.Errorf("group %+v", g)
		}
		if len(g.Edges.Tags) != 3 || g.Edges.Tags[0].Name != "高" {
			t.Fatalf("returned tags %v", g.Edges.Tags)
		}
		stored, err := w.c.Tag.Query().Where(tag.GroupID(g.ID)).Count(w.ctx)
		if err != nil || stored != 3 {
			t.Errorf("stored tags in group = %d, %v", stored, err)
		}
		empty, err := tagging.New(w.c, nil).CreateTagGroup(w.ctx, strings.Repeat("g", 100), false, 0, nil)
		if err != nil || empty.Exclusive || len(empty.Edges.Tags) != 0 {
			t.Errorf("group of 100 characters without tags = %+v, %v", empty, err)
		}
	})

	tests := []struct {
		name     string
		group    string
		position int
		tags     []string
		code     apperr.Code
		field    string
	}{
		{"empty name", "  ", 0, nil, apperr.BadInput, "name"},
		{"name of 101 characters", strings.Repeat("g", 101), 0, nil, apperr.BadInput, "name"},
		{"name taken", "Existing", 0, nil, apperr.Conflict, "name"},
		{"negative position", "G", -1, nil, apperr.BadInput, "position"},
		{"empty tag", "G", 0, []string{"a", " "}, apperr.BadInput, "tags[1]"},
		{"tag of 101 characters", "G", 0, []string{strings.Repeat("t", 101)}, apperr.BadInput, "tags[0]"},
		{"a tag twice", "G", 0, []string{"a", "b", " a"}, apperr.BadInput, "tags[2]"},
		{"a tag name taken outside any group", "G", 0, []string{"new", "VIP"}, apperr.Conflict, "tags[1]"},
		{"a tag name taken in another group", "G", 0, []string{"old"}, apperr.Conflict, "tags[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			if _, err := tagging.New(w.c, nil).CreateTagGroup(w.ctx, "Existing", false, 0, []string{"old"}); err != nil {
				t.Fatal(err)
			}
			w.tags(t, "VIP")
			before := w.digest(t)
			_, err := tagging.New(w.c, nil).CreateTagGroup(w.ctx, tt.group, false, tt.position, tt.tags)
			wantErr(t, err, tt.code, tt.field)
			if tt.code == apperr.Conflict && !errors.Is(err, tagging.ErrNameTaken) {
				t.Errorf("err = %v; want ErrNameTaken inside", err)
			}
			if w.digest(t) != before {
				t.Error("a refused CreateTagGroup wrote")
			}
		})
	}
	t.Run("without a tenant", func(t *testing.T) {
		t.Parallel()
		_, err := tagging.New(db.Client, nil).CreateTagGroup(context.Background(), "G", false, 0, nil)
		wantNoTenant(t, err)
	})
}

func TestCreateTag(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	otherGroup, err := tagging.New(other.c, nil).CreateTagGroup(other.ctx, "Theirs", false, 0, nil)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("grouped and ungrouped", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		g, err := tagging.New(w.c, nil).CreateTagGroup(w.ctx, "Source", false, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		in, err := tagging.New(w.c, nil).CreateTag(w.ctx, " 转介绍 ", " #00aa00 ", &g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if in.Name != "转介绍" || in.Color != "#00aa00" || in.GroupID == nil || *in.GroupID != g.ID {
			t.Errorf("grouped tag %+v", in)
		}
		out, err := tagging.New(w.c, nil).CreateTag(w.ctx, strings.Repeat("t", 100), "", nil)
		if err != nil || out.GroupID != nil {
			t.Errorf("ungrouped tag of 100 characters = %+v, %v", out, err)
		}
	})

	tests := []struct {
		name  string
		tag   string
		color string
		group func(t *testing.T, w *ws) *uuid.UUID
		code  apperr.Code
		field string
	}{
		{"empty name", "", "", nil, apperr.BadInput, "name"},
		{"name of 101 characters", strings.Repeat("t", 101), "", nil, apperr.BadInput, "name"},
		// Limits count characters: 101 CJK characters are over, whatever the bytes.
		{"name of 101 Chinese characters", strings.Repeat("标", 101), "", nil, apperr.BadInput, "name"},
		{"name taken outside any group", "VIP", "", nil, apperr.Conflict, "name"},
		{"name taken inside a group", "old", "", nil, apperr.Conflict, "name"},
		{"name taken, new one in a group", "VIP", "", func(t *testing.T, w *ws) *uuid.UUID { return w.groupID(t, "Existing") }, apperr.Conflict, "name"},
		{"colour of 33 characters", "x", strings.Repeat("c", 33), nil, apperr.BadInput, "color"},
		{"another workspace's group", "x", "", func(*testing.T, *ws) *uuid.UUID { return &otherGroup.ID }, apperr.NotFound, "groupID"},
		{"unknown group", "x", "", func(*testing.T, *ws) *uuid.UUID { return ptr(gid.New(gid.TagGroup)) }, apperr.NotFound, "groupID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			if _, err := tagging.New(w.c, nil).CreateTagGroup(w.ctx, "Existing", false, 0, []string{"old"}); err != nil {
				t.Fatal(err)
			}
			w.tags(t, "VIP")
			var group *uuid.UUID
			if tt.group != nil {
				group = tt.group(t, w)
			}
			before := w.digest(t)
			_, err := tagging.New(w.c, nil).CreateTag(w.ctx, tt.tag, tt.color, group)
			wantErr(t, err, tt.code, tt.field)
			if w.digest(t) != before {
				t.Error("a refused CreateTag wrote")
			}
		})
	}

	t.Run("concurrent creates of one name", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		const n = 8
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := tagging.New(w.c, nil).CreateTag(w.ctx, "同名", "", nil)
				errs <- err
			}()
		}
		ok := 0
		for range n {
			err := <-errs
			if err == nil {
				ok++
				continue
			}
			wantErr(t, err, apperr.Conflict, "name")
		}
		if got, _ := w.c.Tag.Query().Where(tag.Name("同名")).Count(w.ctx); ok != 1 || got != 1 {
			t.Errorf("%d creates succeeded, %d tags stored; want 1 and 1", ok, got)
		}
	})
	t.Run("without a tenant", func(t *testing.T) {
		t.Parallel()
		_, err := tagging.New(db.Client, nil).CreateTag(context.Background(), "x", "", nil)
		wantNoTenant(t, err)
	})
}

func (w *ws) groupID(t *testing.T, name string) *uuid.UUID {
	t.Helper()
	g, err := w.c.TagGroup.Query().First(w.ctx)
	if err != nil || g.Name != name {
		t.Fatalf("group %q: %v, %v", name, g, err)
	}
	return &g.ID
}
