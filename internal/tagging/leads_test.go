package tagging_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/leadtag"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/testenv"
)

func TestTagLeadsInBulk(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	w := newWorkspace(t, db)
	other := newWorkspace(t, db)
	otherLeads := other.leads(t, 5)
	otherTags := other.tags(t, "A", "B")
	if _, err := tagging.New(other.c, nil).TagLeads(other.ctx, otherLeads, otherTags, nil, ""); err != nil {
		t.Fatal(err)
	}
	otherBefore := other.digest(t)

	const n = 5000
	ids := w.leads(t, n)
	tags := w.tags(t, "A", "B")
	untouched := w.leads(t, 3)

	cc, counts := countingClient(db, "INSERT INTO LEAD_TAGS", "DELETE FROM LEAD_TAGS", "FOR UPDATE")
	affected, err := tagging.New(cc, nil).TagLeads(w.ctx, ids, tags, &w.admin, "IMPORT")
	if err != nil {
		t.Fatal(err)
	}
	if affected != 2*n {
		t.Fatalf("affected = %d; want %d", affected, 2*n)
	}
	c := counts()
	if c["INSERT INTO LEAD_TAGS"] != 1 || c["FOR UPDATE"] != 1 || c["all"] > 10 {
		t.Errorf("statements %v; want one locking and one writing statement for the batch, a handful in all", c)
	}
	edges, err := w.c.LeadTag.Query().All(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(edges) != 2*n {
		t.Fatalf("%d edges stored; want %d", len(edges), 2*n)
	}
	for _, e := range edges {
		if e.Source != leadtag.SourceIMPORT || e.CreatedByID == nil || *e.CreatedByID != w.admin || e.CreatedAt.IsZero() {
			t.Fatalf("edge %+v", e)
		}
	}
	if bumped, _ := w.c.Lead.Query().Where(lead.IDIn(ids...), lead.UpdatedAtGT(t0)).Count(w.ctx); bumped != n {
		t.Errorf("%d tagged leads have a new updated_at; want %d", bumped, n)
	}
	if bumped, _ := w.c.Lead.Query().Where(lead.IDIn(untouched...), lead.UpdatedAtGT(t0)).Count(w.ctx); bumped != 0 {
		t.Errorf("%d untagged leads were touched", bumped)
	}
	if other.digest(t) != otherBefore {
		t.Error("tagging touched another workspace")
	}

	t.Run("again adds nothing and touches nothing", func(t *testing.T) {
		before := w.digest(t)
		affected, err := tagging.New(w.c, nil).TagLeads(w.ctx, append(ids[:10:10], ids[:10]...), tags, nil, "RULE")
		if err != nil || affected != 0 {
			t.Fatalf("re-tagging = %d, %v; want 0", affected, err)
		}
		if w.digest(t) != before {
			t.Error("re-tagging wrote")
		}
	})
	t.Run("untag in bulk", func(t *testing.T) {
		cc, counts := countingClient(db, "DELETE FROM LEAD_TAGS")
		removed, err := tagging.New(cc, nil).UntagLeads(w.ctx, append(ids, untouched...), tags[:1])
		if err != nil || removed != n {
			t.Fatalf("untag = %d, %v; want %d", removed, err, n)
		}
		if c := counts(); c["DELETE FROM LEAD_TAGS"] != 1 || c["all"] > 10 {
			t.Errorf("statements %v", c)
		}
		if left, _ := w.c.LeadTag.Query().Count(w.ctx); left != n {
			t.Errorf("%d edges left; want %d", left, n)
		}
		if bumped, _ := w.c.Lead.Query().Where(lead.IDIn(untouched...), lead.UpdatedAtGT(t0)).Count(w.ctx); bumped != 0 {
			t.Errorf("%d leads without the tag were touched", bumped)
		}
		if other.digest(t) != otherBefore {
			t.Error("untagging touched another workspace")
		}
	})
	t.Run("untouched leaves updated_at and names the changed leads", func(t *testing.T) {
		fresh := w.leads(t, 3)
		c := w.tags(t, "C")
		changed, err := tagging.New(w.c, nil).TagLeadsUntouched(w.ctx, append(fresh[:2:2], ids[0]), c, nil, "RULE")
		if err != nil {
			t.Fatal(err)
		}
		if len(changed) != 3 || !slices.Contains(changed, fresh[0]) || !slices.Contains(changed, fresh[1]) || !slices.Contains(changed, ids[0]) {
			t.Errorf("changed = %v; want the three tagged leads", changed)
		}
		if bumped, _ := w.c.Lead.Query().Where(lead.IDIn(fresh...), lead.UpdatedAtGT(t0)).Count(w.ctx); bumped != 0 {
			t.Errorf("%d leads got a new updated_at; want none", bumped)
		}
		if again, err := tagging.New(w.c, nil).TagLeadsUntouched(w.ctx, fresh[:2], c, nil, "RULE"); err != nil || len(again) != 0 {
			t.Errorf("re-tagging = %v, %v; want no lead changed", again, err)
		}
	})
}

func TestExclusiveGroups(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)

	// setup: exclusive group 意向 {高, 中, 低}, plain group 渠道 {web, ad}, ungrouped VIP.
	setup := func(t *testing.T) (*ws, map[string]uuid.UUID) {
		w := newWorkspace(t, db)
		ids := map[string]uuid.UUID{}
		for _, g := range []struct {
			name      string
			exclusive bool
			tags      []string
		}{{"意向", true, []string{"高", "中", "低"}}, {"渠道", false, []string{"web", "ad"}}} {
			grp, err := tagging.New(w.c, nil).CreateTagGroup(w.ctx, g.name, g.exclusive, 0, g.tags)
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range grp.Edges.Tags {
				ids[tg.Name] = tg.ID
			}
		}
		ids["VIP"] = w.tags(t, "VIP")[0]
		return w, ids
	}

	t.Run("a new tag of the group replaces the old one", func(t *testing.T) {
		t.Parallel()
		w, tg := setup(t)
		l := w.leads(t, 3)
		if _, err := tagging.New(w.c, nil).TagLeads(w.ctx, l[:2], []uuid.UUID{tg["高"], tg["web"], tg["ad"], tg["VIP"]}, nil, ""); err != nil {
			t.Fatal(err)
		}
		svc := tagging.New(w.c, nil)
		rec := &recorder{}
		svc.Watchers = []tagging.Watcher{rec}
		affected, err := svc.TagLeads(w.ctx, l, []uuid.UUID{tg["低"], tg["web"]}, &w.admin, "MANUAL")
		if err != nil {
			t.Fatal(err)
		}
		// 低 on all three, web on the third: 4 edges added (高 removed twice).
		if affected != 4 {
			t.Errorf("affected = %d; want 4", affected)
		}
		// The watchers hear of both: the added edges and 高's replaced ones.
		if len(rec.added[tg["低"]]) != 3 || len(rec.added[tg["web"]]) != 1 || len(rec.added) != 2 {
			t.Errorf("watchers told of added %v", rec.added)
		}
		if len(rec.removed) != 1 || len(rec.removed[tg["高"]]) != 2 {
			t.Errorf("watchers told of removed %v; want 高 from two leads", rec.removed)
		}
		// Untagging tells them what was removed, and only that.
		rec.added, rec.removed = nil, nil
		if n, err := svc.UntagLeads(w.ctx, l, []uuid.UUID{tg["web"], tg["VIP"]}); err != nil || n != 5 {
			t.Errorf("untag = %d, %v; want 5", n, err)
		}
		if rec.added != nil || len(rec.removed[tg["web"]]) != 3 || len(rec.removed[tg["VIP"]]) != 2 {
			t.Errorf("watchers told of untagging: added %v, removed %v", rec.added, rec.removed)
		}
		for _, id := range l {
			if _, err := svc.TagLeads(w.ctx, []uuid.UUID{id}, []uuid.UUID{tg["web"]}, nil, ""); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = svc.TagLeads(w.ctx, l[:2], []uuid.UUID{tg["VIP"]}, nil, "")
		for i, id := range l {
			got := w.edges(t, id)
			want := map[uuid.UUID]bool{tg["低"]: true, tg["web"]: true}
			if i < 2 {
				want[tg["ad"]], want[tg["VIP"]] = true, true
			}
			if len(got) != len(want) {
				t.Errorf("lead %d tags %v; want %v", i, got, want)
			}
			for id := range want {
				if !got[id] {
					t.Errorf("lead %d lacks %s", i, id)
				}
			}
		}
		// Re-tagging with the tag already there changes nothing.
		before := w.digest(t)
		if affected, err := tagging.New(w.c, nil).TagLeads(w.ctx, l, []uuid.UUID{tg["低"]}, nil, ""); err != nil || affected != 0 {
			t.Errorf("re-tag = %d, %v", affected, err)
		}
		if w.digest(t) != before {
			t.Error("a re-tag that changed nothing wrote")
		}
	})

	t.Run("the same tag twice is fine", func(t *testing.T) {
		t.Parallel()
		w, tg := setup(t)
		l := w.leads(t, 1)
		if affected, err := tagging.New(w.c, nil).TagLeads(w.ctx, l, []uuid.UUID{tg["中"], tg["中"]}, nil, ""); err != nil || affected != 1 {
			t.Errorf("tag = %d, %v; want 1", affected, err)
		}
	})

	t.Run("two tags of one exclusive group in one call", func(t *testing.T) {
		t.Parallel()
		w, tg := setup(t)
		l := w.leads(t, 2)
		before := w.digest(t)
		_, err := tagging.New(w.c, nil).TagLeads(w.ctx, l, []uuid.UUID{tg["web"], tg["高"], tg["ad"], tg["低"]}, nil, "")
		wantErr(t, err, apperr.BadInput, "tagIDs[3]")
		if !errors.Is(err, tagging.ErrExclusive) {
			t.Errorf("err = %v; want ErrExclusive", err)
		}
		if w.digest(t) != before {
			t.Error("a refused TagLeads wrote")
		}
		// Untagging several of one group is fine.
		if _, err := tagging.New(w.c, nil).UntagLeads(w.ctx, l, []uuid.UUID{tg["高"], tg["低"]}); err != nil {
			t.Error(err)
		}
	})

	t.Run("concurrent taggers leave one tag of the group", func(t *testing.T) {
		t.Parallel()
		w, tg := setup(t)
		l := w.leads(t, 20)
		choices := []uuid.UUID{tg["高"], tg["中"], tg["低"]}
		var wg sync.WaitGroup
		errs := make(chan error, 12)
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Overlapping, shuffled lead sets: each call locks in id order.
				batch := append([]uuid.UUID(nil), l...)
				rand.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
				_, err := tagging.New(w.c, nil).TagLeads(w.ctx, batch[:15], []uuid.UUID{choices[i%3], tg["web"]}, nil, "RULE")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range l {
			got := w.edges(t, id)
			n := 0
			for _, c := range choices {
				if got[c] {
					n++
				}
			}
			if n > 1 {
				t.Errorf("lead %s carries %d tags of the exclusive group", id, n)
			}
		}
	})
}

func TestTaggingRefusals(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	other := newWorkspace(t, db)
	otherLead := other.leads(t, 1)[0]
	otherTag := other.tags(t, "theirs")[0]

	type args struct {
		leads, tags []uuid.UUID
		actor       *uuid.UUID
		source      string
		ctx         context.Context
	}
	tests := []struct {
		name    string
		args    func(w *ws, leads, tags []uuid.UUID) args
		code    apperr.Code
		field   string
		tagOnly bool // the check exists only in TagLeads
	}{
		{"no leads", func(_ *ws, _, tags []uuid.UUID) args { return args{tags: tags} }, apperr.BadInput, "leadIDs", false},
		{"10001 leads", func(_ *ws, _, tags []uuid.UUID) args { return args{leads: randomIDs(10001), tags: tags} }, apperr.BadInput, "leadIDs", false},
		// 10000 passes the size check and fails on existence, before any write.
		{"10000 unknown leads", func(_ *ws, _, tags []uuid.UUID) args { return args{leads: randomIDs(10000), tags: tags} }, apperr.NotFound, "leadIDs[0]", false},
		{"no tags", func(_ *ws, leads, _ []uuid.UUID) args { return args{leads: leads} }, apperr.BadInput, "tagIDs", false},
		{"101 tags", func(_ *ws, leads, _ []uuid.UUID) args { return args{leads: leads, tags: randomIDs(101)} }, apperr.BadInput, "tagIDs", false},
		{"an unknown lead", func(_ *ws, leads, tags []uuid.UUID) args {
			return args{leads: []uuid.UUID{leads[0], leads[1], leads[2], gid.New(gid.Lead)}, tags: tags}
		}, apperr.NotFound, "leadIDs[3]", false},
		{"another workspace's lead", func(_ *ws, leads, tags []uuid.UUID) args {
			return args{leads: []uuid.UUID{leads[0], leads[1], otherLead}, tags: tags}
		}, apperr.NotFound, "leadIDs[2]", false},
		{"another workspace's tag", func(_ *ws, leads, tags []uuid.UUID) args {
			return args{leads: leads, tags: []uuid.UUID{tags[0], otherTag}}
		}, apperr.NotFound, "tagIDs[1]", false},
		{"a lead outside the viewer's scope", func(w *ws, leads, tags []uuid.UUID) args {
			v := &auth.Viewer{TenantID: w.id, UserID: w.admin, Roles: []string{"rep"}, LeadScopes: []string{policy.ScopeOwn}}
			return args{leads: leads, tags: tags, ctx: auth.NewContext(w.ctx, v)}
		}, apperr.Forbidden, "leadIDs[0]", false},
		{"unknown source", func(_ *ws, leads, tags []uuid.UUID) args { return args{leads: leads, tags: tags, source: "manual"} }, apperr.BadInput, "source", true},
		{"unknown actor", func(_ *ws, leads, tags []uuid.UUID) args {
			return args{leads: leads, tags: tags, actor: ptr(gid.New(gid.User))}
		}, apperr.NotFound, "actorID", true},
		{"another workspace's actor", func(_ *ws, leads, tags []uuid.UUID) args {
			return args{leads: leads, tags: tags, actor: &other.admin}
		}, apperr.NotFound, "actorID", true},
	}
	for _, tt := range tests {
		for _, op := range []string{"TagLeads", "UntagLeads"} {
			if tt.tagOnly && op == "UntagLeads" {
				continue
			}
			t.Run(op+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				w := newWorkspace(t, db)
				leads, tags := w.leads(t, 4), w.tags(t, "x", "y")
				// Existing edges, so a wrongly run untag would show.
				if _, err := tagging.New(w.c, nil).TagLeads(w.ctx, leads, tags, nil, ""); err != nil {
					t.Fatal(err)
				}
				a := tt.args(w, leads, tags)
				if a.ctx == nil {
					a.ctx = w.ctx
				}
				before, otherBefore := w.digest(t), other.digest(t)
				var err error
				if op == "TagLeads" {
					_, err = tagging.New(w.c, nil).TagLeads(a.ctx, a.leads, a.tags, a.actor, a.source)
				} else {
					_, err = tagging.New(w.c, nil).UntagLeads(a.ctx, a.leads, a.tags)
				}
				wantErr(t, err, tt.code, tt.field)
				if w.digest(t) != before || other.digest(t) != otherBefore {
					t.Error("a refused call wrote")
				}
			})
		}
	}
	t.Run("without a tenant", func(t *testing.T) {
		t.Parallel()
		_, err := tagging.New(db.Client, nil).TagLeads(context.Background(), []uuid.UUID{otherLead}, []uuid.UUID{otherTag}, nil, "")
		wantNoTenant(t, err)
		_, err = tagging.New(db.Client, nil).UntagLeads(context.Background(), []uuid.UUID{otherLead}, []uuid.UUID{otherTag})
		wantNoTenant(t, err)
	})
	t.Run("inside the caller's transaction", func(t *testing.T) {
		t.Parallel()
		w := newWorkspace(t, db)
		leads, tags := w.leads(t, 3), w.tags(t, "x")
		before := w.digest(t)
		tx, err := w.c.Tx(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := tagging.New(tx.Client(), nil).TagLeads(w.ctx, leads, tags, nil, ""); err != nil || n != 3 {
			t.Fatalf("tag in tx = %d, %v", n, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if w.digest(t) != before {
			t.Error("the rolled-back tagging is still there")
		}
	})
}

func randomIDs(n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = gid.New(gid.Lead)
	}
	return ids
}

// recorder is a tagging.Watcher that keeps what it was told.
type recorder struct{ added, removed map[uuid.UUID][]uuid.UUID }

func (r *recorder) TagsAdded(_ context.Context, m map[uuid.UUID][]uuid.UUID) error {
	r.added = m
	return nil
}

func (r *recorder) TagsRemoved(_ context.Context, m map[uuid.UUID][]uuid.UUID) error {
	r.removed = m
	return nil
}
