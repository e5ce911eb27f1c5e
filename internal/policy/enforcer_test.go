package policy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

const (
	wsX = "0196a1b2-0000-7000-8000-00000000000a"
	wsY = "0196a1b2-0000-7000-8000-00000000000b"
)

func newEmpty(t *testing.T) (*Enforcer, *MemoryStore) {
	t.Helper()
	store := NewMemoryStore()
	e, err := New(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	return e, store
}

func mustAllowed(t *testing.T, e *Enforcer, ws string, roles []string, res, act string) bool {
	t.Helper()
	ok, err := e.Allowed(ws, roles, res, act)
	if err != nil {
		t.Fatalf("Allowed(%s, %v, %s, %s): %v", ws, roles, res, act, err)
	}
	return ok
}

func expectChanges(t *testing.T, got []Change, err error, want ...Change) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("changes:\n got  %v\n want %v", got, want)
	}
}

func add(role, ws, res, act, eft string) Change {
	return Change{OpAdd, Rule{role, ws, res, act, eft}}
}

func del(role, ws, res, act, eft string) Change {
	return Change{OpRemove, Rule{role, ws, res, act, eft}}
}

func TestRevokeAndGrantBuiltin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)

	ch, err := e.Revoke(ctx, wsX, RoleRep, ResLeadContact, ActRead)
	expectChanges(t, ch, err, add(RoleRep, wsX, ResLeadContact, ActRead, Deny))
	if mustAllowed(t, e, wsX, []string{RoleRep}, ResLeadContact, ActRead) {
		t.Error("revoked permission still allowed")
	}
	if !mustAllowed(t, e, wsY, []string{RoleRep}, ResLeadContact, ActRead) {
		t.Error("revoke in one workspace leaked into another")
	}

	ch, err = e.Revoke(ctx, wsX, RoleRep, ResLeadContact, ActRead)
	expectChanges(t, ch, err) // already revoked: nothing to do

	ch, err = e.Grant(ctx, wsX, RoleRep, ResLeadContact, ActRead)
	expectChanges(t, ch, err, del(RoleRep, wsX, ResLeadContact, ActRead, Deny))
	if !mustAllowed(t, e, wsX, []string{RoleRep}, ResLeadContact, ActRead) {
		t.Error("granted permission not allowed")
	}
	if got := e.own[wsX]; len(got) != 0 {
		t.Errorf("workspace rows left after revoke+grant: %v", got)
	}

	ch, err = e.Grant(ctx, wsX, RoleRep, ResLeadContact, ActRead)
	expectChanges(t, ch, err) // built-in already allows: nothing to do
}

func TestGrantAndRevokeOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)

	ch, err := e.Grant(ctx, wsX, RolePartner, ResLeadContact, ActRead)
	expectChanges(t, ch, err, add(RolePartner, wsX, ResLeadContact, ActRead, Allow))
	if !mustAllowed(t, e, wsX, []string{RolePartner}, ResLeadContact, ActRead) {
		t.Error("grant not applied")
	}
	if mustAllowed(t, e, wsY, []string{RolePartner}, ResLeadContact, ActRead) {
		t.Error("grant in one workspace leaked into another")
	}

	ch, err = e.Revoke(ctx, wsX, RolePartner, ResLeadContact, ActRead)
	expectChanges(t, ch, err, del(RolePartner, wsX, ResLeadContact, ActRead, Allow))
	if mustAllowed(t, e, wsX, []string{RolePartner}, ResLeadContact, ActRead) {
		t.Error("revoke of own grant not applied")
	}

	ch, err = e.Revoke(ctx, wsX, RolePartner, ResPolicy, ActWrite)
	expectChanges(t, ch, err) // never allowed: nothing to do
}

func TestCustomRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)
	ch, err := e.Grant(ctx, wsX, "sdr", ResLead, Any)
	expectChanges(t, ch, err, add("sdr", wsX, ResLead, Any, Allow))
	if !mustAllowed(t, e, wsX, []string{"sdr"}, ResLead, ActAssign) {
		t.Error("custom role grant not applied")
	}
	if mustAllowed(t, e, wsX, []string{"sdr"}, ResLeadContact, ActRead) {
		t.Error("lead * must not reach lead.contact")
	}
	if mustAllowed(t, e, wsY, []string{"sdr"}, ResLead, ActRead) {
		t.Error("custom role leaked into another workspace")
	}
}

func TestWildcardRevokeThenNarrowGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)

	ch, err := e.Revoke(ctx, wsX, RoleRep, ResLead, ActClaim)
	expectChanges(t, ch, err, add(RoleRep, wsX, ResLead, ActClaim, Deny))

	// The broad deny replaces the narrower one it covers.
	ch, err = e.Revoke(ctx, wsX, RoleRep, ResLead, Any)
	expectChanges(t, ch, err,
		del(RoleRep, wsX, ResLead, ActClaim, Deny),
		add(RoleRep, wsX, ResLead, Any, Deny))
	for _, act := range Actions(ResLead) {
		if mustAllowed(t, e, wsX, []string{RoleRep}, ResLead, act) {
			t.Errorf("rep lead %s allowed after revoking lead *", act)
		}
	}
	if !mustAllowed(t, e, wsX, []string{RoleRep}, ResLeadContact, ActRead) {
		t.Error("revoking lead * must not touch lead.contact")
	}

	// Granting one action back splits the broad deny.
	ch, err = e.Grant(ctx, wsX, RoleRep, ResLead, ActRead)
	expectChanges(t, ch, err,
		del(RoleRep, wsX, ResLead, Any, Deny),
		add(RoleRep, wsX, ResLead, ActWrite, Deny),
		add(RoleRep, wsX, ResLead, ActDelete, Deny),
		add(RoleRep, wsX, ResLead, ActClaim, Deny),
		add(RoleRep, wsX, ResLead, ActAssign, Deny),
		add(RoleRep, wsX, ResLead, ActRelease, Deny))
	want := map[string]bool{ActRead: true}
	for _, act := range Actions(ResLead) {
		if got := mustAllowed(t, e, wsX, []string{RoleRep}, ResLead, act); got != want[act] {
			t.Errorf("rep lead %s = %v, want %v", act, got, want[act])
		}
	}

	// Granting the whole resource lifts every deny inside it and, since the
	// built-ins do not give rep delete or assign, adds the allow.
	ch, err = e.Grant(ctx, wsX, RoleRep, ResLead, Any)
	expectChanges(t, ch, err,
		del(RoleRep, wsX, ResLead, ActWrite, Deny),
		del(RoleRep, wsX, ResLead, ActDelete, Deny),
		del(RoleRep, wsX, ResLead, ActClaim, Deny),
		del(RoleRep, wsX, ResLead, ActAssign, Deny),
		del(RoleRep, wsX, ResLead, ActRelease, Deny),
		add(RoleRep, wsX, ResLead, Any, Allow))
	for _, act := range Actions(ResLead) {
		if !mustAllowed(t, e, wsX, []string{RoleRep}, ResLead, act) {
			t.Errorf("rep lead %s not allowed after granting lead *", act)
		}
	}
}

func TestRevokePartOfOwnBroadGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)
	ch, err := e.Grant(ctx, wsX, RoleRep, ResReport, Any)
	expectChanges(t, ch, err, add(RoleRep, wsX, ResReport, Any, Allow))
	ch, err = e.Revoke(ctx, wsX, RoleRep, ResReport, ActWrite)
	expectChanges(t, ch, err, add(RoleRep, wsX, ResReport, ActWrite, Deny))
	if !mustAllowed(t, e, wsX, []string{RoleRep}, ResReport, ActRead) ||
		mustAllowed(t, e, wsX, []string{RoleRep}, ResReport, ActWrite) {
		t.Error("want report read allowed and report write denied")
	}
}

func TestWildcardResourceRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)
	// Take every delete away from admin in one workspace.
	ch, err := e.Revoke(ctx, wsX, RoleAdmin, Any, ActDelete)
	expectChanges(t, ch, err, add(RoleAdmin, wsX, Any, ActDelete, Deny))
	if mustAllowed(t, e, wsX, []string{RoleAdmin}, ResSegment, ActDelete) {
		t.Error("admin segment delete allowed after revoking * delete")
	}
	if !mustAllowed(t, e, wsX, []string{RoleAdmin}, ResSegment, ActWrite) ||
		!mustAllowed(t, e, wsY, []string{RoleAdmin}, ResSegment, ActDelete) {
		t.Error("revoking * delete reached too far")
	}
}

func TestAdminKeepsPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)
	for _, tc := range [][2]string{{ResPolicy, ActWrite}, {ResPolicy, ActRead}, {ResPolicy, Any}, {Any, Any}, {Any, ActWrite}} {
		if _, err := e.Revoke(ctx, wsX, RoleAdmin, tc[0], tc[1]); !errors.Is(err, ErrProtected) {
			t.Errorf("Revoke(admin, %s, %s) = %v, want ErrProtected", tc[0], tc[1], err)
		}
	}
	if !mustAllowed(t, e, wsX, []string{RoleAdmin}, ResPolicy, ActWrite) {
		t.Error("admin lost policy write")
	}
	if _, err := e.Revoke(ctx, wsX, RoleManager, ResPolicy, Any); err != nil {
		t.Errorf("revoking policy from another role: %v", err)
	}
}

func TestAllowedSeveralRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)
	if mustAllowed(t, e, wsX, nil, ResLead, ActRead) {
		t.Error("no roles must not be allowed")
	}
	if !mustAllowed(t, e, wsX, []string{RoleAnalyst, RoleRep}, ResLeadContact, ActRead) {
		t.Error("one allowing role must be enough")
	}
	if _, err := e.Revoke(ctx, wsX, RoleRep, ResLeadContact, ActRead); err != nil {
		t.Fatal(err)
	}
	if mustAllowed(t, e, wsX, []string{RoleManager, RoleRep}, ResLeadContact, ActRead) {
		t.Error("a deny of one role must win over another role's allow")
	}
	if !mustAllowed(t, e, wsX, []string{RoleManager, "ghost"}, ResLeadContact, ActRead) {
		t.Error("a role with no rows must neither allow nor deny")
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)
	tests := []struct {
		name                string
		ws, role, res, act  string
		allowedErr, saveErr error
	}{
		{"upper-case role", wsX, "Rep", ResLead, ActRead, ErrInvalidRole, ErrInvalidRole},
		{"role starting with digit", wsX, "1rep", ResLead, ActRead, ErrInvalidRole, ErrInvalidRole},
		{"role too long", wsX, strings.Repeat("r", 33), ResLead, ActRead, ErrInvalidRole, ErrInvalidRole},
		{"role with comma", wsX, "rep,admin", ResLead, ActRead, ErrInvalidRole, ErrInvalidRole},
		{"empty role", wsX, "", ResLead, ActRead, ErrInvalidRole, ErrInvalidRole},
		{"all workspaces", AllWorkspaces, RoleRep, ResLead, ActRead, ErrInvalidWorkspace, ErrInvalidWorkspace},
		{"empty workspace", "", RoleRep, ResLead, ActRead, ErrInvalidWorkspace, ErrInvalidWorkspace},
		{"workspace with comma", "a,b", RoleRep, ResLead, ActRead, ErrInvalidWorkspace, ErrInvalidWorkspace},
		{"unknown resource", wsX, RoleRep, "leads", ActRead, ErrUnknownPermission, ErrUnknownPermission},
		{"unknown action", wsX, RoleRep, ResLead, "view", ErrUnknownPermission, ErrUnknownPermission},
		{"pattern resource", wsX, RoleRep, "lead.*", ActRead, ErrUnknownPermission, ErrUnknownPermission},
		{"pair outside vocabulary", wsX, RoleRep, ResReport, ActClaim, nil, ErrUnknownPermission},
		{"wildcard in a request", wsX, RoleRep, Any, ActRead, ErrUnknownPermission, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := e.Allowed(tt.ws, []string{tt.role}, tt.res, tt.act)
			if !errors.Is(err, tt.allowedErr) || (err == nil && ok) {
				t.Errorf("Allowed = %v, %v; want error %v", ok, err, tt.allowedErr)
			}
			if _, err := e.Grant(ctx, tt.ws, tt.role, tt.res, tt.act); !errors.Is(err, tt.saveErr) {
				t.Errorf("Grant error %v, want %v", err, tt.saveErr)
			}
			if _, err := e.Revoke(ctx, tt.ws, tt.role, tt.res, tt.act); !errors.Is(err, tt.saveErr) {
				t.Errorf("Revoke error %v, want %v", err, tt.saveErr)
			}
		})
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _ := newEmpty(t)

	var want []Rule
	for _, r := range e.builtin {
		if r.Role == RoleRep {
			want = append(want, Rule{RoleRep, wsX, r.Resource, r.Action, Allow})
		}
	}
	got := e.Permissions(wsX, RoleRep)
	if !sameRules(got, want) {
		t.Fatalf("rep permissions:\n got  %v\n want %v", got, want)
	}
	if n := len(e.Permissions(wsX, RoleAdmin)); n != len(pairs(Any, Any)) {
		t.Errorf("admin has %d permissions, want all %d", n, len(pairs(Any, Any)))
	}

	if _, err := e.Revoke(ctx, wsX, RoleRep, ResLeadContact, ActRead); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Grant(ctx, wsX, RoleRep, ResReport, ActRead); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Grant(ctx, wsX, "sdr", ResLead, ActRead); err != nil {
		t.Fatal(err)
	}
	got = e.Permissions(wsX, RoleRep)
	if slices.Contains(got, Rule{RoleRep, wsX, ResLeadContact, ActRead, Allow}) ||
		!slices.Contains(got, Rule{RoleRep, wsX, ResReport, ActRead, Allow}) {
		t.Errorf("rep permissions after revoke and grant: %v", got)
	}
	if !sameRules(e.Permissions(wsY, RoleRep), e.Permissions(wsY, RoleRep)) ||
		!slices.Contains(e.Permissions(wsY, RoleRep), Rule{RoleRep, wsY, ResLeadContact, ActRead, Allow}) {
		t.Error("other workspace changed")
	}

	var roles []string
	for _, r := range e.Permissions(wsX, "") {
		if !slices.Contains(roles, r.Role) {
			roles = append(roles, r.Role)
		}
	}
	if wantRoles := []string{RoleAdmin, RoleAnalyst, RoleManager, RolePartner, RoleRep, "sdr"}; !slices.Equal(roles, wantRoles) {
		t.Errorf("roles in Permissions(ws, \"\") = %v, want %v", roles, wantRoles)
	}
	if slices.ContainsFunc(e.Permissions(wsY, ""), func(r Rule) bool { return r.Role == "sdr" }) {
		t.Error("custom role of one workspace listed in another")
	}
	if e.Permissions("*", RoleRep) != nil || e.Permissions(wsX, "Bad") != nil {
		t.Error("invalid arguments must yield nil")
	}
}

