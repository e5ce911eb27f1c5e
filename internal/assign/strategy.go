package assign

import (
	"slices"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/assignmentrule"
)

// decide routes each locked lead, in lead-number order. Every assignment
// counts towards its rep's load and daily total before the next lead is
// decided, so a batch never overfills a rep.
func (b *batch) decide(leads []*candidate) {
	for _, l := range leads {
		r := b.ruleOf[l.id]
		if r == nil {
			b.out.Pooled = append(b.out.Pooled, l.id)
			continue
		}
		b.deciding = b.exclude[l.id]
		if u, ok := b.pick(r, l); ok {
			rp := b.reps[u]
			if l.open {
				rp.open++
			}
			rp.today[r.id]++
			b.assigned = append(b.assigned, decision{lead: l, rule: r, to: u})
			b.out.Assigned[l.id] = u
			continue
		}
		b.out.Pooled = append(b.out.Pooled, l.id)
		if r.fallback != nil && !sameID(r.fallback, l.pool) {
			b.fallbacks = append(b.fallbacks, decision{lead: l, rule: r, to: *r.fallback})
		}
	}
}

// pick returns the rep rule r gives lead l, if any is eligible.
func (b *batch) pick(r *rule, l *candidate) (uuid.UUID, bool) {
	switch r.strategy {
	case assignmentrule.StrategyROUND_ROBIN:
		return b.roundRobin(r)
	case assignmentrule.StrategyWEIGHTED:
		return b.weighted(r)
	case assignmentrule.StrategyLEAST_LOADED:
		return b.leastLoaded(r)
	case assignmentrule.StrategySCORE_TIER:
		return b.scoreTier(r, l)
	case assignmentrule.StrategyORIGINAL_OWNER:
		return b.originalOwner(r, l)
	case assignmentrule.StrategyTERRITORY:
		return b.territory(r, l)
	}
	return uuid.Nil, false
}

// eligible reports whether rule r may give rep id one more lead: the rep is
// active, under capacity and under the rule's daily cap.
func (b *batch) eligible(r *rule, id uuid.UUID) bool {
	u := b.reps[id]
	return u != nil && u.active && u.open < u.capacity && (b.deciding == uuid.Nil || id != b.deciding) &&
		(r.dailyCap == 0 || u.today[r.id] < r.dailyCap)
}

// candidates returns the targets of r that are active users, by user id.
func (b *batch) candidates(r *rule) []*target {
	out := make([]*target, 0, len(r.targets))
	for _, t := range r.targets {
		if u := b.reps[t.user]; u != nil && u.active {
			out = append(out, t)
		}
	}
	return out
}

// roundRobin takes the first eligible candidate from the rule's cursor on
// and moves the cursor past it. The cursor lives on the locked rule row, so
// rounds continue where the last batch of any process left them.
func (b *batch) roundRobin(r *rule) (uuid.UUID, bool) {
	cs := b.candidates(r)
	n := len(cs)
	start := cursorAt(r.cursor, n)
	for i := range n {
		j := (start + i) % n
		if b.eligible(r, cs[j].user) {
			r.cursor, r.moved = int64((j+1)%n), true
			return cs[j].user, true
		}
	}
	return uuid.Nil, false
}

// weighted is nginx's smooth weighted round robin over the eligible
// targets: each gains its weight, the one with the most current wins and
// pays back the total. Over any run of leads the shares are exact to
// within one lead, and picks of a heavy rep are spread out, not bunched.
func (b *batch) weighted(r *rule) (uuid.UUID, bool) {
	var total int64
	var best *target
	for _, t := range r.targets {
		if !b.eligible(r, t.user) {
			continue
		}
		t.current += t.weight
		total += t.weight
		if best == nil || t.current > best.current {
			best = t
		}
	}
	if best == nil {
		return uuid.Nil, false
	}
	best.current -= total
	r.stepped = true
	return best.user, true
}

// leastLoaded takes the eligible candidate with the fewest open leads; ties
// go to the first from the rule's cursor on, which then moves past it.
func (b *batch) leastLoaded(r *rule) (uuid.UUID, bool) {
	cs := b.candidates(r)
	n := len(cs)
	start := cursorAt(r.cursor, n)
	best := -1
	for i := range n {
		j := (start + i) % n
		if !b.eligible(r, cs[j].user) {
			continue
		}
		if best < 0 || b.reps[cs[j].user].open < b.reps[cs[best].user].open {
			best = j
		}
	}
	if best < 0 {
		return uuid.Nil, false
	}
	r.cursor, r.moved = int64((best+1)%n), true
	return cs[best].user, true
}

