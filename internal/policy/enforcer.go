package policy

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/scrmhq/scrm/policies"
)

// Enforcer answers permission questions for every workspace from the
// built-in rows and each workspace's own rows. It is safe for concurrent use.
//
// The built-in rows live in one Casbin enforcer shared by all workspaces, and
// each workspace that has rows of its own gets a second, small enforcer with
// only those rows. A decision combines the two exactly as the model's effect
// would over their union (some row allows and no row denies), but a check
// only scans the built-ins plus one workspace's rows however many workspaces
// there are, and a workspace's rows can never match another workspace's
// request because they are not in the same enforcer.
type Enforcer struct {
	store   Store
	model   model.Model // parsed once; copied for each Casbin enforcer
	base    *casbin.SyncedEnforcer
	builtin []Rule
	roles   []string // roles named by the built-in rows, sorted
	// baseTable holds the built-in effect of every built-in role and
	// vocabulary pair, computed once: built-in rows hold in every workspace
	// and never change while the process runs, and a Casbin check scans
	// every row, which made the built-ins most of the cost of a decision.
	baseTable map[baseKey]string

	// reloadMu serialises Reload, so that of two reloads racing after two
	// quick policy changes the one that read the store last is the one kept.
	reloadMu sync.Mutex
	mu       sync.RWMutex
	own      map[string][]Rule                 // workspace id -> its rows
	overlays map[string]*casbin.SyncedEnforcer // workspace id -> enforcer of own[id]
}

