package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/auth"
)

// Permission is what a root field requires: a Casbin (resource, action) pair,
// or one of the two special levels below.
type Permission struct {
	Resource, Action string
}

var (
	// Public fields need no credentials at all.
	Public = Permission{Resource: "public"}
	// Authenticated fields need a signed-in caller and no particular grant.
	Authenticated = Permission{Resource: "authenticated"}
)

// RootPermissions declares the permission of every root field. A field missing
// here is refused for everyone, and a test walks the schema to make sure none is.
var RootPermissions = map[string]Permission{
	"Mutation.login": Public,

	"Query.me":          Authenticated,
	"Query.node":        Authenticated, // row scope and type checks happen in the node's own query
	"Query.nodes":       Authenticated,
	"Query.__schema":    Authenticated,
	"Query.__type":      Authenticated,
	"Query.leads":       {"lead", "read"},
	"Query.users":       {"user", "read"},
	"Query.teams":       {"team", "read"},
	"Query.territories": {"territory", "read"},
	"Query.partners":    {"partner", "read"},
	"Query.pools":       {"pool", "read"},
	"Query.pipelines":   {"pipeline", "read"},
	"Query.lostReasons": {"pipeline", "read"},
	"Query.tags":        {"tag", "read"},
	"Query.tagGroups":   {"tag", "read"},
	"Query.apiKeys":     {"apikey", "read"},
	"Query.permissions": Authenticated, // a caller's own roles; others need policy read (checked in the resolver)

	"Query.fieldDefinitions": {"field", "read"},
	"Query.fieldTypes":       Authenticated, // the server's type table, and what the caller sees masked
	"Query.notifications":    Authenticated, // the caller's own
	"Query.assignmentRules":  {"rule", "read"},
	"Query.scoringRules":     {"rule", "read"},
	"Query.tierThresholds":   {"rule", "read"},
	"Query.overdueFollowUps": {"lead.followup", "read"}, // another rep's list needs lead.assign too
	"Query.myWorkload":       {"lead", "read"},          // the caller's own figures
	"Query.claimBlocks":      {"lead", "claim"},
	"Query.myTasks":          {"task", "read"},   // the caller's own
	"Query.tasks":            {"task", "manage"}, // its teams' members' (everyone's for a caller who sees every lead)
	"Query.contactWays":      {"channel", "read"},
	"Query.weComMassSend":    {"broadcast", "read"}, // members under the caller's row scope
	"Query.weComMedia":       {"channel", "write"},  // as uploadWeComMedia
	"Query.weComJsSdkConfig": Authenticated,         // the sidebar's page, signed for any signed-in user
	"Query.weComCustomer":    {"lead", "read"},      // under row scope and masking
	"Query.segments":         {"segment", "read"},
	"Query.broadcasts":       {"broadcast", "read"},
	"Query.funnel":           {"report", "read"},
	"Query.leaderboard":      {"report", "read"},
	"Query.channels":         {"channel", "read"},
	"Query.previewSegment":   {"segment", "read"},
	"Query.journeys":         {"journey", "read"},
	"Query.savedViews":       {"lead", "read"}, // the caller's own and the shared ones
	"Query.duplicateGroups":  {"lead", "read"}, // under row scope; masked keys FORBIDDEN

	"Query.notificationPage":        Authenticated, // the caller's own, paged
	"Query.unreadNotificationCount": Authenticated, // the caller's own

	"Subscription.notificationAdded": Authenticated, // the caller's own, live

	"Mutation.ingestLeads":           {"lead", "write"},
	"Mutation.mergeLeads":            {"lead", "write"},
	"Mutation.dismissDuplicateGroup": {"lead", "write"}, // and each lead in write scope, as a merge
	"Mutation.restoreDuplicateGroup": {"lead", "write"},
	"Mutation.createFollowUp":        {"lead.followup", "write"},
	"Mutation.createDeal":            {"lead", "write"},
	"Mutation.trackEvents":           {"lead", "write"},
	"Mutation.markNotificationsRead": Authenticated,

	"Mutation.configureChannel":     {"channel", "write"},
	"Mutation.createBroadcast":      {"broadcast", "write"},
	"Mutation.cancelBroadcast":      {"broadcast", "write"},
	"Mutation.createSegment":        {"segment", "write"},
	"Mutation.updateSegment":        {"segment", "write"},
	"Mutation.refreshSegment":       {"segment", "write"},
	"Mutation.deleteSegment":        {"segment", "delete"},
	"Mutation.createJourney":        {"journey", "write"},
	"Mutation.updateJourney":        {"journey", "write"},
	"Mutation.setJourneyStatus":     {"journey", "write"},
	"Mutation.enrollLeads":          {"journey", "write"}, // and the leads in the caller's write scope
	"Mutation.completeTask":         {"task", "write"},    // a task the caller sees (its own, or any with task manage)
	"Mutation.createTask":           {"task", "write"},    // for another user: task manage, checked by the service
	"Mutation.updateTask":           {"task", "write"},    // a task the caller sees; a new assignee as createTask
	"Mutation.cancelTask":           {"task", "write"},    // a task the caller sees
	"Mutation.createContactWay":     {"channel", "write"},
	"Mutation.updateContactWay":     {"channel", "write"},
	"Mutation.deleteContactWay":     {"channel", "write"},
	"Mutation.restoreContactWay":    {"channel", "write"},
	"Mutation.uploadWeComImage":     {"channel", "write"},
	"Mutation.uploadWeComMedia":     {"channel", "write"},
	"Mutation.deleteWeComMedia":     {"channel", "write"},
	"Mutation.remindWeComMassSend":  {"broadcast", "write"},
	"Mutation.addWeComCustomerLead": {"lead", "write"}, // the caller's own member's customer
	// A view is the caller's own preference: reading the list is enough.
	"Mutation.saveView":        {"lead", "read"},
	"Mutation.updateSavedView": {"lead", "read"},
	"Mutation.deleteSavedView": {"lead", "read"}, // another's shared view needs user manage too

	"Mutation.createFieldDefinition":    {"field", "write"},
	"Mutation.updateFieldDefinition":    {"field", "write"},
	"Mutation.archiveFieldDefinition":   {"field", "write"},
	"Mutation.unarchiveFieldDefinition": {"field", "write"},
	"Mutation.createPipeline":           {"pipeline", "write"},
	"Mutation.addStage":                 {"pipeline", "write"},
	"Mutation.updatePipeline":           {"pipeline", "write"},
	"Mutation.createLostReason":         {"pipeline", "write"},
	"Mutation.archiveLostReason":        {"pipeline", "write"},
	"Mutation.updateStage":              {"pipeline", "write"},
	"Mutation.reorderStages":            {"pipeline", "write"},
	"Mutation.archiveStage":             {"pipeline", "write"},
	"Mutation.mergeStage":               {"pipeline", "write"},
	"Mutation.deleteStage":              {"pipeline", "delete"},
	"Mutation.createTagGroup":           {"tag", "write"},
	"Mutation.createTag":                {"tag", "write"},
	"Mutation.updateTagGroup":           {"tag", "write"},
	"Mutation.deleteTagGroup":           {"tag", "write"},
	"Mutation.updateTag":                {"tag", "write"},
	"Mutation.deleteTag":                {"tag", "write"},
	"Mutation.tagLeads":                 {"lead.tag", "write"},
	"Mutation.untagLeads":               {"lead.tag", "write"},
	"Mutation.updateLead":               {"lead", "write"},
	"Mutation.suppress":                 {"lead", "write"},

	"Mutation.createPool":           {"pool", "write"},
	"Mutation.updatePool":           {"pool", "write"},
	"Mutation.claimLeads":           {"lead", "claim"},
	"Mutation.releaseLeads":         {"lead", "release"},
	"Mutation.assignLeads":          {"lead", "assign"},
	"Mutation.distributeLeads":      {"lead", "assign"},
	"Mutation.recyclePools":         {"pool", "write"},
	"Mutation.createAssignmentRule": {"rule", "write"},
	"Mutation.updateAssignmentRule": {"rule", "write"},
	"Mutation.deleteAssignmentRule": {"rule", "write"},
	"Mutation.createScoringRule":    {"rule", "write"},
	"Mutation.updateScoringRule":    {"rule", "write"},
	"Mutation.deleteScoringRule":    {"rule", "write"},
	"Mutation.setTierThresholds":    {"rule", "write"},
	"Mutation.moveLeadStage":        {"lead", "write"},

	"Mutation.importLeads":       {"lead.import", "write"},
	"Mutation.exportLeads":       {"lead.export", "read"},
	"Mutation.bulkUpdateLeads":   {"lead.bulk", "write"}, // and the action's own permission (graph/bulk.go)
	"Mutation.cancelJob":         Authenticated,          // the caller's own jobs, or every one with job manage (internal/scope)
	"Query.jobs":                 Authenticated,          // the same jobs, paged
	"Mutation.syncWeComContacts": {"channel", "write"},

	"Mutation.grantPermission":  {"policy", "write"},
	"Mutation.revokePermission": {"policy", "write"},

	"Mutation.createAPIKey":    {"apikey", "write"},
	"Mutation.revokeAPIKey":    {"apikey", "write"},
	"Mutation.createTerritory": {"territory", "write"},
	"Mutation.updateTerritory": {"territory", "write"},
	"Mutation.deleteTerritory": {"territory", "write"},
	"Mutation.createUser":      {"user", "write"},
	"Mutation.updateUser":      {"user", "write"},
	"Mutation.createTeam":      {"team", "write"},
	"Mutation.createPartner":   {"partner", "write"},
}

