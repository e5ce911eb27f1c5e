// Package graph holds the GraphQL resolvers: thin functions that parse input,
// rely on the authorization middleware and delegate to internal services.
package graph

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/funnel"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/segment"
)

// Resolver is the root resolver; its fields are the services resolvers call.
type Resolver struct {
	Client *ent.Client
	Auth   *auth.Service
	Authz  *authz.Service
	Fields *fielddefs.Service
	Clock  platform.Clock
	// Ingester writes leads (ingestLeads and the REST bulk endpoint).
	Ingester *leads.Ingester
	// Events records behaviour events (trackEvents and POST /v1/events).
	Events *events.Service
	// Queue takes background work (re-scoring after events and merges); nil in tools.
	Queue LeadsQueue
	// Pools claims, releases, assigns and recycles leads.
	Pools *pool.Service
	// Assigner runs the assignment rules (distributeLeads).
	Assigner *assign.Engine
	// Distribution takes the background work of distribution changes; nil in tools.
	Distribution DistributionQueue
	// Segments previews, saves and reads segments.
	Segmenter *segment.Service
	// Broadcaster configures channels and schedules broadcasts.
	Broadcaster *broadcast.Service
	// Reports computes the funnel and the leaderboard.
	Reports *funnel.Service
	// Feed announces new notifications to Subscription.notificationAdded;
	// nil: the subscription is refused.
	Feed NotificationFeed
	// Services is the set the fields above come from (app.New); resolvers
	// reach the other services through it.
	Services *app.Services
}

// LeadsQueue queues work about changed leads (jobs.Queue), in the
// transaction ctx carries.
type LeadsQueue interface {
	LeadsChanged(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) error
}

// db returns the client of the request: the transaction entgql.Transactioner
// opened for a mutation, or the root client for queries.
func (r *Resolver) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.Client
}

// nodeTables maps each ID type to the table node(id:) reads.
var nodeTables = map[gid.Type]string{}

func init() {
	for _, t := range []struct {
		typ   gid.Type
		table string
	}{
		{gid.Workspace, "workspaces"}, {gid.User, "users"}, {gid.Team, "teams"}, {gid.Territory, "territories"},
		{gid.Partner, "partners"}, {gid.Lead, "leads"}, {gid.APIKey, "api_keys"}, {gid.Pool, "pools"},
		{gid.Pipeline, "pipelines"}, {gid.Stage, "stages"}, {gid.TagGroup, "tag_groups"}, {gid.Tag, "tags"},
		{gid.FieldDefinition, "field_definitions"}, {gid.StageChange, "stage_changes"}, {gid.LostReason, "lost_reasons"},
		{gid.Segment, "segments"}, {gid.Broadcast, "broadcasts"}, {gid.Channel, "channels"},
		{gid.Journey, "journeys"}, {gid.Enrollment, "enrollments"}, {gid.Task, "tasks"}, {gid.SavedView, "saved_views"},
	} {
		nodeTables[t.typ] = t.table
	}
}

// nodePermissions is what node(id:) and nodes(ids:) need to read an id of
// each type: the read permission of the type's own list (users, segments,
// broadcasts, ...), so an id met in a response (an owner, a segment's
// author) opens no more than the lists do. Without it the answer is
// FORBIDDEN before any row is read, so it says nothing about the id; a type
// missing here is refused. Leads, tasks and jobs are then narrowed by their
// own row checks (NOT_FOUND outside them).
var nodePermissions = map[gid.Type]Permission{
	gid.Workspace: Authenticated, gid.Job: Authenticated, // me.workspace; a job's own check
	gid.User: {"user", "read"}, gid.Team: {"team", "read"}, gid.Territory: {"territory", "read"},
	gid.Partner: {"partner", "read"}, gid.APIKey: {"apikey", "read"}, gid.Pool: {"pool", "read"},
	gid.Lead: {"lead", "read"}, gid.StageChange: {"lead", "read"}, gid.SavedView: {"lead", "read"},
	gid.Pipeline: {"pipeline", "read"}, gid.Stage: {"pipeline", "read"}, gid.LostReason: {"pipeline", "read"},
	gid.TagGroup: {"tag", "read"}, gid.Tag: {"tag", "read"}, gid.FieldDefinition: {"field", "read"},
	gid.Segment: {"segment", "read"}, gid.Broadcast: {"broadcast", "read"}, gid.Channel: {"channel", "read"},
	gid.Journey: {"journey", "read"}, gid.Enrollment: {"journey", "read"}, gid.Task: {"task", "read"},
}

// nodeType tells ent's Noder which table an id lives in, from the type the
// id carries, once the caller may read that type (nodePermissions).
func (r *Resolver) nodeType(ctx context.Context, id uuid.UUID) (string, error) {
	t, ok := gid.TypeOf(id)
	if !ok {
		return "", &ent.NotFoundError{}
	}
	table, ok := nodeTables[t]
	if !ok {
		return "", &ent.NotFoundError{}
	}
	perm, ok := nodePermissions[t]
	if !ok {
		return "", fmt.Errorf("%w: node(id:) of a %s declares no permission", auth.ErrForbidden, t)
	}
	if err := Authorize(ctx, r.Authz, perm); err != nil {
		return "", err
	}
	return table, nil
}

func viewer(ctx context.Context) (*auth.Viewer, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, auth.ErrUnauthenticated
	}
	return v, nil
}
