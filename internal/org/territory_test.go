package org_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/joins"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// tree is a workspace with territories 华东 → 上海 → 浦东 and 华南, by name.
type tree struct {
	db  *testenv.Database
	c   *ent.Client
	ctx context.Context
	id  uuid.UUID
	t   map[string]*ent.Territory
}

func newTree(t *testing.T, db *testenv.Database) *tree {
	t.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	slug := "w" + hex.EncodeToString(b)
	created, err := workspace.Create(context.Background(), db.Client, workspace.Spec{
		Slug: slug, Name: slug, AdminName: "admin", AdminEmail: "admin@" + slug + ".test", AdminPassword: "password-123",
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &tree{db: db, c: db.Client, id: created.Workspace.ID, ctx: tenant.NewContext(context.Background(), created.Workspace.ID),
		t: map[string]*ent.Territory{}}
	svc := org.New(w.c)
	for _, n := range [][2]string{{"华东", ""}, {"上海", "华东"}, {"浦东", "上海"}, {"华南", ""}} {
		var parent *uuid.UUID
		if n[1] != "" {
			parent = &w.t[n[1]].ID
		}
		if w.t[n[0]], err = svc.CreateTerritory(w.ctx, n[0], parent); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// path returns a territory's stored path as names ("/华东/上海/").
func (w *tree) path(t *testing.T, name string) string {
	t.Helper()
	names := map[string]string{}
	for n, x := range w.t {
		names[x.ID.String()] = n
	}
	p := w.c.Territory.GetX(w.ctx, w.t[name].ID).Path
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, id := range parts {
		parts[i] = names[id]
	}
	return "/" + strings.Join(parts, "/") + "/"
}

// digest fingerprints the workspace's territories and what names them.
func (w *tree) digest(t *testing.T) string {
	t.Helper()
	var out string
	for _, table := range []string{"territories", "user_territories", "pool_territories", "partner_territories", "leads"} {
		var d string
		if err := w.db.DB.QueryRowContext(context.Background(),
			`SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM `+table+` t WHERE tenant_id = $1`,
			w.id).Scan(&d); err != nil {
			t.Fatal(err)
		}
		out += table + "=" + d + " "
	}
	return out
}

func wantErr(t *testing.T, err error, code apperr.Code, field string) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v; want %s at %q", err, code, field)
	}
	if e.Code != code || e.Field != field {
		t.Fatalf("err = %s at %q (%s); want %s at %q", e.Code, e.Field, e.Message, code, field)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

func TestUpdateTerritory(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newTree(t, db)

	t.Run("moves a subtree and renames", func(t *testing.T) {
		t.Parallel()
		w := newTree(t, db)
		svc := org.New(w.c)
		got, err := svc.UpdateTerritory(w.ctx, w.t["上海"].ID, org.TerritoryPatch{ParentID: &w.t["华南"].ID, Name: ptr(" 上海市 ")})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "上海市" || got.ParentID == nil || *got.ParentID != w.t["华南"].ID {
			t.Errorf("moved %+v", got)
		}
		if p := w.path(t, "浦东"); p != "/华南/上海/浦东/" {
			t.Errorf("浦东's path = %s; want it under 华南", p)
		}
		if p := w.path(t, "华东"); p != "/华东/" {
			t.Errorf("华东's path = %s", p)
		}
		if _, err := svc.UpdateTerritory(w.ctx, w.t["上海"].ID, org.TerritoryPatch{ClearParent: true}); err != nil {
			t.Fatal(err)
		}
		if p := w.path(t, "浦东"); p != "/上海/浦东/" {
			t.Errorf("浦东's path = %s after the move to the root", p)
		}
		// A child created under the moved territory gets the new path.
		child, err := svc.CreateTerritory(w.ctx, "徐汇", &w.t["上海"].ID)
		if err != nil || child.Path != w.c.Territory.GetX(w.ctx, w.t["上海"].ID).Path+child.ID.String()+"/" {
			t.Errorf("child %+v, %v", child, err)
		}
	})

	tests := []struct {
		name  string
		id    string
		patch func(w *tree) org.TerritoryPatch
		code  apperr.Code
		field string
	}{
		{"under itself", "上海", func(w *tree) org.TerritoryPatch { return org.TerritoryPatch{ParentID: &w.t["上海"].ID} }, apperr.BadInput, "parentID"},
		{"under its descendant", "华东", func(w *tree) org.TerritoryPatch { return org.TerritoryPatch{ParentID: &w.t["浦东"].ID} }, apperr.BadInput, "parentID"},
		{"parent and clearParent", "上海", func(w *tree) org.TerritoryPatch {
			return org.TerritoryPatch{ParentID: &w.t["华南"].ID, ClearParent: true}
		}, apperr.BadInput, "clearParent"},
		{"empty name", "上海", func(*tree) org.TerritoryPatch { return org.TerritoryPatch{Name: ptr(" ")} }, apperr.BadInput, "name"},
		{"name of 201 characters", "上海", func(*tree) org.TerritoryPatch { return org.TerritoryPatch{Name: ptr(strings.Repeat("区", 201))} }, apperr.BadInput, "name"},
		{"a root's name at the root", "上海", func(*tree) org.TerritoryPatch { return org.TerritoryPatch{ClearParent: true, Name: ptr("华南")} }, apperr.Conflict, "name"},
		{"a sibling's name", "华南", func(*tree) org.TerritoryPatch { return org.TerritoryPatch{Name: ptr("华东")} }, apperr.Conflict, "name"},
		{"another workspace's parent", "上海", func(*tree) org.TerritoryPatch { return org.TerritoryPatch{ParentID: &other.t["华南"].ID} }, apperr.NotFound, "parentID"},
		{"another workspace's territory", "", func(*tree) org.TerritoryPatch { return org.TerritoryPatch{Name: ptr("x")} }, apperr.NotFound, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newTree(t, db)
			id := other.t["上海"].ID
			if tt.id != "" {
				id = w.t[tt.id].ID
			}
			before, theirs := w.digest(t), other.digest(t)
			_, err := org.New(w.c).UpdateTerritory(w.ctx, id, tt.patch(w))
			wantErr(t, err, tt.code, tt.field)
			if w.digest(t) != before || other.digest(t) != theirs {
				t.Error("a refused UpdateTerritory wrote")
			}
		})
	}
}

func TestDeleteTerritory(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)

	t.Run("deletes a territory nothing names", func(t *testing.T) {
		t.Parallel()
		w := newTree(t, db)
		if err := org.New(w.c).DeleteTerritory(w.ctx, w.t["华南"].ID); err != nil {
			t.Fatal(err)
		}
		if n := w.c.Territory.Query().CountX(w.ctx); n != 3 {
			t.Errorf("%d territories left; want 3", n)
		}
	})

	t.Run("refused with the counts of what names it", func(t *testing.T) {
		t.Parallel()
		w := newTree(t, db)
		sh := w.t["上海"].ID
		for seq := range 2 {
			w.c.Lead.Create().SetSeq(int64(seq + 1)).SetTerritoryID(sh).ExecX(w.ctx)
		}
		svc := org.New(w.c)
		if _, err := svc.CreateUser(w.ctx, org.UserInput{Name: "rep", Email: "rep@x.test", Password: "password-123",
			Roles: []string{"rep"}, TerritoryIDs: []uuid.UUID{sh}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreatePartner(w.ctx, "渠道", []uuid.UUID{sh}); err != nil {
			t.Fatal(err)
		}
		pool := w.c.Pool.Create().SetName("上海公海").SaveX(w.ctx)
		if err := joins.PoolTerritories.Set(w.ctx, w.c, pool.ID, []uuid.UUID{sh}); err != nil {
			t.Fatal(err)
		}
		before := w.digest(t)
		err := svc.DeleteTerritory(w.ctx, sh)
		e := wantErr(t, err, apperr.Conflict, "id")
		want := org.TerritoryUse{Leads: 2, Users: 1, Partners: 1, Pools: 1, Children: 1}
		if e.Details["use"] != want || !errors.Is(err, org.ErrTerritoryInUse) {
			t.Errorf("details %v (%v); want use %+v", e.Details, err, want)
		}
		if w.digest(t) != before {
			t.Error("a refused DeleteTerritory wrote")
		}
	})

	t.Run("another workspace's territory", func(t *testing.T) {
		t.Parallel()
		w, other := newTree(t, db), newTree(t, db)
		err := org.New(w.c).DeleteTerritory(w.ctx, other.t["华南"].ID)
		wantErr(t, err, apperr.NotFound, "id")
		if n := other.c.Territory.Query().CountX(other.ctx); n != 4 {
			t.Errorf("the other workspace has %d territories; want 4", n)
		}
	})
}