// New returns an Enforcer with the embedded model and built-in rows and the
// workspace rows of store. A malformed built-in or stored row is an error:
// guessing at authorization data is worse than not starting.
func New(ctx context.Context, store Store) (*Enforcer, error) {
	if store == nil {
		// Running without workspace rows would silently bring back every
		// permission a workspace revoked.
		return nil, errors.New("policy: nil Store")
	}
	m, err := model.NewModelFromString(policies.Model)
	if err != nil {
		return nil, fmt.Errorf("policy: model: %w", err)
	}
	builtin, err := parseBuiltin(policies.Builtin)
	if err != nil {
		return nil, err
	}
	e := &Enforcer{store: store, model: m, builtin: builtin}
	if e.base, err = e.newCasbin(builtin); err != nil {
		return nil, err
	}
	for _, r := range builtin {
		if !slices.Contains(e.roles, r.Role) {
			e.roles = append(e.roles, r.Role)
		}
	}
	slices.Sort(e.roles)
	if err := e.fillBaseTable(); err != nil {
		return nil, err
	}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// baseKey indexes Enforcer.baseTable.
type baseKey struct{ role, resource, action string }

// tableWorkspace is the workspace the base table is computed for. Any valid
// id gives the same answers, because every built-in row has the domain "*"
// (parseBuiltin refuses anything else).
const tableWorkspace = "builtin"

// fillBaseTable computes baseTable with the built-in Casbin enforcer.
func (e *Enforcer) fillBaseTable() error {
	all := pairs(Any, Any)
	e.baseTable = make(map[baseKey]string, len(e.roles)*len(all))
	for _, role := range e.roles {
		for _, p := range all {
			eft, err := effect(e.base, role, tableWorkspace, p.resource, p.action)
			if err != nil {
				return err
			}
			e.baseTable[baseKey{role, p.resource, p.action}] = eft
		}
	}
	return nil
}

// parseBuiltin reads the built-in CSV: "p, role, *, resource, action, allow"
// lines, with # comments and blank lines.
func parseBuiltin(text string) ([]Rule, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	var rules []Rule
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: builtin.csv: %w", ErrInvalidRule, err)
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) != 6 || rec[0] != "p" {
			return nil, fmt.Errorf("%w: builtin.csv line %d: want \"p, role, domain, resource, action, effect\"", ErrInvalidRule, line)
		}
		r := Rule{Role: rec[1], Workspace: rec[2], Resource: rec[3], Action: rec[4], Effect: rec[5]}
		if err := checkRule(r, true); err != nil {
			return nil, fmt.Errorf("builtin.csv line %d: %w", line, err)
		}
		if slices.Contains(rules, r) {
			return nil, fmt.Errorf("%w: builtin.csv line %d: duplicate %s", ErrInvalidRule, line, r)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// newCasbin returns a Casbin enforcer of the model holding rules.
func (e *Enforcer) newCasbin(rules []Rule) (*casbin.SyncedEnforcer, error) {
	ce, err := casbin.NewSyncedEnforcer(e.model.Copy())
	if err != nil {
		return nil, fmt.Errorf("policy: casbin: %w", err)
	}
	if len(rules) == 0 {
		return ce, nil
	}
	rows := make([][]string, len(rules))
	for i, r := range rules {
		rows[i] = r.row()
	}
	if _, err := ce.AddPolicies(rows); err != nil {
		return nil, fmt.Errorf("policy: casbin: %w", err)
	}
	return ce, nil
}

// Reload re-reads every workspace's rows from the store and replaces the
// ones in memory. Call it when another process changed policy (the change
// notification), and after persisting the changes of Grant or Revoke failed,
// to drop what was applied in memory only. On error the rows in memory stay
// as they were.
func (e *Enforcer) Reload(ctx context.Context) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	rules, err := e.store.Load(ctx)
	if err != nil {
		return fmt.Errorf("policy: load: %w", err)
	}
	own := make(map[string][]Rule)
	for _, r := range rules {
		if err := checkRule(r, false); err != nil {
			return err
		}
		if !slices.Contains(own[r.Workspace], r) {
			own[r.Workspace] = append(own[r.Workspace], r)
		}
	}
	overlays := make(map[string]*casbin.SyncedEnforcer, len(own))
	for ws, rs := range own {
		if overlays[ws], err = e.newCasbin(rs); err != nil {
			return err
		}
	}
	e.mu.Lock()
	e.own, e.overlays = own, overlays
	e.mu.Unlock()
	return nil
}

// Allowed reports whether a caller holding roles may perform action on
// resource in workspace: true when at least one of the roles is allowed and
// none is denied. A deny row therefore wins over another role's allow, as it
// would for a user mapped to several roles in a single Casbin request; a
// workspace that revokes a permission from a role means it for everyone
// holding that role. No roles means not allowed.
//
// resource and action must be vocabulary names (not Any); an unknown name is
// an error, since it can only be a typo in the caller.
func (e *Enforcer) Allowed(workspace string, roles []string, resource, action string) (bool, error) {
	if err := checkWorkspace(workspace); err != nil {
		return false, err
	}
	if err := checkRequest(resource, action); err != nil {
		return false, err
	}
	for _, role := range roles {
		if err := checkRole(role); err != nil {
			return false, err
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	overlay := e.overlays[workspace]
	allowed := false
	for _, role := range roles {
		eft, err := e.decide(overlay, role, workspace, resource, action)
		if err != nil {
			return false, err
		}
		switch eft {
		case Deny:
			return false, nil
		case Allow:
			allowed = true
		}
	}
	return allowed, nil
}

// decide returns Allow, Deny or "" (no row matched) for one role and one
// concrete permission over the built-in rows plus the workspace's overlay,
// which may be nil. Deny wins, as in the model's effect.
func (e *Enforcer) decide(overlay *casbin.SyncedEnforcer, role, workspace, resource, action string) (string, error) {
	base, ok := e.baseTable[baseKey{role, resource, action}]
	var err error
	if !ok {
		// A workspace's own role, or a pair outside the vocabulary.
		base, err = effect(e.base, role, workspace, resource, action)
	}
	if err != nil || overlay == nil || base == Deny {
		return base, err
	}
	own, err := effect(overlay, role, workspace, resource, action)
	if err != nil {
		return "", err
	}
	if own == Deny || own == Allow {
		return own, nil
	}
	return base, nil
}

// effect asks one Casbin enforcer and tells a refusal by a deny row apart
// from no row matching, which Enforce alone does not: the effect
// "allow and not deny" explains a refusal with the deny row it hit.
func effect(ce *casbin.SyncedEnforcer, role, workspace, resource, action string) (string, error) {
	ok, explain, err := ce.EnforceEx(role, workspace, resource, action)
	if err != nil {
		return "", fmt.Errorf("policy: enforce: %w", err)
	}
	if ok {
		return Allow, nil
	}
	if len(explain) == 5 && explain[4] == Deny {
		return Deny, nil
	}
	return "", nil
}

// Permissions returns what role may do in workspace after the workspace's
// own rows are applied: one Allow rule per vocabulary pair the role is
// allowed, in vocabulary order. Wildcard rows are expanded, so the result
// reads as a plain matrix. role "" lists every role known in the workspace
// (the built-in ones and those named by its own rows), sorted by name. An
// invalid workspace or role yields nil.
func (e *Enforcer) Permissions(workspace, role string) []Rule {
	if checkWorkspace(workspace) != nil || (role != "" && checkRole(role) != nil) {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	roles := []string{role}
	if role == "" {
		roles = e.rolesOf(workspace)
	}
	overlay := e.overlays[workspace]
	all := pairs(Any, Any)
	var out []Rule
	for _, r := range roles {
		for _, p := range all {
			if eft, err := e.decide(overlay, r, workspace, p.resource, p.action); err == nil && eft == Allow {
				out = append(out, Rule{Role: r, Workspace: workspace, Resource: p.resource, Action: p.action, Effect: Allow})
			}
		}
	}
	return out
}

// rolesOf returns the built-in roles and the roles of workspace's own rows,
// sorted. The caller holds e.mu.
func (e *Enforcer) rolesOf(workspace string) []string {
	roles := slices.Clone(e.roles)
	for _, r := range e.own[workspace] {
		if !slices.Contains(roles, r.Role) {
			roles = append(roles, r.Role)
		}
	}
	slices.Sort(roles)
	return roles
}

// Grant lets role perform action on resource in workspace (either may be
// Any) and returns the rows it changed, for the caller to persist and then
// announce so that every process reloads. It removes the workspace's deny
// rows for the role inside the granted permission (a broader deny, such as
// one for every action on the resource, is split so that only the granted
// part is lifted) and adds an allow row only if the built-in rows do not
// already allow it. Granting what is already allowed changes nothing.
//
// The change is applied in memory at once; if persisting it fails, call
// Reload.
func (e *Enforcer) Grant(ctx context.Context, workspace, role, resource, action string) ([]Change, error) {
	if err := e.checkChange(ctx, workspace, role, resource, action); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()

	rows := slices.Clone(e.own[workspace])
	var changes []Change
	granted := pairs(resource, action)
	for _, r := range slices.Clone(rows) {
		if r.Role != role || r.Effect != Deny {
			continue
		}
		denied := pairs(r.Resource, r.Action)
		if !overlaps(denied, granted) {
			continue
		}
		rows = remove(rows, r)
		changes = append(changes, Change{OpRemove, r})
		if r.within(resource, action) {
			continue
		}
		// Keep denying what the broad row denied outside the grant.
		for _, p := range denied {
			if slices.Contains(granted, p) {
				continue
			}
			d := Rule{Role: role, Workspace: workspace, Resource: p.resource, Action: p.action, Effect: Deny}
			if !slices.Contains(rows, d) {
				rows = append(rows, d)
				changes = append(changes, Change{OpAdd, d})
			}
		}
	}

	all, err := e.allAllowed(rows, role, workspace, granted)
	if err != nil {
		return nil, err
	}
	if !all {
		a := Rule{Role: role, Workspace: workspace, Resource: resource, Action: action, Effect: Allow}
		if !slices.Contains(rows, a) {
			rows = append(rows, a)
			changes = append(changes, Change{OpAdd, a})
		}
	}
	return changes, e.commit(workspace, rows, changes)
}

// Revoke stops role from performing action on resource in workspace (either
// may be Any) and returns the rows it changed, for the caller to persist and
// announce. It removes the workspace's own allow rows for the role inside
// the revoked permission and, if the permission is still allowed in part (by
// the built-in rows or by a broader row of the workspace), adds a deny row
// for exactly what was revoked. Revoking what is not allowed changes
// nothing. Taking policy read or write from admin is refused with
// ErrProtected.
//
// The change is applied in memory at once; if persisting it fails, call
// Reload.
func (e *Enforcer) Revoke(ctx context.Context, workspace, role, resource, action string) ([]Change, error) {
	if err := e.checkChange(ctx, workspace, role, resource, action); err != nil {
		return nil, err
	}
	if role == RoleAdmin && (resource == Any || resource == ResPolicy) &&
		(action == Any || action == ActRead || action == ActWrite) {
		return nil, fmt.Errorf("%w: %s keeps %s %s", ErrProtected, RoleAdmin, ResPolicy, action)
	}
	e.mu.Lock()
	defer e.mu.Unlock()

	rows := slices.Clone(e.own[workspace])
	var changes []Change
	for _, r := range slices.Clone(rows) {
		if r.Role == role && r.Effect == Allow && r.within(resource, action) {
			rows = remove(rows, r)
			changes = append(changes, Change{OpRemove, r})
		}
	}

	revoked := pairs(resource, action)
	some, err := e.anyAllowed(rows, role, workspace, revoked)
	if err != nil {
		return nil, err
	}
	if some {
		// The new deny covers the narrower ones, which would only clutter
		// the workspace's policy.
		for _, r := range slices.Clone(rows) {
			if r.Role == role && r.Effect == Deny && r.within(resource, action) {
				rows = remove(rows, r)
				changes = append(changes, Change{OpRemove, r})
			}
		}
		d := Rule{Role: role, Workspace: workspace, Resource: resource, Action: action, Effect: Deny}
		rows = append(rows, d)
		changes = append(changes, Change{OpAdd, d})
	}
	return changes, e.commit(workspace, rows, changes)
}

// checkChange validates the arguments of Grant and Revoke.
func (e *Enforcer) checkChange(ctx context.Context, workspace, role, resource, action string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkWorkspace(workspace); err != nil {
		return err
	}
	if err := checkRole(role); err != nil {
		return err
	}
	return checkPattern(resource, action)
}

// allAllowed reports whether role is allowed every pair in ps with the
// workspace's rows replaced by rows. The caller holds e.mu.
func (e *Enforcer) allAllowed(rows []Rule, role, workspace string, ps []pair) (bool, error) {
	n, err := e.countAllowed(rows, role, workspace, ps)
	return n == len(ps), err
}

// anyAllowed reports whether role is allowed any pair in ps with the
// workspace's rows replaced by rows. The caller holds e.mu.
func (e *Enforcer) anyAllowed(rows []Rule, role, workspace string, ps []pair) (bool, error) {
	n, err := e.countAllowed(rows, role, workspace, ps)
	return n > 0, err
}

func (e *Enforcer) countAllowed(rows []Rule, role, workspace string, ps []pair) (int, error) {
	var overlay *casbin.SyncedEnforcer
	if len(rows) > 0 {
		var err error
		if overlay, err = e.newCasbin(rows); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, p := range ps {
		eft, err := e.decide(overlay, role, workspace, p.resource, p.action)
		if err != nil {
			return 0, err
		}
		if eft == Allow {
			n++
		}
	}
	return n, nil
}

// commit installs rows as workspace's own rows if changes is not empty. The
// caller holds e.mu.
func (e *Enforcer) commit(workspace string, rows []Rule, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	if len(rows) == 0 {
		delete(e.own, workspace)
		delete(e.overlays, workspace)
		return nil
	}
	overlay, err := e.newCasbin(rows)
	if err != nil {
		return err
	}
	e.own[workspace] = rows
	e.overlays[workspace] = overlay
	return nil
}

// overlaps reports whether a and b share a pair.
func overlaps(a, b []pair) bool {
	for _, p := range a {
		if slices.Contains(b, p) {
			return true
		}
	}
	return false
}

// remove returns rows without r.
func remove(rows []Rule, r Rule) []Rule {
	return slices.DeleteFunc(rows, func(x Rule) bool { return x == r })
}
