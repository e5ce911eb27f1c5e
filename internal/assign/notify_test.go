package assign_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/internal/notices"
)

// delivered records the notification ids queued for delivery.
type delivered struct{ ids []uuid.UUID }

func (d *delivered) DeliverNotifications(_ context.Context, _ uuid.UUID, ids []uuid.UUID) error {
	d.ids = append(d.ids, ids...)
	return nil
}

// TestRepsAreToldOfTheirNewLeads: an assignment run tells each rep once of
// the leads it got (the lead's name when one, the number when several) and
// queues the delivery in the batch's transaction; a lead moved to a
// fallback pool tells nobody; a reassignment tells the new rep.
func TestRepsAreToldOfTheirNewLeads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.rep(t, "A", repSpec{}), f.rep(t, "B", repSpec{})
	f.rule(t, ruleSpec{name: "rr", strategy: assignmentrule.StrategyROUND_ROBIN, targets: []uuid.UUID{a, b}})
	ids := f.leads(t, 3, nil)
	d := &delivered{}
	e := f.engine(nil)
	e.Notify = d
	res := f.run(t, e, ids)
	got := counts(res)
	if got[a]+got[b] != 3 || got[a] == got[b] {
		t.Fatalf("assigned %v", got)
	}
	one, two := a, b
	if got[a] == 2 {
		one, two = b, a
	}
	notes := func(u uuid.UUID) []string {
		ns, err := f.c.Notification.Query().Where(notification.UserID(u), notification.Kind(notices.KindAssigned)).
			Order(notification.ByCreatedAt(), notification.ByID()).All(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			lead := "-"
			if n.LeadID != nil {
				lead = f.lead(t, *n.LeadID).Name
			}
			out = append(out, n.Message+" "+lead)
			if !slices.Contains(d.ids, n.ID) {
				t.Errorf("notification %s was not queued for delivery", n.ID)
			}
		}
		return out
	}
	var single uuid.UUID
	for id, rep := range res.Assigned {
		if rep == one {
			single = id
		}
	}
	name := f.lead(t, single).Name
	if n := notes(one); len(n) != 1 || n[0] != "线索「"+name+"」已分配给你（分配规则）。 "+name {
		t.Errorf("the rep with one lead was told %q", n)
	}
	if n := notes(two); len(n) != 1 || n[0] != "2 条线索已分配给你（分配规则）。 -" {
		t.Errorf("the rep with two leads was told %q", n)
	}
	if len(d.ids) != 2 {
		t.Errorf("queued %d deliveries, want 2", len(d.ids))
	}

	// Taken from its rep and given to the other: the new rep is told (a
	// minute later, so that the notifications sort by time).
	f.clock.Advance(time.Minute)
	if _, err := e.Reassign(f.ctx, []uuid.UUID{single}, true, "journey: 二次分配"); err != nil {
		t.Fatal(err)
	}
	if n := notes(two); len(n) != 2 || n[1] != "线索「"+name+"」已分配给你（重新分配）。 "+name {
		t.Errorf("after the reassignment the new rep was told %q", n)
	}
	if n := notes(one); len(n) != 1 {
		t.Errorf("the former rep was told %q", n)
	}
}
