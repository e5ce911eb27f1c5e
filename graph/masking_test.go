package graph_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/clean"
)

// maskWorld is a workspace whose leads have a built-in phone and email and
// two contact-sensitive custom fields (mobile PHONE, mail EMAIL), in two
// states that differ only in what a masked viewer cannot see: the hidden
// middle digits of every phone and the hidden part of every mailbox.
type maskWorld struct {
	api    *apitest.API
	admin  string
	tokens map[string]string // viewer name → token; every viewer sees contacts masked
	// state[s][i] are lead i's phone, email, mobile and mail in state s.
	state [2][]contacts
	// savedSeg is a segment (made by the admin) that conditions on mobile.
	savedSeg string
}

type contacts struct{ phone, email, mobile, mail string }

func newMaskWorld(t *testing.T, r *rand.Rand, n int) *maskWorld {
	t.Helper()
	api := apitest.New(t)
	c, admin := api.Workspace("mask")
	w := &maskWorld{api: api, admin: admin, tokens: map[string]string{}}
	for _, f := range []map[string]any{
		{"entity": "LEAD", "key": "mobile", "label": "Mobile", "type": "PHONE"},
		{"entity": "LEAD", "key": "mail", "label": "Mail", "type": "EMAIL"},
		{"entity": "LEAD", "key": "city", "label": "City", "type": "TEXT"},
	} {
		api.MustDo(admin, `mutation($in: CreateFieldDefinitionInput!){ createFieldDefinition(input:$in){ id } }`, map[string]any{"in": f}, nil)
	}
	// Two states per lead: same visible head and tail, other hidden middles.
	mids := r.Perm(9000)
	for i := range n {
		tail := fmt.Sprintf("%04d", r.IntN(10000))
		local := fmt.Sprintf("u%c%05d", 'a'+rune(i%26), i)
		for s := range 2 {
			mid := fmt.Sprintf("%04d", 1000+mids[2*i+s])
			w.state[s] = append(w.state[s], contacts{
				phone:  "+86138" + mid + tail,
				mobile: "+86139" + mid + tail,
				email:  local[:1] + strings.Repeat(string(rune('k'+s)), 3) + local[1:] + "@mask.test",
				mail:   local[:1] + strings.Repeat(string(rune('p'+s)), 2) + local[1:] + "@mail.test",
			})
		}
		a, b := w.state[0][i], w.state[1][i]
		if clean.MaskPhone(a.phone) != clean.MaskPhone(b.phone) || clean.MaskEmail(a.email) != clean.MaskEmail(b.email) ||
			clean.MaskPhone(a.mobile) != clean.MaskPhone(b.mobile) || clean.MaskEmail(a.mail) != clean.MaskEmail(b.mail) {
			t.Fatalf("states of lead %d do not look the same masked: %+v %+v", i, a, b)
		}
	}
	rows := make([]map[string]any, n)
	for i, v := range w.state[0] {
		rows[i] = map[string]any{"externalID": fmt.Sprintf("m%d", i), "name": fmt.Sprintf("lead %d", i), "phone": v.phone, "email": v.email,
			"attributes": map[string]any{"mobile": v.mobile, "mail": v.mail, "city": []string{"sh", "bj"}[i%2]}}
	}
	var ing struct{ IngestLeads struct{ Created int } }
	api.MustDo(admin, `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ created } }`, map[string]any{"in": map[string]any{"leads": rows}}, &ing)
	if ing.IngestLeads.Created != n {
		t.Fatalf("created %d leads, want %d", ing.IngestLeads.Created, n)
	}

	// The viewers: an analyst (every lead, segments), a partner (its own
	// channel's leads), and a rep whose workspace revoked lead.contact.
	var p struct{ CreatePartner struct{ ID string } }
	api.MustDo(admin, `mutation{ createPartner(input:{name:"Channel"}){ id } }`, nil, &p)
	if _, err := api.DB.DB.Exec(`UPDATE leads SET partner_id = (SELECT id FROM partners WHERE name = 'Channel') WHERE tenant_id = $1`, c.Workspace.ID); err != nil {
		t.Fatal(err)
	}
	api.MustDo(admin, `mutation{ revokePermission(role:"rep", resource:"lead.contact", action:"read") }`, nil, nil)
	api.MustDo(admin, `mutation{ grantPermission(role:"rep", resource:"lead.scope", action:"all") }`, nil, nil)
	for _, u := range []struct {
		name    string
		partner string
	}{{"analyst", ""}, {"partner", p.CreatePartner.ID}, {"rep", ""}} {
		in := map[string]any{"name": u.name, "email": u.name + "@mask.test", "password": "password-" + u.name, "roles": []string{u.name}}
		if u.partner != "" {
			in["partnerID"] = u.partner
		}
		api.MustDo(admin, `mutation($in: CreateUserInput!){ createUser(input:$in){ id } }`, map[string]any{"in": in}, nil)
		w.tokens[u.name] = api.Login("mask", u.name+"@mask.test", "password-"+u.name)
	}

	var seg struct{ CreateSegment struct{ ID string } }
	api.MustDo(admin, `mutation($r: SegmentRuleInput!){ createSegment(input:{name:"by mobile", rule:$r}){ id } }`,
		map[string]any{"r": map[string]any{"attribute": map[string]any{"key": "mobile", "op": "IN", "value": []string{w.state[0][0].mobile, w.state[0][1].mobile}}}}, &seg)
	w.savedSeg = seg.CreateSegment.ID
	return w
}

