package pool_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/pool"
)

// TestConcurrentClaimsKeepCapacityAndHistory runs 100 claimers for 20 reps
// (5 each, capacity 40) against a pool of 1,000 leads, each claiming random
// batches of 1-10 ids until their rep is full. Capacity binds (20×40 < 1000),
// so every rep must end with exactly 40 leads, each claimed once.
func TestConcurrentClaimsKeepCapacityAndHistory(t *testing.T) {
	t.Parallel()
	const (
		reps, perRep, capacity, poolSize = 20, 5, 40, 1000
		maxCalls                         = 400 // per claimer; far more than needed
	)
	f := newFixture(t)
	ids := f.poolLeads(t, poolSize)
	repIDs := make([]uuid.UUID, reps)
	for i := range repIDs {
		repIDs[i] = f.rep(t, func(c *ent.UserCreate) { c.SetCapacity(capacity).SetDailyClaimLimit(100000) })
	}

	var (
		mu        sync.Mutex
		errs      []error
		conflicts int
		unknown   []pool.Failure
		claimedBy = map[uuid.UUID]uuid.UUID{}
		doubled   []uuid.UUID
	)
	var wg sync.WaitGroup
	for g := range reps * perRep {
		rep := repIDs[g%reps]
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range maxCalls {
				batch := make([]uuid.UUID, 1+rng.IntN(10))
				for i := range batch {
					batch[i] = ids[rng.IntN(poolSize)]
				}
				got, fails, err := f.svc.Claim(f.ctx, rep, batch)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				full := false
				for _, l := range got {
					if prev, ok := claimedBy[l.ID]; ok {
						doubled = append(doubled, l.ID, prev)
					}
					claimedBy[l.ID] = rep
					if l.OwnerID == nil || *l.OwnerID != rep {
						doubled = append(doubled, l.ID)
					}
				}
				for _, x := range fails {
					switch x.Code {
					case pool.CodeConflict:
						conflicts++
					case pool.CodeOverCapacity:
						full = true
					case pool.CodeAlreadyOwned:
					default:
						unknown = append(unknown, x)
					}
				}
				mu.Unlock()
				if full {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d claims failed, first: %v", len(errs), errs[0])
	}
	if len(unknown) > 0 {
		t.Fatalf("unexpected failures: %+v", unknown)
	}
	if len(doubled) > 0 {
		t.Fatalf("%d leads claimed twice or by the wrong rep, e.g. %v", len(doubled), doubled[0])
	}
	t.Logf("%d leads claimed, %d CONFLICT failures", len(claimedBy), conflicts)

	// Every rep is full and none is over capacity.
	owned, err := f.c.Lead.Query().Where(lead.OwnerIDNotNil()).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	perOwner := map[uuid.UUID]int{}
	for _, l := range owned {
		perOwner[*l.OwnerID]++
		if claimedBy[l.ID] != *l.OwnerID {
			t.Fatalf("lead %s is owned by %s, the service said %s claimed it", l.ID, *l.OwnerID, claimedBy[l.ID])
		}
	}
	for _, r := range repIDs {
		if perOwner[r] != capacity {
			t.Errorf("rep %s owns %d leads, want %d", r, perOwner[r], capacity)
		}
	}
	if len(owned) != reps*capacity {
		t.Fatalf("%d leads owned, want %d", len(owned), reps*capacity)
	}

	// Exactly one CLAIM per owned lead, to its owner, and none for others.
	claims, err := f.c.OwnerChange.Query().Where(ownerchange.KindEQ(ownerchange.KindCLAIM)).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != len(owned) {
		t.Fatalf("%d CLAIM rows for %d owned leads", len(claims), len(owned))
	}
	ownerOf := map[uuid.UUID]uuid.UUID{}
	for _, l := range owned {
		ownerOf[l.ID] = *l.OwnerID
	}
	perLead := map[uuid.UUID]int{}
	for _, c := range claims {
		perLead[c.LeadID]++
		if o, ok := ownerOf[c.LeadID]; !ok || c.ToUserID == nil || *c.ToUserID != o {
			t.Fatalf("CLAIM %+v does not match the lead's owner", c)
		}
	}
	for id := range ownerOf {
		if perLead[id] != 1 {
			t.Fatalf("lead %s has %d CLAIM rows", id, perLead[id])
		}
	}
}

// TestMixedWorkloadKeepsHistoryConsistent runs claims, releases, manager
// assignments and recycle passes at once, with the clock moving on, and
// checks that nothing fails (no deadlock outlives the retries), that no rep
// ends over capacity, and that every lead's owner changes chain up from the
// pool to its current owner: no move was lost or recorded twice.
func TestMixedWorkloadKeepsHistoryConsistent(t *testing.T) {
	t.Parallel()
	const nReps, capacity, poolSize = 8, 25, 300
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoFollowUpDays(1).SetRemindBeforeDays(1).SetProtectionDays(1) })
	ids := f.poolLeads(t, poolSize)
	reps := make([]uuid.UUID, nReps)
	for i := range reps {
		reps[i] = f.rep(t, func(c *ent.UserCreate) { c.SetCapacity(capacity) })
	}
	manager := f.admin

	var (
		mu                 sync.Mutex
		errs               []error
		recycled, reminded int
		notes              int
	)
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 24 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 11))
			for {
				select {
				case <-stop:
					return
				default:
				}
				batch := make([]uuid.UUID, 1+rng.IntN(6))
				for i := range batch {
					batch[i] = ids[rng.IntN(poolSize)]
				}
				rep := reps[rng.IntN(nReps)]
				var err error
				switch rng.IntN(4) {
				case 0, 1:
					_, _, err = f.svc.Claim(f.ctx, rep, batch)
				case 2:
					_, err = f.svc.Release(f.ctx, rep, batch, "mixed")
				case 3:
					to := &rep
					if rng.IntN(3) == 0 {
						to = nil
					}
					_, _, err = f.svc.Assign(f.ctx, manager, batch, to, "mixed")
				}
				if err != nil {
					record(err)
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := f.svc.Recycle(f.ctx, pool.RecycleOptions{BatchSize: 7})
				if err != nil {
					record(err)
					return
				}
				mu.Lock()
				recycled += len(res.Recycled)
				reminded += len(res.Reminded)
				notes += len(res.Notifications)
				mu.Unlock()
			}
		})
	}
	// The clock runs 6 days in 60 steps, so leads fall due while others move.
	for i := range 60 {
		f.at(time.Duration(i) * 144 * time.Minute)
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d calls failed, first: %v", len(errs), errs[0])
	}
	t.Logf("recycled %d, reminded %d", recycled, reminded)
	if recycled == 0 {
		t.Fatal("nothing was recycled: the workload did not exercise recycling")
	}

	leads, err := f.c.Lead.Query().All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := f.c.OwnerChange.Query().All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.c.OwnerChange.Query().Where(ownerchange.KindEQ(ownerchange.KindRECYCLE)).Count(f.ctx); err != nil || n != recycled {
		t.Fatalf("%d RECYCLE rows, the passes reported %d (%v)", n, recycled, err)
	}
	// The recycle passes' notifications (the assignments' lead.assigned ones aside).
	if n, err := f.c.Notification.Query().Where(notification.KindNEQ(notices.KindAssigned)).Count(f.ctx); err != nil || n != notes {
		t.Fatalf("%d notifications, the passes reported %d (%v)", n, notes, err)
	}
	// Per lead, out-degree minus in-degree of each owner (uuid.Nil: the
	// pool) over its changes must be +1 for the pool and -1 for the current
	// owner (both 0 when it is back in the pool): an unbroken chain.
	balance := map[uuid.UUID]map[uuid.UUID]int{}
	for _, c := range changes {
		b := balance[c.LeadID]
		if b == nil {
			b = map[uuid.UUID]int{}
			balance[c.LeadID] = b
		}
		b[deref(c.FromUserID)]++
		b[deref(c.ToUserID)]--
	}
	open := map[uuid.UUID]int{}
	for _, l := range leads {
		b := balance[l.ID]
		if b == nil {
			b = map[uuid.UUID]int{}
		}
		b[uuid.Nil]--
		b[deref(l.OwnerID)]++
		for u, n := range b {
			if n != 0 {
				t.Fatalf("lead %s (owner %v): the owner changes do not chain (user %s off by %d)", l.ID, l.OwnerID, u, n)
			}
		}
		if l.OwnerID != nil {
			open[*l.OwnerID]++
		}
	}
	for _, r := range reps {
		if open[r] > capacity {
			t.Errorf("rep %s owns %d leads, capacity %d", r, open[r], capacity)
		}
	}
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
