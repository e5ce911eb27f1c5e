package funnel_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/delivery"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/funnel"
	"github.com/scrmhq/scrm/internal/rules/rulestest"
	"github.com/scrmhq/scrm/internal/testenv"
)

// The period the tests report on.
var (
	from = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to   = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
)

// The facts of one lead, as written to the database; the expected numbers
// are computed from these in Go, never by reading the database back.
type leadFacts struct {
	id        uuid.UUID
	created   time.Time
	status    lead.Status
	source    string
	owner     *uuid.UUID
	territory *uuid.UUID
	// initial is the stage the lead was created in; moves are its stage
	// changes in time order.
	initial    *uuid.UUID
	moves      []move
	deliveries []deliveryFacts
	changes    []ownerChange
	followUps  []followUpFacts
	deals      []dealFacts
}

type move struct {
	to uuid.UUID
	at time.Time
}

type deliveryFacts struct {
	id, broadcast            uuid.UUID
	channel                  string
	status                   delivery.Status
	sent, delivered, replied *time.Time
}

type ownerChange struct {
	to   *uuid.UUID
	kind ownerchange.Kind
	at   time.Time
}

type followUpFacts struct {
	outcome *followup.Outcome
	at      time.Time
}

type dealFacts struct {
	owner  *uuid.UUID
	cents  int64
	closed time.Time
	flag   bool
}

// world is a workspace with reps, teams, territories, stages mapped onto
// the funnel, broadcasts and the leads written into it.
type world struct {
	w *rulestest.Workspace
	// reps: rep1 and rep2 in team A (managed by rep1), rep3 in team B, and
	// the admin, who has no team.
	rep1, rep2, rep3 uuid.UUID
	team             map[uuid.UUID]uuid.UUID
	territories      []uuid.UUID
	stages           map[string]uuid.UUID
	// step is the funnel rank of each mapped stage (0 LISTED … 5 REPURCHASE).
	step       map[uuid.UUID]int
	broadcasts []broadcastFacts
	leads      []*leadFacts
}

type broadcastFacts struct {
	id      uuid.UUID
	channel string
}

func ptr[T any](v T) *T { return &v }

// must returns v, or panics with err: fixture writes that fail leave
// nothing to test.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// newWorld provisions a workspace with the people, places, stages and
// broadcasts the leads refer to.
func newWorld(t testing.TB, db *testenv.Database) *world {
	t.Helper()
	w := rulestest.NewWorkspace(t, db)
	c, ctx := w.C, w.Ctx
	wd := &world{w: w, team: map[uuid.UUID]uuid.UUID{}, stages: map[string]uuid.UUID{}, step: map[uuid.UUID]int{}}
	user := func(name string) uuid.UUID {
		return must(c.User.Create().SetName(name).SetEmail(name + "@example.test").SetPasswordHash("x").
			SetRoles([]string{"rep"}).Save(ctx)).ID
	}
	wd.rep1, wd.rep2, wd.rep3 = user("rep1"), user("rep2"), user("rep3")
	teamA := must(c.Team.Create().SetName("A").SetManagerID(wd.rep1).Save(ctx)).ID
	teamB := must(c.Team.Create().SetName("B").Save(ctx)).ID
	for u, tm := range map[uuid.UUID]uuid.UUID{wd.rep1: teamA, wd.rep2: teamA, wd.rep3: teamB} {
		must(c.User.UpdateOneID(u).SetTeamID(tm).Save(ctx))
		wd.team[u] = tm
	}
	for _, n := range []string{"north", "south"} {
		wd.territories = append(wd.territories, must(c.Territory.Create().SetName(n).Save(ctx)).ID)
	}
	// A second pipeline maps stages onto DELIVERED and REPURCHASE, which
	// the default one does not use.
	vip := must(c.Pipeline.Create().SetName("VIP").Save(ctx))
	for i, s := range []struct {
		key  string
		step stage.FunnelStep
	}{{"vip-reached", stage.FunnelStepDELIVERED}, {"vip-again", stage.FunnelStepREPURCHASE}} {
		must(c.Stage.Create().SetPipelineID(vip.ID).SetKey(s.key).SetName(s.key).SetPosition(i).
			SetFunnelStep(s.step).Save(ctx))
	}
	for _, s := range must(c.Stage.Query().All(ctx)) {
		wd.stages[s.Key] = s.ID
		if s.FunnelStep != nil {
			wd.step[s.ID] = slices.Index(funnel.Steps, funnel.Step(*s.FunnelStep))
		}
	}
	if len(wd.stages) != 8 || wd.step[wd.stages["intent"]] != 3 || wd.step[wd.stages["won"]] != 4 {
		t.Fatalf("unexpected stages %v / %v", wd.stages, wd.step)
	}
	seg := must(c.Segment.Create().SetName("everyone").SetRule(schematype.SegmentRule{}).Save(ctx))
	for i, ch := range []string{"sms", "sms", "webhook", "email"} {
		b := must(c.Broadcast.Create().SetName(fmt.Sprintf("b%d", i)).SetSegmentID(seg.ID).SetChannel(ch).
			SetTemplate("hi").SetScheduledAt(from).Save(ctx))
		wd.broadcasts = append(wd.broadcasts, broadcastFacts{id: b.ID, channel: ch})
	}
	return wd
}