// setState writes state s of every lead's contact values.
func (w *maskWorld) setState(t *testing.T, s int) {
	t.Helper()
	for i, v := range w.state[s] {
		if _, err := w.api.DB.DB.Exec(`UPDATE leads SET phone = $1, email = $2,
			attributes = attributes || jsonb_build_object('mobile', $3::text, 'mail', $4::text) WHERE external_id = $5`,
			v.phone, v.email, v.mobile, v.mail, fmt.Sprintf("m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
}

// probe is one request a masked viewer might use to learn a hidden value.
type probe struct {
	query     string
	vars      map[string]any
	sensitive bool // it names a contact field
}

// guess returns a contact value of kind k: a real one of state 0 (which a
// leak would match in state 0 only), a real one of state 1, or a fragment.
func (w *maskWorld) guess(r *rand.Rand, k string) any {
	c := w.state[r.IntN(2)][r.IntN(len(w.state[0]))]
	v := map[string]string{"phone": c.phone, "email": c.email, "mobile": c.mobile, "mail": c.mail}[k]
	switch r.IntN(5) {
	case 0:
		return v[3:9] // a fragment, for CONTAINS
	case 1:
		return []any{v, w.state[0][r.IntN(len(w.state[0]))].phone}
	}
	return v
}

var (
	compareOps   = []string{"EQ", "NEQ", "IN", "NOT_IN", "CONTAINS", "IS_EMPTY", "IS_NOT_EMPTY"}
	typedFilters = []string{"", "NEQ", "In", "NotIn", "IsNil", "NotNil"}
)

// where returns a random LeadWhereInput tree up to depth and whether it
// names a contact field.
func (w *maskWorld) where(r *rand.Rand, depth int) (map[string]any, bool) {
	if depth > 0 && r.IntN(3) == 0 {
		switch r.IntN(3) {
		case 0:
			n, s := w.where(r, depth-1)
			return map[string]any{"not": n}, s
		default:
			var list []any
			var s bool
			for range 1 + r.IntN(3) {
				n, ns := w.where(r, depth-1)
				list, s = append(list, n), s || ns
			}
			return map[string]any{[]string{"and", "or"}[r.IntN(2)]: list}, s
		}
	}
	switch r.IntN(7) {
	case 5: // the members of a segment that conditions on a contact field
		return map[string]any{"inSegment": w.savedSeg}, true
	case 0: // the built-in contact filters: exact by design
		k := []string{"phone", "email"}[r.IntN(2)]
		g := w.guess(r, k)
		if l, ok := g.([]any); ok {
			g = l[0]
		}
		return map[string]any{k: g}, true
	case 1, 2: // custom contact fields, generic
		k := []string{"mobile", "mail"}[r.IntN(2)]
		op := compareOps[r.IntN(len(compareOps))]
		p := map[string]any{"key": k, "op": op}
		if op != "IS_EMPTY" && op != "IS_NOT_EMPTY" {
			g := w.guess(r, k)
			if _, list := g.([]any); list != (op == "IN" || op == "NOT_IN") {
				g = w.guess(r, k)
			}
			p["value"] = g
		}
		return map[string]any{"attributes": []any{p}}, true
	case 3: // custom contact fields, typed
		k := []string{"mobile", "mail"}[r.IntN(2)]
		sfx := typedFilters[r.IntN(len(typedFilters))]
		var v any
		switch sfx {
		case "IsNil", "NotNil":
			v = true
		case "In", "NotIn":
			v = []any{w.guess(r, k)}
			if l, ok := v.([]any)[0].([]any); ok {
				v = l
			}
		default:
			v = w.guess(r, k)
			if l, ok := v.([]any); ok {
				v = l[0]
			}
		}
		return map[string]any{k + sfx: v}, true
	case 4:
		return map[string]any{"attributes": []any{map[string]any{"key": "city", "op": "EQ", "value": "sh"}}}, false
	}
	return map[string]any{"nameContains": fmt.Sprint(r.IntN(10))}, false
}

// rule returns a random segment rule tree and whether it names a contact
// field, directly or through the saved segment.
func (w *maskWorld) rule(r *rand.Rand, depth int) (map[string]any, bool) {
	if depth > 0 && r.IntN(3) == 0 {
		if r.IntN(3) == 0 {
			n, s := w.rule(r, depth-1)
			return map[string]any{"not": n}, s
		}
		var list []any
		var s bool
		for range 2 + r.IntN(2) {
			n, ns := w.rule(r, depth-1)
			list, s = append(list, n), s || ns
		}
		return map[string]any{[]string{"and", "or", "intersect", "union", "difference"}[r.IntN(5)]: list}, s
	}
	switch r.IntN(4) {
	case 0:
		return map[string]any{"segment": w.savedSeg}, true
	case 1, 2:
		k := []string{"mobile", "mail"}[r.IntN(2)]
		op := []string{"EQ", "NEQ", "IN", "IS_EMPTY"}[r.IntN(4)]
		a := map[string]any{"key": k, "op": op}
		switch op {
		case "IN":
			a["value"] = []any{w.guess(r, k), w.guess(r, k)}
			for i, g := range a["value"].([]any) {
				if l, ok := g.([]any); ok {
					a["value"].([]any)[i] = l[0]
				}
			}
		case "EQ", "NEQ":
			g := w.guess(r, k)
			if l, ok := g.([]any); ok {
				g = l[0]
			}
			a["value"] = g
		}
		return map[string]any{"attribute": a}, true
	}
	return map[string]any{"attribute": map[string]any{"key": "city", "op": "EQ", "value": "bj"}}, false
}

func (w *maskWorld) probes(r *rand.Rand, n int) []probe {
	const leads = `query($w: LeadWhereInput){ leads(first: 100, where: $w){ totalCount edges { node { id } } } }`
	var out []probe
	for range n {
		switch r.IntN(5) {
		case 0, 1, 2:
			wh, s := w.where(r, 3)
			out = append(out, probe{leads, map[string]any{"w": wh}, s})
		case 3:
			rule, s := w.rule(r, 3)
			out = append(out, probe{`query($r: SegmentRuleInput!){ previewSegment(rule: $r, sampleSize: 100){ count sample { id } } }`, map[string]any{"r": rule}, s})
		default:
			k := []string{"mobile", "mail", "city"}[r.IntN(3)]
			if r.IntN(2) == 0 {
				out = append(out, probe{`query($k: String!){ leads(first: 100, orderByAttribute: {key: $k}){ edges { node { id } } } }`, map[string]any{"k": k}, k != "city"})
			} else {
				out = append(out, probe{fmt.Sprintf(`{ leads(first: 100, orderBy: {field: %s}){ edges { node { id } } } }`, strings.ToUpper(k)), nil, k != "city"})
			}
		}
	}
	return out
}

// answer is what a response tells a client: its data, or its error codes
// and fields.
func answer(r apitest.Response) string {
	if len(r.Errors) == 0 {
		return string(r.Data)
	}
	var parts []string
	for _, e := range r.Errors {
		parts = append(parts, e.Code()+"@"+e.Field())
	}
	return strings.Join(parts, ",")
}

// contactFieldNamed reports whether an error field names a contact field,
// as the refusal of a masked search must.
func contactFieldNamed(field string) bool {
	last := field[strings.LastIndexAny(field, ".]")+1:]
	for _, k := range []string{"phone", "email", "mobile", "mail"} {
		if strings.HasPrefix(last, k) {
			return true
		}
	}
	return last == "key" || last == "segment" || last == "inSegment" || last == "field"
}

// TestMaskedViewersCannotSearchHiddenValues is the property of issue #19:
// for random masked viewers and random filter trees, sorts and segment
// rules over contact fields, the answer is FORBIDDEN (naming the field), or
// it is the same whatever the hidden characters are. The admin, who sees
// the values, gets answers that do depend on them, so the probes are able
// to tell.
func TestMaskedViewersCannotSearchHiddenValues(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 19))
	w := newMaskWorld(t, r, 24)
	viewers := slices.Sorted(func(yield func(string) bool) {
		for v := range w.tokens {
			if !yield(v) {
				return
			}
		}
	})
	probes := w.probes(r, 150)
	who := make([]string, len(probes))
	for i := range probes {
		who[i] = viewers[r.IntN(len(viewers))]
	}

	var got [2][]string
	var admin [2][]string
	for s := range 2 {
		w.setState(t, s)
		for i, p := range probes {
			res := w.api.Do(w.tokens[who[i]], p.query, p.vars)
			got[s] = append(got[s], answer(res))
			if s == 0 && p.sensitive && len(res.Errors) == 0 {
				t.Errorf("%s: %s %v: answered %s; want FORBIDDEN", who[i], p.query, mustJSON(p.vars), res.Data)
			}
			if s == 0 && !p.sensitive && who[i] == "analyst" && len(res.Errors) > 0 {
				// Refusing everything would pass trivially: the analyst may
				// search and segment by every field it sees.
				t.Errorf("analyst: %s %v: %+v; want an answer", p.query, mustJSON(p.vars), res.Errors)
			}
			for _, e := range res.Errors {
				if e.Code() == "FORBIDDEN" && e.Field() != "" && !contactFieldNamed(e.Field()) {
					t.Errorf("%s: FORBIDDEN at %q, which is not a contact field", who[i], e.Field())
				}
			}
			admin[s] = append(admin[s], answer(w.api.Do(w.admin, p.query, p.vars)))
		}
	}
	differ := 0
	for i, p := range probes {
		if got[0][i] != got[1][i] {
			t.Errorf("%s: %s %v depends on hidden characters:\n state 0: %s\n state 1: %s", who[i], p.query, mustJSON(p.vars), got[0][i], got[1][i])
		}
		if admin[0][i] != admin[1][i] {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("no probe's answer to the admin depends on the hidden characters: the probes cannot detect a leak")
	}
	t.Logf("%d probes; %d of the admin's answers depend on the hidden characters", len(probes), differ)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestMaskedSearchRefusalsNameTheField: each way of searching a masked
// field is FORBIDDEN at the path the client wrote, at any depth, and the
// same requests work for a viewer who sees the values.
func TestMaskedSearchRefusalsNameTheField(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 19))
	w := newMaskWorld(t, r, 4)
	analyst := w.tokens["analyst"]
	v := w.state[0][0]
	const leads = `query($w: LeadWhereInput){ leads(where: $w){ totalCount } }`
	preview := `query($r: SegmentRuleInput!){ previewSegment(rule: $r){ count } }`
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"phone EQ", leads, map[string]any{"w": map[string]any{"phone": v.phone}}, "where.phone"},
		{"email in or", leads, map[string]any{"w": map[string]any{"or": []any{map[string]any{"nameContains": "x"}, map[string]any{"email": v.email}}}}, "where.or[1].email"},
		{"phone under not and", leads, map[string]any{"w": map[string]any{"not": map[string]any{"and": []any{map[string]any{"phone": v.phone}}}}}, "where.not.and[0].phone"},
		{"custom CONTAINS", leads, map[string]any{"w": map[string]any{"attributes": []any{map[string]any{"key": "mobile", "op": "CONTAINS", "value": "1234"}}}}, "where.attributes[0].key"},
		{"custom IS_EMPTY", leads, map[string]any{"w": map[string]any{"attributes": []any{map[string]any{"key": "city", "op": "EQ", "value": "sh"}, map[string]any{"key": "mail", "op": "IS_EMPTY"}}}}, "where.attributes[1].key"},
		{"typed IN", leads, map[string]any{"w": map[string]any{"and": []any{map[string]any{"mobileIn": []string{v.mobile}}}}}, "where.and[0].mobileIn"},
		{"typed IsNil", leads, map[string]any{"w": map[string]any{"mailIsNil": true}}, "where.mailIsNil"},
		{"typed orderBy", `{ leads(orderBy: {field: MOBILE}){ totalCount } }`, nil, "orderBy.field"},
		{"orderByAttribute", `{ leads(orderByAttribute: {key: "mail"}){ totalCount } }`, nil, "orderByAttribute.key"},
		{"segment rule", preview, map[string]any{"r": map[string]any{"or": []any{
			map[string]any{"attribute": map[string]any{"key": "city", "op": "EQ", "value": "sh"}},
			map[string]any{"not": map[string]any{"attribute": map[string]any{"key": "mobile", "op": "EQ", "value": v.mobile}}}}}}, "rule.or[1].not.attribute.key"},
		{"segment reference", preview, map[string]any{"r": map[string]any{"and": []any{map[string]any{"segment": w.savedSeg}}}}, "rule.and[0].segment"},
		{"segment members", `query($id: ID!){ node(id: $id){ ... on Segment { members { totalCount } } } }`, map[string]any{"id": w.savedSeg}, "members"},
		{"leads in the segment", leads, map[string]any{"w": map[string]any{"and": []any{map[string]any{"nameContains": "x"}, map[string]any{"inSegment": w.savedSeg}}}}, "where.and[1].inSegment"},
		{"segment memberCount", `query($id: ID!){ node(id: $id){ ... on Segment { memberCount } } }`, map[string]any{"id": w.savedSeg}, "memberCount"},
		{"segment create", `mutation($r: SegmentRuleInput!){ createSegment(input:{name:"x", rule:$r}){ id } }`,
			map[string]any{"r": map[string]any{"attribute": map[string]any{"key": "mail", "op": "IS_NOT_EMPTY"}}}, "input.rule.attribute.key"},
		{"scoring rule", `mutation{ createScoringRule(input:{name:"x", condition:"attributes.mobile.startsWith(\"+86139\")", points: 5}){ id } }`, nil, "input.condition"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := analyst
			if tc.name == "scoring rule" {
				// Only admins write rules by default; a workspace role may too.
				w.api.MustDo(w.admin, `mutation{ grantPermission(role:"analyst", resource:"rule", action:"write") }`, nil, nil)
			}
			res := w.api.Do(token, tc.query, tc.vars)
			if len(res.Errors) != 1 || res.Errors[0].Code() != "FORBIDDEN" || res.Errors[0].Field() != tc.field {
				t.Fatalf("errors %+v; want one FORBIDDEN at %s", res.Errors, tc.field)
			}
			res = w.api.Do(w.admin, tc.query, tc.vars)
			if tc.name == "custom CONTAINS" {
				// Contact values are matched whole, even by those who see them.
				if len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" {
					t.Fatalf("the admin's CONTAINS on a PHONE field: %+v; want BAD_USER_INPUT", res.Errors)
				}
			} else if len(res.Errors) > 0 {
				t.Fatalf("the admin, who sees the values, was refused: %+v", res.Errors)
			}
		})
	}
	var n int
	if err := w.api.DB.DB.QueryRow(`SELECT count(*) FROM scoring_rules WHERE name = 'x'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("scoring rules named x: %d (%v); want only the admin's", n, err)
	}
	// What the analyst may still do: filter and segment by other fields,
	// and read which types it sees masked.
	var ft struct {
		FieldTypes []struct {
			Type             string
			Operators        []string
			ContactSensitive bool
			Masked           bool
		}
	}
	w.api.MustDo(analyst, `{ fieldTypes { type operators contactSensitive masked } }`, nil, &ft)
	for _, f := range ft.FieldTypes {
		sensitive := f.Type == "PHONE" || f.Type == "EMAIL"
		if f.ContactSensitive != sensitive || f.Masked != sensitive || (sensitive && slices.Contains(f.Operators, "CONTAINS")) {
			t.Errorf("fieldTypes %+v", f)
		}
	}
	w.api.MustDo(w.admin, `{ fieldTypes { type masked } }`, nil, &ft)
	for _, f := range ft.FieldTypes {
		if f.Masked {
			t.Errorf("the admin sees %s masked", f.Type)
		}
	}
}
