package policy

import "slices"

// Resources a policy row can name. Dotted names are parts of a larger
// resource that need their own grant: lead.contact is reading the unmasked
// phone and email of a lead, which a role may lack while still reading the
// lead.
const (
	ResLead         = "lead"
	ResLeadContact  = "lead.contact"  // unmasked phone and email of a lead
	ResLeadFollowUp = "lead.followup" // follow-up records (calls, visits, notes)
	ResLeadTag      = "lead.tag"      // putting tags on and taking them off leads
	ResLeadImport   = "lead.import"   // importing a CSV file of leads (a job)
	ResLeadExport   = "lead.export"   // exporting leads to a CSV file (a job), masked as the role sees them
	ResLeadBulk     = "lead.bulk"     // changing every lead matching a filter at once (a job); each action needs its own permission too
	// ResLeadScope decides which leads a role sees at all (the row filter);
	// its actions are the scopes below, and a role's scope is their union.
	ResLeadScope = "lead.scope"
	ResPool      = "pool"
	ResSegment   = "segment"
	ResBroadcast = "broadcast"
	ResJourney   = "journey" // SOP journeys: their definitions and enrolments
	ResField     = "field"
	ResPipeline  = "pipeline"
	ResTag       = "tag" // tag groups and tags themselves, not tagging leads
	ResUser      = "user"
	ResTerritory = "territory"
	ResTeam      = "team"
	ResPartner   = "partner"
	ResPolicy    = "policy"
	ResChannel   = "channel"
	ResReport    = "report"
	ResAPIKey    = "apikey"
	ResRule      = "rule" // assignment, scoring and recycle rules
	ResOps       = "ops"  // queue monitoring and other operator tools
	ResJob       = "job"  // long jobs (imports, exports, syncs): manage sees and cancels everyone's
	ResTask      = "task" // to-dos (SOP tasks, follow-up promises): one's own; manage sees and completes everyone's
)

// Actions a policy row can name.
const (
	ActRead    = "read"
	ActWrite   = "write" // create and update
	ActDelete  = "delete"
	ActClaim   = "claim"   // take a lead from a public pool
	ActAssign  = "assign"  // give a lead to someone else
	ActRelease = "release" // return a lead to a public pool
	ActManage  = "manage"  // the privileged part of a resource: roles of users, operator actions
)

// Scopes: the actions of ResLeadScope.
const (
	ScopeAll       = "all"       // every lead of the workspace
	ScopeTeam      = "team"      // leads owned by members of teams the user manages
	ScopeTerritory = "territory" // leads in the user's territories and below
	ScopePool      = "pool"      // unowned leads of public pools open to the user
	ScopeOwn       = "own"       // leads the user owns
	ScopePartner   = "partner"   // leads of the user's partner account or its territories
)

// Scopes lists every lead scope.
var Scopes = []string{ScopeAll, ScopeTeam, ScopeTerritory, ScopePool, ScopeOwn, ScopePartner}

// readOnlyScopes show leads without letting the role change them. The
// unowned leads of a pool are shown so that they can be claimed; editing
// one, logging a follow-up, tagging, moving its stage or recording a deal
// waits until someone owns it.
var readOnlyScopes = []string{ScopePool}

// WriteScopes returns the scopes among scopes that also let a role change
// the leads they show: read scope minus the read-only scopes. The lead
// (and lead.followup, lead.tag) write permission is decided separately.
func WriteScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		if !slices.Contains(readOnlyScopes, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// Any is the wildcard a row may use for its resource or action.
const Any = "*"

// vocabulary lists which actions make sense on which resource. Grant and
// Revoke refuse pairs outside it, which catches typos that would otherwise
// be stored as rules that never match, and Permissions walks it to show
// effective rights as a plain matrix.
var vocabulary = []struct {
	resource string
	actions  []string
}{
	{ResLead, []string{ActRead, ActWrite, ActDelete, ActClaim, ActAssign, ActRelease}},
	{ResLeadContact, []string{ActRead}},
	{ResLeadFollowUp, []string{ActRead, ActWrite, ActDelete}},
	{ResLeadTag, []string{ActWrite}},
	{ResLeadImport, []string{ActWrite}},
	{ResLeadExport, []string{ActRead}},
	{ResLeadBulk, []string{ActWrite}},
	{ResLeadScope, Scopes},
	{ResPool, []string{ActRead, ActWrite, ActDelete}},
	{ResSegment, []string{ActRead, ActWrite, ActDelete}},
	{ResBroadcast, []string{ActRead, ActWrite, ActDelete}},
	{ResJourney, []string{ActRead, ActWrite}},
	{ResField, []string{ActRead, ActWrite, ActDelete}},
	{ResPipeline, []string{ActRead, ActWrite, ActDelete}},
	{ResTag, []string{ActRead, ActWrite, ActDelete}},
	{ResUser, []string{ActRead, ActWrite, ActDelete, ActManage}},
	{ResTerritory, []string{ActRead, ActWrite, ActDelete}},
	{ResTeam, []string{ActRead, ActWrite, ActDelete}},
	{ResPartner, []string{ActRead, ActWrite, ActDelete}},
	{ResPolicy, []string{ActRead, ActWrite}},
	{ResChannel, []string{ActRead, ActWrite, ActDelete}},
	{ResReport, []string{ActRead, ActWrite}},
	{ResAPIKey, []string{ActRead, ActWrite, ActDelete}},
	{ResRule, []string{ActRead, ActWrite, ActDelete}},
	{ResOps, []string{ActRead, ActManage}},
	{ResJob, []string{ActManage}},
	{ResTask, []string{ActRead, ActWrite, ActManage}},
}

// allActions is every action of the vocabulary, for validating requests.
var allActions = append([]string{ActRead, ActWrite, ActDelete, ActClaim, ActAssign, ActRelease, ActManage}, Scopes...)

// pair is one concrete (resource, action) permission.
type pair struct{ resource, action string }

// Resources returns the resource names policy rows may use, in a stable
// order, for admin UIs and for tests that check callers use known names.
func Resources() []string {
	out := make([]string, len(vocabulary))
	for i, v := range vocabulary {
		out[i] = v.resource
	}
	return out
}

// Actions returns the actions that apply to resource, or nil if the resource
// is unknown.
func Actions(resource string) []string {
	for _, v := range vocabulary {
		if v.resource == resource {
			return slices.Clone(v.actions)
		}
	}
	return nil
}

// knownResource reports whether name is a resource of the vocabulary.
func knownResource(name string) bool { return Actions(name) != nil }

// pairs returns the vocabulary pairs matched by a resource and action
// pattern, each either a name or Any.
func pairs(resource, action string) []pair {
	var out []pair
	for _, v := range vocabulary {
		if resource != Any && resource != v.resource {
			continue
		}
		for _, a := range v.actions {
			if action == Any || action == a {
				out = append(out, pair{v.resource, a})
			}
		}
	}
	return out
}