// write stores leads and their facts, filling in the generated ids.
func (wd *world) write(t testing.TB, leads []*leadFacts) {
	t.Helper()
	c, ctx := wd.w.C, wd.w.Ctx
	ids := wd.w.Leads(t, len(leads), func(i int, q *ent.LeadCreate) {
		l := leads[i]
		q.SetCreatedAt(l.created).SetUpdatedAt(l.created).SetStatus(l.status).SetSource(l.source).
			SetNillableOwnerID(l.owner).SetNillableTerritoryID(l.territory)
		// The lead is in its last stage; the first move says where it began.
		cur := l.initial
		if len(l.moves) > 0 {
			cur = &l.moves[len(l.moves)-1].to
		}
		if cur != nil {
			q.SetStageID(*cur)
		} else {
			q.SetStageID(wd.stages["new"]) // cleared below
		}
	})
	var stageless []uuid.UUID
	var moves []*ent.StageChangeCreate
	var changes []*ent.OwnerChangeCreate
	var fus []*ent.FollowUpCreate
	var dls []*ent.DeliveryCreate
	var dlFacts []*deliveryFacts // dls' facts, to fill in their ids
	var deals []*ent.DealCreate
	for i, l := range leads {
		l.id = ids[i]
		prev := l.initial
		if prev == nil && len(l.moves) == 0 {
			stageless = append(stageless, l.id)
		}
		for _, m := range l.moves {
			moves = append(moves, c.StageChange.Create().SetLeadID(l.id).SetNillableFromID(prev).SetToID(m.to).SetAt(m.at))
			prev = &m.to
		}
		for _, oc := range l.changes {
			changes = append(changes, c.OwnerChange.Create().SetLeadID(l.id).SetNillableToUserID(oc.to).
				SetKind(oc.kind).SetBy(ownerchange.ByUSER).SetAt(oc.at))
		}
		for _, f := range l.followUps {
			fus = append(fus, c.FollowUp.Create().SetLeadID(l.id).SetKind(followup.KindCALL).
				SetNillableOutcome(f.outcome).SetCreatedAt(f.at).SetUpdatedAt(f.at))
		}
		for j, d := range l.deliveries {
			dlFacts = append(dlFacts, &l.deliveries[j])
			dls = append(dls, c.Delivery.Create().SetBroadcastID(d.broadcast).SetLeadID(l.id).SetStatus(d.status).
				SetNillableSentAt(d.sent).SetNillableDeliveredAt(d.delivered).SetNillableRepliedAt(d.replied))
		}
		for _, d := range l.deals {
			deals = append(deals, c.Deal.Create().SetLeadID(l.id).SetNillableOwnerID(d.owner).
				SetAmount(float64(d.cents)/100).SetClosedAt(d.closed).SetRepurchase(d.flag))
		}
	}
	if len(stageless) > 0 {
		must(c.Lead.Update().Where(lead.IDIn(stageless...)).ClearStageID().Save(ctx))
	}
	for chunk := range slices.Chunk(moves, 1000) {
		must(c.StageChange.CreateBulk(chunk...).Save(ctx))
	}
	for chunk := range slices.Chunk(changes, 1000) {
		must(c.OwnerChange.CreateBulk(chunk...).Save(ctx))
	}
	for chunk := range slices.Chunk(fus, 1000) {
		must(c.FollowUp.CreateBulk(chunk...).Save(ctx))
	}
	// Delivery ids take part in the CHANNEL tie-break, so keep them.
	for i, chunk := range slices.Collect(slices.Chunk(dls, 1000)) {
		for j, d := range must(c.Delivery.CreateBulk(chunk...).Save(ctx)) {
			dlFacts[i*1000+j].id = d.ID
		}
	}
	for chunk := range slices.Chunk(deals, 1000) {
		must(c.Deal.CreateBulk(chunk...).Save(ctx))
	}
	wd.leads = append(wd.leads, leads...)
}