// authorizePermissionsRead lets anyone read the permissions of a role they
// hold, so apps can show each user what their roles allow (the web app hides
// what would be refused); other roles, and all roles at once, need policy read.
func authorizePermissionsRead(ctx context.Context, az Authorizer, role *string) error {
	if v := auth.FromContext(ctx); v != nil && role != nil && v.HasRole(*role) {
		return nil
	}
	return Authorize(ctx, az, Permission{Resource: "policy", Action: "read"})
}

// Authorizer decides whether the viewer may perform action on resource.
type Authorizer interface {
	Allowed(ctx context.Context, v *auth.Viewer, resource, action string) (bool, error)
}

type authErrKey struct{}

// WithAuthError records why the request's credentials were refused, so a root
// field that needs them reports that reason (and login still works).
func WithAuthError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, authErrKey{}, err)
}

// AuthError is why the request's credentials were refused (WithAuthError),
// or nil when none were sent or they were accepted.
func AuthError(ctx context.Context) error {
	err, _ := ctx.Value(authErrKey{}).(error)
	return err
}

// Authorize checks that the caller of ctx holds perm. The REST bulk
// endpoints use it too, so they answer exactly as the GraphQL fields do.
func Authorize(ctx context.Context, az Authorizer, perm Permission) error {
	if perm == Public {
		return nil
	}
	v := auth.FromContext(ctx)
	if v == nil {
		if err, ok := ctx.Value(authErrKey{}).(error); ok {
			return err
		}
		return auth.ErrUnauthenticated
	}
	if perm == Authenticated {
		return nil
	}
	allowed, err := az.Allowed(ctx, v, perm.Resource, perm.Action)
	if err != nil {
		return err
	}
	if !allowed {
		return fmt.Errorf("%w: %s %s", auth.ErrForbidden, perm.Action, perm.Resource)
	}
	return nil
}

