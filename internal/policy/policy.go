// Package policy decides what a role may do in a workspace. It wraps Casbin
// with the model and built-in role policy of package policies, and overlays
// each workspace's own rows (stored in Postgres, loaded through a Store): a
// workspace can grant a role more than the defaults, or revoke a default with
// a deny row that only holds in that workspace.
//
// This package answers "may this role attempt this operation here?". Which
// rows a role sees (own leads, team, territory, partner channel) is a row
// filter applied by the queries, and masking of contact fields is decided by
// asking for lead.contact read.
package policy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
)

// Sentinel errors of the package; returned errors wrap them with the
// offending value.
var (
	// ErrInvalidRole means a role name does not match ^[a-z][a-z0-9_]{0,31}$.
	ErrInvalidRole = errors.New("invalid role name")
	// ErrInvalidWorkspace means a workspace id is empty, "*" or not an id.
	ErrInvalidWorkspace = errors.New("invalid workspace")
	// ErrUnknownPermission means a resource, action or pair of them is not
	// in the vocabulary (see Resources and Actions).
	ErrUnknownPermission = errors.New("unknown permission")
	// ErrInvalidRule means a stored or built-in policy row is malformed; the
	// enforcer refuses to start on one rather than guess what it meant.
	ErrInvalidRule = errors.New("invalid policy rule")
	// ErrProtected means the change would take policy access away from the
	// admin role, which would leave nobody able to undo it.
	ErrProtected = errors.New("protected permission")
)

// Effects of a rule.
const (
	Allow = "allow"
	Deny  = "deny"
)

// AllWorkspaces is the domain of the built-in rows: they hold in every
// workspace.
const AllWorkspaces = "*"

// The built-in roles every workspace starts with (policies/builtin.csv). A
// workspace may add its own role names through Grant.
const (
	RoleAdmin   = "admin"
	RoleManager = "manager"
	RoleRep     = "rep"
	RoleAnalyst = "analyst"
	RolePartner = "partner"
)

// Rule is one policy row: Role may (Effect Allow) or may not (Effect Deny)
// perform Action on Resource in Workspace. Resource and Action may be Any.
// Workspace is a workspace id for stored rows and AllWorkspaces for the
// built-in ones.
type Rule struct {
	Role      string
	Workspace string
	Resource  string
	Action    string
	Effect    string
}

// String formats r as its Casbin CSV line, which is also how it reads best in
// logs and test failures.
func (r Rule) String() string {
	return fmt.Sprintf("p, %s, %s, %s, %s, %s", r.Role, r.Workspace, r.Resource, r.Action, r.Effect)
}

// row returns r as the Casbin policy values, in model order.
func (r Rule) row() []string {
	return []string{r.Role, r.Workspace, r.Resource, r.Action, r.Effect}
}

// within reports whether every permission r names is also named by the
// pattern (resource, action). Patterns are a name or Any, nothing else, so
// this agrees with the model's keyMatch.
func (r Rule) within(resource, action string) bool {
	return (resource == Any || resource == r.Resource) && (action == Any || action == r.Action)
}

// Op says whether a Change adds or removes its rule.
type Op string

// The two kinds of change.
const (
	OpAdd    Op = "add"
	OpRemove Op = "remove"
)

// Change is one row added to or removed from a workspace's policy by Grant
// or Revoke, in the order they were applied, for the caller to persist.
type Change struct {
	Op   Op
	Rule Rule
}

// Store is where the workspaces' own rows live (Postgres in production).
// Load returns every workspace's rows; the built-in rows are not in it.
type Store interface {
	Load(ctx context.Context) ([]Rule, error)
}

var (
	roleRE      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	workspaceRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// ValidRole reports whether name can be a role: lower-case ASCII letters,
// digits and underscores, starting with a letter, at most 32 characters. The
// limit keeps role names safe in CSV rows, URLs and log lines.
func ValidRole(name string) bool { return roleRE.MatchString(name) }

func checkRole(role string) error {
	if !ValidRole(role) {
		return fmt.Errorf("%w: %q", ErrInvalidRole, role)
	}
	return nil
}

func checkWorkspace(ws string) error {
	if !workspaceRE.MatchString(ws) {
		return fmt.Errorf("%w: %q", ErrInvalidWorkspace, ws)
	}
	return nil
}

// checkPattern validates the resource and action of a rule: each a
// vocabulary name or Any, and together matching at least one vocabulary pair.
func checkPattern(resource, action string) error {
	if resource != Any && !knownResource(resource) {
		return fmt.Errorf("%w: resource %q", ErrUnknownPermission, resource)
	}
	if len(pairs(resource, action)) == 0 {
		return fmt.Errorf("%w: action %q on %q", ErrUnknownPermission, action, resource)
	}
	return nil
}

// checkRequest validates a concrete (resource, action) an operation asks
// about. Only names are known here, not pairs: asking whether a role may
// "claim" a report is a question with the answer no, not a bug.
func checkRequest(resource, action string) error {
	if !knownResource(resource) {
		return fmt.Errorf("%w: resource %q", ErrUnknownPermission, resource)
	}
	for _, a := range allActions {
		if a == action {
			return nil
		}
	}
	return fmt.Errorf("%w: action %q", ErrUnknownPermission, action)
}

// checkRule validates a row. builtin says which kind: built-in rows hold in
// every workspace and only allow (a built-in deny could never be lifted by a
// workspace); stored rows belong to one workspace and may deny.
func checkRule(r Rule, builtin bool) error {
	if err := checkRole(r.Role); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidRule, r, err)
	}
	if builtin {
		if r.Workspace != AllWorkspaces || r.Effect != Allow {
			return fmt.Errorf("%w: %s: built-in rows must be for %q and %q", ErrInvalidRule, r, AllWorkspaces, Allow)
		}
	} else {
		if err := checkWorkspace(r.Workspace); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidRule, r, err)
		}
		if r.Effect != Allow && r.Effect != Deny {
			return fmt.Errorf("%w: %s: effect must be %q or %q", ErrInvalidRule, r, Allow, Deny)
		}
	}
	if err := checkPattern(r.Resource, r.Action); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidRule, r, err)
	}
	return nil
}