// generate makes n leads with random facts from seed: timestamps before,
// inside and after the period, exactly on its bounds too.
func (wd *world) generate(seed uint64, n int) []*leadFacts {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(p float64) bool { return r.Float64() < p }
	minutes := func(lo, hi time.Time) time.Time {
		span := int64(hi.Sub(lo) / time.Minute)
		return lo.Add(time.Duration(r.Int64N(span)) * time.Minute)
	}
	// at is an event time after t: mostly within 50 days, sometimes exactly
	// on one of the period's bounds.
	at := func(t time.Time) time.Time {
		if pick(0.05) && t.Before(from) {
			return from
		}
		if pick(0.04) && t.Before(to) {
			return to
		}
		return minutes(t, t.Add(50*24*time.Hour))
	}
	reps := []uuid.UUID{wd.rep1, wd.rep2, wd.rep3, wd.w.Admin}
	var stageIDs []uuid.UUID
	for _, id := range wd.stages {
		stageIDs = append(stageIDs, id)
	}
	slices.SortFunc(stageIDs, func(a, b uuid.UUID) int { return cmp.Compare(a.String(), b.String()) })
	outcomes := []followup.Outcome{followup.OutcomeCONNECTED, followup.OutcomeINTERESTED, followup.OutcomeNOT_INTERESTED,
		followup.OutcomeNO_ANSWER, followup.OutcomeBUSY, followup.OutcomeWRONG_NUMBER, followup.OutcomeCALLBACK}
	statuses := []delivery.Status{delivery.StatusPENDING, delivery.StatusSUPPRESSED_DND, delivery.StatusSUPPRESSED_BLACKLIST,
		delivery.StatusSUPPRESSED_CAP, delivery.StatusUNREACHABLE, delivery.StatusSENDING, delivery.StatusSENT,
		delivery.StatusDELIVERED, delivery.StatusFAILED, delivery.StatusREPLIED}
	receive := []ownerchange.Kind{ownerchange.KindCLAIM, ownerchange.KindASSIGN, ownerchange.KindAUTO_ASSIGN}
	out := make([]*leadFacts, n)
	for i := range out {
		l := &leadFacts{status: lead.StatusACTIVE}
		switch x := r.Float64(); {
		case x < 0.04:
			l.created = from
		case x < 0.08:
			l.created = to
		default:
			l.created = minutes(from.Add(-20*24*time.Hour), to.Add(10*24*time.Hour))
		}
		switch x := r.Float64(); {
		case x < 0.07:
			l.status = lead.StatusMERGED
		case x < 0.14:
			l.status = lead.StatusARCHIVED
		}
		l.source = []string{"ads", "ads", "referral", "event", ""}[r.IntN(5)]
		if k := r.IntN(5); k < len(reps) {
			l.owner = &reps[k]
		}
		if k := r.IntN(3); k < len(wd.territories) {
			l.territory = &wd.territories[k]
		}
		switch x := r.Float64(); {
		case x < 0.55:
			l.initial = ptr(wd.stages["new"])
		case x < 0.65:
			l.initial = ptr(wd.stages["contacted"])
		case x < 0.75:
			l.initial = ptr(wd.stages["intent"])
		case x < 0.8:
			l.initial = ptr(wd.stages["won"])
		case x < 0.85:
			l.initial = ptr(wd.stages["vip-reached"])
		case x < 0.9:
			l.initial = ptr(wd.stages["lost"])
		}
		t := l.created
		for range r.IntN(4) {
			t = at(t).Add(time.Minute) // strictly after the previous move
			l.moves = append(l.moves, move{to: stageIDs[r.IntN(len(stageIDs))], at: t})
		}
		// Ownership history: sometimes a first rep who lost the lead, then
		// the current owner's claim or assignment.
		if pick(0.3) {
			first := at(l.created)
			l.changes = append(l.changes,
				ownerChange{to: &reps[r.IntN(len(reps))], kind: receive[r.IntN(3)], at: first},
				ownerChange{kind: []ownerchange.Kind{ownerchange.KindRELEASE, ownerchange.KindRECYCLE}[r.IntN(2)], at: at(first)})
		}
		if l.owner != nil && pick(0.85) {
			l.changes = append(l.changes, ownerChange{to: l.owner, kind: receive[r.IntN(3)], at: at(l.created)})
		}
		for range r.IntN(4) {
			f := followUpFacts{at: at(l.created)}
			if k := r.IntN(len(outcomes) + 1); k < len(outcomes) {
				f.outcome = &outcomes[k]
			}
			l.followUps = append(l.followUps, f)
		}
		for _, b := range wd.broadcasts {
			if !pick(0.4) {
				continue
			}
			// Half the messages arrive, so leads get several: CHANNEL
			// must pick the first.
			d := deliveryFacts{broadcast: b.id, channel: b.channel, status: statuses[r.IntN(len(statuses))]}
			if pick(0.5) {
				d.status = []delivery.Status{delivery.StatusDELIVERED, delivery.StatusREPLIED}[r.IntN(2)]
			}
			sent := at(l.created)
			switch d.status {
			case delivery.StatusSENT, delivery.StatusFAILED:
				d.sent = &sent
			case delivery.StatusDELIVERED:
				d.sent, d.delivered = &sent, ptr(at(sent))
			case delivery.StatusREPLIED:
				d.sent = &sent
				if pick(0.8) { // some channels never confirm delivery
					d.delivered = ptr(at(sent))
					d.replied = ptr(at(*d.delivered))
				} else {
					d.replied = ptr(at(sent))
				}
			}
			l.deliveries = append(l.deliveries, d)
		}
		if pick(0.3) {
			for k := range 1 + r.IntN(3) {
				owner := l.owner
				if pick(0.3) {
					owner = &reps[r.IntN(len(reps))]
				}
				// flag is set in the order deals are entered, as CreateDeal
				// does; closing times are random, so it may disagree.
				l.deals = append(l.deals, dealFacts{owner: owner, cents: 100 + r.Int64N(5_000_000),
					closed: at(l.created), flag: k > 0})
			}
		}
		out[i] = l
	}
	return out
}

