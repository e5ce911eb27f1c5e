package pipeline_test

import (
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

func TestLostReasons(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)

	t.Run("create appends, archive keeps", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		r, err := pipeline.New(w.c, nil).CreateLostReason(w.ctx, "  预算不足 ")
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != "预算不足" || r.Position != len(workspace.DefaultLostReasons) || r.Archived {
			t.Errorf("created %+v", r)
		}
		// The name is free in another workspace.
		if _, err := pipeline.New(other.c, nil).CreateLostReason(other.ctx, "预算不足"); err != nil {
			t.Errorf("same name in another workspace: %v", err)
		}
		a, err := pipeline.New(w.c, nil).ArchiveLostReason(w.ctx, r.ID)
		if err != nil || !a.Archived {
			t.Fatalf("archive = %+v, %v", a, err)
		}
		again, err := pipeline.New(w.c, nil).ArchiveLostReason(w.ctx, r.ID)
		if err != nil || !again.UpdatedAt.Equal(a.UpdatedAt) {
			t.Errorf("archiving twice = %+v, %v; want a no-op", again, err)
		}
	})

	tests := []struct {
		name  string
		in    string
		code  apperr.Code
		field string
	}{
		{"empty", " \t", apperr.BadInput, "name"},
		{"201 characters", strings.Repeat("x", 201), apperr.BadInput, "name"},
		{"taken", workspace.DefaultLostReasons[0], apperr.Conflict, "name"},
		{"taken by an archived reason", "old reason", apperr.Conflict, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorkspace(t, db)
			old, err := pipeline.New(w.c, nil).CreateLostReason(w.ctx, "old reason")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pipeline.New(w.c, nil).ArchiveLostReason(w.ctx, old.ID); err != nil {
				t.Fatal(err)
			}
			before := w.digest(t)
			_, err = pipeline.New(w.c, nil).CreateLostReason(w.ctx, tt.in)
			wantErr(t, err, tt.code, tt.field)
			if w.digest(t) != before {
				t.Error("a refused create wrote")
			}
		})
	}
	t.Run("200 characters", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		if _, err := pipeline.New(w.c, nil).CreateLostReason(w.ctx, strings.Repeat("x", 200)); err != nil {
			t.Error(err)
		}
	})
	t.Run("archive another workspace's reason", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		r, err := other.c.LostReason.Query().First(other.ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = pipeline.New(w.c, nil).ArchiveLostReason(w.ctx, r.ID)
		wantErr(t, err, apperr.NotFound, "id")
		if r2, _ := other.c.LostReason.Get(other.ctx, r.ID); r2.Archived {
			t.Error("another workspace's reason was archived")
		}
		_, err = pipeline.New(w.c, nil).ArchiveLostReason(w.ctx, gid.New(gid.LostReason))
		wantErr(t, err, apperr.NotFound, "id")
	})
}