// scoreTier ranks the candidates by conversion rate and splits the ranking
// into four buckets for lead tiers A to D (no tier counts as D). The lead
// goes to the least-loaded eligible rep of its bucket, else of the nearest
// better bucket, and so on up, then of the worse buckets, nearest first.
func (b *batch) scoreTier(r *rule, l *candidate) (uuid.UUID, bool) {
	ranked := b.ranking(r)
	n := len(ranked)
	for _, k := range bucketOrder(tierBucket(l.tier)) {
		if u, ok := b.leastLoadedOf(r, ranked[k*n/4:(k+1)*n/4]); ok {
			return u, true
		}
	}
	return uuid.Nil, false
}

// ranking returns r's candidates best converter first. A rep with history
// (leads received in the window) ranks by deals ÷ leads received; reps
// without rank after all others; ties go by user id.
func (b *batch) ranking(r *rule) []uuid.UUID {
	if r.ranked {
		return r.ranking
	}
	cs := b.candidates(r)
	ids := make([]uuid.UUID, len(cs))
	for i, t := range cs {
		ids[i] = t.user
	}
	slices.SortStableFunc(ids, func(x, y uuid.UUID) int {
		a, c := b.reps[x], b.reps[y]
		if (a.received > 0) != (c.received > 0) {
			if a.received > 0 {
				return -1
			}
			return 1
		}
		if a.received > 0 {
			// a.won/a.received > c.won/c.received, without division.
			if d := c.won*a.received - a.won*c.received; d != 0 {
				return d
			}
		}
		return compareIDs(x, y)
	})
	r.ranking, r.ranked = ids, true
	return ids
}

// tierBucket is the bucket of a lead tier: A is 0, D (or none) is 3.
func tierBucket(tier string) int {
	switch tier {
	case "A":
		return 0
	case "B":
		return 1
	case "C":
		return 2
	}
	return 3
}

// bucketOrder is the order SCORE_TIER tries buckets for a lead of bucket k:
// its own, the better ones nearest first, then the worse ones nearest first.
func bucketOrder(k int) []int {
	out := make([]int, 0, 4)
	for i := k; i >= 0; i-- {
		out = append(out, i)
	}
	for i := k + 1; i < 4; i++ {
		out = append(out, i)
	}
	return out
}

// leastLoadedOf returns the eligible rep of ids with the fewest open leads,
// the earliest in ids on a tie.
func (b *batch) leastLoadedOf(r *rule, ids []uuid.UUID) (uuid.UUID, bool) {
	var best *rep
	for _, id := range ids {
		if b.eligible(r, id) && (best == nil || b.reps[id].open < best.open) {
			best = b.reps[id]
		}
	}
	if best == nil {
		return uuid.Nil, false
	}
	return best.id, true
}

// originalOwner gives a referral to its referrer's current owner and a
// returning lead to its most recent owner (转介绍分原CC). The rule's targets
// play no part: the original owner is the only candidate, and must be
// eligible under the rule's cap and the rep's capacity.
func (b *batch) originalOwner(r *rule, l *candidate) (uuid.UUID, bool) {
	u, ok := b.original[l.id]
	if !ok || !b.eligible(r, u) {
		return uuid.Nil, false
	}
	return u, true
}

// territory gives the lead to the least-loaded eligible rep attached to its
// territory — limited to the rule's targets when it has some. Reps attached
// to the territory itself come first; only when none is eligible do reps of
// the territory above it get a turn, and so on up the tree.
func (b *batch) territory(r *rule, l *candidate) (uuid.UUID, bool) {
	if l.territory == nil {
		return uuid.Nil, false
	}
	allowed := b.targetSet(r)
	var best *rep
	depth := 0
	for _, tr := range b.territories[*l.territory] { // most specific first
		if best != nil && tr.depth < depth {
			break
		}
		if allowed != nil && !allowed[tr.user] || !b.eligible(r, tr.user) {
			continue
		}
		if u := b.reps[tr.user]; best == nil || u.open < best.open {
			best, depth = u, tr.depth
		}
	}
	if best == nil {
		return uuid.Nil, false
	}
	return best.id, true
}

// targetSet returns r's target users as a set, or nil when r has none.
func (b *batch) targetSet(r *rule) map[uuid.UUID]bool {
	if len(r.targets) == 0 || r.allowed != nil {
		return r.allowed
	}
	r.allowed = make(map[uuid.UUID]bool, len(r.targets))
	for _, t := range r.targets {
		r.allowed[t.user] = true
	}
	return r.allowed
}

// cursorAt is where a round starts among n candidates.
func cursorAt(cursor int64, n int) int {
	if n == 0 {
		return 0
	}
	return int((cursor%int64(n) + int64(n)) % int64(n))
}