// ---------------------------------------------------------------- the model

// inCohort reports whether l belongs to the funnel of [from, to).
func inCohort(l *leadFacts) bool {
	return l.status != lead.StatusMERGED && !l.created.Before(from) && l.created.Before(to)
}

// reached is the furthest step l reached by to, from its facts.
func (wd *world) reached(l *leadFacts) int {
	step := 0
	raise := func(s int) { step = max(step, s) }
	before := func(t *time.Time) bool { return t != nil && t.Before(to) }
	for _, d := range l.deliveries {
		if (d.status == delivery.StatusDELIVERED || d.status == delivery.StatusREPLIED) && before(d.delivered) {
			raise(1)
		}
		if before(d.replied) {
			raise(2)
		}
	}
	assigned, contacted := false, false
	for _, oc := range l.changes {
		assigned = assigned || (oc.to != nil && oc.at.Before(to))
	}
	for _, f := range l.followUps {
		contacted = contacted || f.at.Before(to)
		if f.outcome != nil && (*f.outcome == followup.OutcomeCONNECTED || *f.outcome == followup.OutcomeINTERESTED) && f.at.Before(to) {
			raise(2)
		}
	}
	if assigned && contacted {
		raise(1)
	}
	if l.initial != nil {
		raise(wd.step[*l.initial])
	}
	for _, m := range l.moves {
		if m.at.Before(to) {
			raise(wd.step[m.to])
		}
	}
	closed := 0
	for _, d := range l.deals {
		if d.closed.Before(to) {
			closed++
		}
	}
	switch {
	case closed >= 2:
		raise(5)
	case closed == 1:
		raise(4)
	}
	return step
}