// AuthorizeRootFields is the one place every root field is checked before its
// resolver runs. It is a root-field middleware: a field middleware would run
// for every field of every lead of a page (a tenth of a list's CPU) to let
// all but the root ones through.
func AuthorizeRootFields(az Authorizer) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		rc := graphql.GetRootFieldContext(ctx)
		if rc == nil || rc.Field.Field == nil || rc.Field.ObjectDefinition == nil {
			// Not a root field as gqlgen runs them: refuse rather than guess.
			graphql.AddError(ctx, fmt.Errorf("%w: a root field without its context", auth.ErrForbidden))
			return graphql.Null
		}
		// gqlgen's RootFieldContext.Object holds the field's name; the type
		// is the field's object definition.
		object := rc.Field.ObjectDefinition.Name
		perm, ok := RootPermissions[object+"."+rc.Field.Name]
		var err error
		if !ok {
			err = fmt.Errorf("%w: %s.%s declares no permission", auth.ErrForbidden, object, rc.Field.Name)
		} else {
			err = Authorize(ctx, az, perm)
		}
		if err != nil {
			// Reported at the field's path, as its resolver's error would be.
			fc := &graphql.FieldContext{Object: object, Field: rc.Field}
			graphql.AddError(graphql.WithFieldContext(ctx, fc), err)
			return graphql.Null
		}
		return next(ctx)
	}
}