func sameRules(a, b []Rule) bool {
	key := func(r Rule) string { return r.String() }
	ak, bk := make([]string, len(a)), make([]string, len(b))
	for i, r := range a {
		ak[i] = key(r)
	}
	for i, r := range b {
		bk[i] = key(r)
	}
	slices.Sort(ak)
	slices.Sort(bk)
	return slices.Equal(ak, bk)
}

// TestChangesRoundTrip plays random grants and revokes, persists their
// changes the way a caller would, and checks that another process loading
// the store decides exactly as the process that made the changes.
func TestChangesRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, store := newEmpty(t)
	rng := rand.New(rand.NewPCG(1, 2))
	roles := []string{RoleManager, RoleRep, RoleAnalyst, RolePartner, "sdr"}
	resources := append(Resources(), Any)
	for i := 0; i < 300; i++ {
		ws := []string{wsX, wsY}[rng.IntN(2)]
		role := roles[rng.IntN(len(roles))]
		res := resources[rng.IntN(len(resources))]
		acts := append(Actions(res), Any)
		if res == Any {
			acts = append(slices.Clone(allActions), Any)
		}
		act := acts[rng.IntN(len(acts))]
		grant := rng.IntN(2) == 0
		var ch []Change
		var err error
		if grant {
			ch, err = e.Grant(ctx, ws, role, res, act)
		} else {
			ch, err = e.Revoke(ctx, ws, role, res, act)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		store.Apply(ch)

		// What was asked for holds afterwards.
		for _, p := range pairs(res, act) {
			if got := mustAllowed(t, e, ws, []string{role}, p.resource, p.action); got != grant {
				t.Fatalf("step %d: grant=%v %s %s %s: allowed %v", i, grant, role, p.resource, p.action, got)
			}
		}
	}
	other, err := New(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	for _, ws := range []string{wsX, wsY} {
		for _, role := range roles {
			if a, b := e.Permissions(ws, role), other.Permissions(ws, role); !slices.Equal(a, b) {
				t.Fatalf("%s %s: in-memory and reloaded differ:\n%v\n%v", ws, role, a, b)
			}
		}
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, store := newEmpty(t)
	store.Apply([]Change{add(RoleRep, wsX, ResLeadContact, ActRead, Deny)})
	if !mustAllowed(t, e, wsX, []string{RoleRep}, ResLeadContact, ActRead) {
		t.Fatal("store change visible before Reload")
	}
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if mustAllowed(t, e, wsX, []string{RoleRep}, ResLeadContact, ActRead) {
		t.Fatal("store change not visible after Reload")
	}

	// A bad row fails the reload and keeps the last good policy.
	store.Apply([]Change{add(RoleRep, wsX, "leads", ActRead, Allow)})
	if err := e.Reload(ctx); !errors.Is(err, ErrInvalidRule) {
		t.Fatalf("Reload with a bad row = %v, want ErrInvalidRule", err)
	}
	if mustAllowed(t, e, wsX, []string{RoleRep}, ResLeadContact, ActRead) {
		t.Fatal("failed Reload changed the policy")
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := New(ctx, nil); err == nil {
		t.Error("New(nil store) succeeded")
	}
	boom := errors.New("db down")
	if _, err := New(ctx, failingStore{boom}); !errors.Is(err, boom) {
		t.Errorf("New with failing store = %v", err)
	}
	for _, r := range []Rule{
		{RoleRep, AllWorkspaces, ResLead, ActRead, Allow}, // stored rows cannot be global
		{RoleRep, wsX, ResLead, ActRead, "maybe"},
		{"Rep", wsX, ResLead, ActRead, Allow},
		{RoleRep, wsX, ResReport, ActClaim, Allow},
	} {
		if _, err := New(ctx, NewMemoryStore(r)); !errors.Is(err, ErrInvalidRule) {
			t.Errorf("New with row %s = %v, want ErrInvalidRule", r, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := New(cancelled, NewMemoryStore()); !errors.Is(err, context.Canceled) {
		t.Errorf("New with cancelled context = %v", err)
	}
}

type failingStore struct{ err error }

func (s failingStore) Load(context.Context) ([]Rule, error) { return nil, s.err }

func TestParseBuiltin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"comments and blanks", "# header\n\np, rep, *, lead, read, allow\n", true},
		{"deny", "p, rep, *, lead, read, deny\n", false},
		{"workspace row", "p, rep, ws-a, lead, read, allow\n", false},
		{"unknown resource", "p, rep, *, leads, read, allow\n", false},
		{"grouping row", "g, sdr, rep, *\n", false},
		{"short row", "p, rep, *, lead, read\n", false},
		{"duplicate", "p, rep, *, lead, read, allow\np, rep, *, lead, read, allow\n", false},
	}
	for _, tt := range tests {
		_, err := parseBuiltin(tt.text)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidRule) {
			t.Errorf("%s: err %v is not ErrInvalidRule", tt.name, err)
		}
	}
}

// TestConcurrent exercises checks, changes and reloads at once; run with
// -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, store := newEmpty(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := fmt.Sprintf("ws-%d", g%3)
			for i := 0; i < 50; i++ {
				switch i % 5 {
				case 0:
					ch, err := e.Revoke(ctx, ws, RoleRep, ResLeadContact, ActRead)
					if err != nil {
						t.Error(err)
						return
					}
					store.Apply(ch)
				case 1:
					ch, err := e.Grant(ctx, ws, RoleRep, ResLeadContact, ActRead)
					if err != nil {
						t.Error(err)
						return
					}
					store.Apply(ch)
				case 2:
					if err := e.Reload(ctx); err != nil {
						t.Error(err)
						return
					}
				default:
					if _, err := e.Allowed(ws, []string{RoleRep, RoleAnalyst}, ResLeadContact, ActRead); err != nil {
						t.Error(err)
						return
					}
					_ = e.Permissions(ws, "")
				}
			}
		}()
	}
	wg.Wait()
}

// TestBaseTableMatchesCasbin checks the precomputed built-in decisions
// against the built-in Casbin enforcer itself, for another workspace id.
func TestBaseTableMatchesCasbin(t *testing.T) {
	t.Parallel()
	e, _ := newEmpty(t)
	if len(e.baseTable) != len(e.roles)*len(pairs(Any, Any)) {
		t.Fatalf("base table has %d entries", len(e.baseTable))
	}
	for k, want := range e.baseTable {
		got, err := effect(e.base, k.role, wsY, k.resource, k.action)
		if err != nil || got != want {
			t.Errorf("%v: casbin says %q (%v), table says %q", k, got, err, want)
		}
	}
}