// key is l's group under by.
func (wd *world) key(l *leadFacts, by funnel.GroupBy) string {
	id := func(p *uuid.UUID, none string) string {
		if p == nil {
			return none
		}
		return p.String()
	}
	switch by {
	case funnel.ByNone:
		return ""
	case funnel.BySource:
		return cmp.Or(l.source, funnel.NoValue)
	case funnel.ByChannel:
		var first *deliveryFacts
		for i, d := range l.deliveries {
			if (d.status != delivery.StatusDELIVERED && d.status != delivery.StatusREPLIED) || d.delivered == nil || !d.delivered.Before(to) {
				continue
			}
			if first == nil || d.delivered.Before(*first.delivered) ||
				(d.delivered.Equal(*first.delivered) && d.id.String() < first.id.String()) {
				first = &l.deliveries[i]
			}
		}
		if first == nil {
			return funnel.NoValue
		}
		return first.channel
	case funnel.ByOwner:
		return id(l.owner, funnel.Unowned)
	case funnel.ByTeam:
		if l.owner == nil {
			return funnel.NoValue
		}
		if tm, ok := wd.team[*l.owner]; ok {
			return tm.String()
		}
		return funnel.NoValue
	case funnel.ByTerritory:
		return id(l.territory, funnel.NoValue)
	}
	panic("unknown grouping " + by)
}

// expectFunnel counts the cohort leads visible says the caller sees.
func (wd *world) expectFunnel(by funnel.GroupBy, visible func(*leadFacts) bool) map[string][6]int {
	out := map[string][6]int{}
	for _, l := range wd.leads {
		if !inCohort(l) || !visible(l) {
			continue
		}
		k := wd.key(l, by)
		counts := out[k]
		for s := range wd.reached(l) + 1 {
			counts[s]++
		}
		out[k] = counts
	}
	if by == funnel.ByNone && len(out) == 0 {
		out[""] = [6]int{}
	}
	return out
}

// expectLeaderboard computes every rep's line, ordered as the leaderboard
// orders them.
func (wd *world) expectLeaderboard(visible func(*leadFacts) bool) []funnel.RepStats {
	type line struct {
		received, won map[uuid.UUID]bool
		deals         int
		cents         int64
	}
	lines := map[uuid.UUID]*line{}
	get := func(u uuid.UUID) *line {
		if lines[u] == nil {
			lines[u] = &line{received: map[uuid.UUID]bool{}, won: map[uuid.UUID]bool{}}
		}
		return lines[u]
	}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	for _, l := range wd.leads {
		if l.status == lead.StatusMERGED || !visible(l) {
			continue
		}
		for _, oc := range l.changes {
			if oc.to != nil && in(oc.at) {
				get(*oc.to).received[l.id] = true
			}
		}
		for _, d := range l.deals {
			if d.owner != nil && in(d.closed) {
				ln := get(*d.owner)
				ln.deals++
				ln.cents += d.cents
				ln.won[l.id] = true
			}
		}
	}
	var out []funnel.RepStats
	for u, ln := range lines {
		rs := funnel.RepStats{UserID: u, Leads: len(ln.received), Deals: ln.deals, Amount: float64(ln.cents) / 100}
		for id := range ln.received {
			if ln.won[id] {
				rs.Converted++
			}
		}
		if rs.Leads > 0 {
			rs.Conversion = ptr(float64(rs.Converted) / float64(rs.Leads))
		}
		out = append(out, rs)
	}
	slices.SortFunc(out, func(a, b funnel.RepStats) int {
		return cmp.Or(cmp.Compare(b.Amount, a.Amount), cmp.Compare(b.Deals, a.Deals), cmp.Compare(b.Leads, a.Leads),
			cmp.Compare(a.UserID.String(), b.UserID.String()))
	})
	return out
}