// RequireAuthentication refuses, before any argument is read, an operation
// that selects a non-public root field without valid credentials, so such a
// caller learns nothing but UNAUTHENTICATED.
type RequireAuthentication struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = RequireAuthentication{}

// ExtensionName names the extension.
func (RequireAuthentication) ExtensionName() string { return "RequireAuthentication" }

// Validate is a no-op.
func (RequireAuthentication) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext checks the operation's root fields.
func (RequireAuthentication) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || auth.FromContext(ctx) != nil {
		return nil
	}
	root := cases.Title(language.Und).String(string(oc.Operation.Operation))
	for _, name := range rootFieldNames(oc.Operation.SelectionSet, oc.Doc.Fragments, 0) {
		if name == "__typename" || RootPermissions[root+"."+name] == Public {
			continue
		}
		gerr := gqlerror.Errorf("%s", auth.ErrUnauthenticated.Error())
		gerr.Extensions = map[string]any{"code": "UNAUTHENTICATED"}
		return gerr
	}
	return nil
}

func rootFieldNames(set ast.SelectionSet, frags ast.FragmentDefinitionList, depth int) []string {
	if depth > 8 {
		return nil
	}
	var out []string
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s.Name)
		case *ast.InlineFragment:
			out = append(out, rootFieldNames(s.SelectionSet, frags, depth+1)...)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				out = append(out, rootFieldNames(f.SelectionSet, frags, depth+1)...)
			}
		}
	}
	return out
}

// checkAssignable refuses giving roles the caller could not hold all of
// (authz.CheckAssignable), at field[i].
func (r *Resolver) checkAssignable(ctx context.Context, field string, roles []string) error {
	v, err := viewer(ctx)
	if err != nil {
		return err
	}
	return r.Authz.CheckAssignable(ctx, v, field, roles)
}

// checkManageable refuses changing the user id when they hold roles the
// caller could not give (FORBIDDEN at id), and giving them roles the caller
// could not (at input.roles[i]). Callers change themselves freely, within
// the second check. A user of another workspace is left to the update's
// NOT_FOUND.
func (r *Resolver) checkManageable(ctx context.Context, id uuid.UUID, roles []string) error {
	v, err := viewer(ctx)
	if err != nil {
		return err
	}
	if id != v.UserID {
		u, err := r.db(ctx).User.Get(ctx, id)
		if err != nil && !ent.IsNotFound(err) {
			return err
		}
		if u != nil {
			if err := r.Authz.CheckManageable(ctx, v, "id", u.Roles); err != nil {
				return err
			}
		}
	}
	if roles == nil {
		return nil
	}
	return r.Authz.CheckAssignable(ctx, v, "input.roles", roles)
}
