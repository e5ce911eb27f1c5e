// Package authz answers "may this viewer do this?" from the workspace's
// Casbin policy (internal/policy over policies/), keeps every process's copy of
// the policy current, and changes it on an admin's request.
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/policyrule"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/changetoken"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Channel is the Redis pub/sub channel on which policy changes are announced.
const Channel = "scrm:policy:changed"

// versionKey counts policy changes. Every decision compares it with the
// version this process loaded, so a change made through any server holds on
// the very next request everywhere, not just after the announcement arrives.
const versionKey = "scrm:policy:version"

// resyncEvery bounds how stale a process can be if it missed an announcement
// (for example while Redis restarted).
const resyncEvery = time.Minute

// Service is the authorizer of one process.
type Service struct {
	client   *ent.Client
	redis    redis.UniversalClient
	enforcer *policy.Enforcer
	clock    platform.Clock
	log      *slog.Logger

	mu      sync.Mutex
	version atomic.Int64 // policy version loaded into enforcer

	// While Redis does not answer, requests decide from the loaded policy
	// without asking it (each ask would wait for the client's retries,
	// about 1.8 s); one probe at a time runs off the request path once
	// every changetoken.RedisPause, until Redis answers again.
	downMu    sync.Mutex
	downUntil time.Time // zero: Redis answered last time
	probing   bool
	probes    sync.WaitGroup
}

// New loads the policy and returns the service. Call Watch to follow changes
// made by other processes.
func New(ctx context.Context, client *ent.Client, rdb redis.UniversalClient, clock platform.Clock, log *slog.Logger) (*Service, error) {
	e, err := policy.New(ctx, store{client})
	if err != nil {
		return nil, err
	}
	s := &Service{client: client, redis: rdb, enforcer: e, clock: clock, log: log}
	if v, err := s.currentVersion(ctx); err == nil {
		s.version.Store(v)
	}
	return s, nil
}

func (s *Service) currentVersion(ctx context.Context) (int64, error) {
	v, err := s.redis.Get(ctx, versionKey).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return v, err
}

// sync reloads the policy if another process changed it since this one loaded.
// With Redis unreachable it keeps deciding from the copy it has, and does
// not ask Redis on the request again until it answers a background probe.
func (s *Service) sync(ctx context.Context) {
	s.downMu.Lock()
	down, probe := !s.downUntil.IsZero(), false
	if down && !s.probing && !s.clock.Now().Before(s.downUntil) {
		s.probing, probe = true, true
		s.probes.Add(1)
	}
	s.downMu.Unlock()
	if probe {
		go s.probe(tenant.System(context.WithoutCancel(ctx)))
	}
	if down {
		return
	}
	// A Redis that answers does so in a millisecond; one that does not
	// would hold the request for its client's dial retries.
	ctx, cancel := context.WithTimeout(ctx, changetoken.ReadTimeout)
	defer cancel()
	s.check(ctx)
}

// check asks Redis for the policy version and reloads when it moved; a
// failure starts (or prolongs) the pause.
func (s *Service) check(ctx context.Context) {
	v, err := s.currentVersion(ctx)
	s.downMu.Lock()
	was := !s.downUntil.IsZero()
	if err != nil {
		s.downUntil = s.clock.Now().Add(changetoken.RedisPause)
	} else {
		s.downUntil = time.Time{}
	}
	s.downMu.Unlock()
	switch {
	case err != nil && !was:
		s.log.WarnContext(ctx, "policy version check failed; deciding from the loaded policy until Redis answers", "err", err)
		return
	case err != nil:
		return
	case was:
		s.log.InfoContext(ctx, "policy version check answered again")
	}
	if v == s.version.Load() {
		return
	}
	s.reload(ctx, v)
}

// probe is check off the request path, bounded by the pause.
func (s *Service) probe(ctx context.Context) {
	defer s.probes.Done()
	defer func() {
		s.downMu.Lock()
		s.probing = false
		s.downMu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(ctx, changetoken.RedisPause)
	defer cancel()
	s.check(ctx)
}

// reload re-reads the policy rows and records that version v is loaded.
func (s *Service) reload(ctx context.Context, v int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v != 0 && v == s.version.Load() {
		return
	}
	if err := s.enforcer.Reload(ctx); err != nil {
		s.log.ErrorContext(ctx, "reload policy", "err", err)
		return
	}
	s.version.Store(v)
}

// store reads every workspace's own policy rows from Postgres.
type store struct{ client *ent.Client }

func (s store) Load(ctx context.Context) ([]policy.Rule, error) {
	// All workspaces' rows: the enforcer keeps one overlay per workspace.
	rows, err := s.client.PolicyRule.Query().All(tenant.System(ctx))
	if err != nil {
		return nil, fmt.Errorf("load policy rows: %w", err)
	}
	out := make([]policy.Rule, len(rows))
	for i, r := range rows {
		out[i] = policy.Rule{Role: r.Role, Workspace: r.TenantID.String(), Resource: r.Resource, Action: r.Action, Effect: string(r.Effect)}
	}
	return out, nil
}

// Allowed reports whether v may perform action on resource.
func (s *Service) Allowed(ctx context.Context, v *auth.Viewer, resource, action string) (bool, error) {
	if !v.PolicySynced {
		s.sync(ctx)
	}
	return s.enforcer.Allowed(v.TenantID.String(), v.Roles, resource, action)
}

// Watch reloads the policy whenever any process announces a change, and on a
// timer as a safety net, until ctx ends.
func (s *Service) Watch(ctx context.Context) {
	sub := s.redis.Subscribe(ctx, Channel)
	defer sub.Close()
	msgs := sub.Channel()
	tick := time.NewTicker(resyncEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-msgs:
			if !ok {
				return
			}
		case <-tick.C:
		}
		v, err := s.currentVersion(ctx)
		if err != nil {
			continue
		}
		s.reload(ctx, v)
	}
}

// Permission is one effective allow of a role.
type Permission struct {
	Role, Resource, Action string
}

// Permissions lists the effective permissions of role (all roles when empty)
// in the viewer's workspace.
func (s *Service) Permissions(ctx context.Context, role string) ([]*Permission, error) {
	ws, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, tenant.ErrMissing
	}
	if role != "" && !policy.ValidRole(role) {
		return nil, apperr.Input("role", "invalid role name %q", role)
	}
	rules := s.enforcer.Permissions(ws.String(), role)
	out := make([]*Permission, len(rules))
	for i, r := range rules {
		out[i] = &Permission{Role: r.Role, Resource: r.Resource, Action: r.Action}
	}
	return out, nil
}

// Grant lets role perform action on resource in the viewer's workspace.
func (s *Service) Grant(ctx context.Context, role, resource, action string) error {
	return s.change(ctx, "permission.grant", role, resource, action, s.enforcer.Grant)
}

// Revoke takes the permission away.
func (s *Service) Revoke(ctx context.Context, role, resource, action string) error {
	return s.change(ctx, "permission.revoke", role, resource, action, s.enforcer.Revoke)
}

type changeFunc func(ctx context.Context, workspace, role, resource, action string) ([]policy.Change, error)

// change computes the rows to add and remove, persists them with an audit
// entry in one transaction and announces the change to every process.
func (s *Service) change(ctx context.Context, what, role, resource, action string, f changeFunc) error {
	ws, ok := tenant.FromContext(ctx)
	if !ok {
		return tenant.ErrMissing
	}
	changes, err := f(ctx, ws.String(), role, resource, action)
	if err != nil {
		return classify(err)
	}
	if err := s.persist(ctx, what, role, resource, action, changes); err != nil {
		// The in-memory enforcer already applied the change; re-read the truth.
		if rerr := s.enforcer.Reload(context.WithoutCancel(ctx)); rerr != nil {
			s.log.ErrorContext(ctx, "reload policy after failed change", "err", rerr)
		}
		return err
	}
	old := s.version.Load()
	v, err := s.redis.Incr(ctx, versionKey).Result()
	if err == nil {
		if v == old+1 {
			s.version.Store(v) // this process already holds the change in memory
		} else {
			s.reload(ctx, v) // someone else changed it meanwhile: read everything
		}
		err = s.redis.Publish(ctx, Channel, ws.String()).Err()
	}
	if err != nil {
		// Other processes catch up on their resync timer.
		s.log.WarnContext(ctx, "announce policy change", "err", err)
	}
	return nil
}

func (s *Service) persist(ctx context.Context, what, role, resource, action string, changes []policy.Change) error {
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return err
	}
	c := tx.Client()
	for _, ch := range changes {
		r := ch.Rule
		switch ch.Op {
		case policy.OpAdd:
			err = c.PolicyRule.Create().SetRole(r.Role).SetResource(r.Resource).SetAction(r.Action).
				SetEffect(policyrule.Effect(r.Effect)).
				OnConflictColumns(policyrule.FieldTenantID, policyrule.FieldRole, policyrule.FieldResource, policyrule.FieldAction).
				UpdateEffect().UpdateUpdatedAt().Exec(ctx)
		case policy.OpRemove:
			_, err = c.PolicyRule.Delete().Where(policyrule.Role(r.Role), policyrule.Resource(r.Resource),
				policyrule.Action(r.Action), policyrule.EffectEQ(policyrule.Effect(r.Effect))).Exec(ctx)
		}
		if err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("persist policy change: %w", err)
		}
	}
	detail := map[string]any{"role": role, "resource": resource, "action": action, "rows": len(changes)}
	if err := audit(ctx, c, s.clock.Now(), what, detail); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// audit writes one audit-log row for the viewer of ctx.
func audit(ctx context.Context, c *ent.Client, at time.Time, action string, detail map[string]any) error {
	q := c.AuditLog.Create().SetAt(at).SetAction(action).SetDetail(detail)
	if v := auth.FromContext(ctx); v != nil {
		if v.UserID != uuid.Nil {
			q.SetActorID(v.UserID)
		}
		if v.APIKeyID != uuid.Nil {
			q.SetAPIKeyID(v.APIKeyID)
		}
	}
	return q.Exec(ctx)
}

func classify(err error) error {
	switch {
	case errors.Is(err, policy.ErrInvalidRole):
		return apperr.Wrap(err, apperr.BadInput, "role", err.Error())
	case errors.Is(err, policy.ErrUnknownPermission):
		return apperr.Wrap(err, apperr.BadInput, "resource", err.Error())
	case errors.Is(err, policy.ErrProtected):
		return apperr.Wrap(err, apperr.Forbidden, "", err.Error())
	}
	return err
}

// Resolve fills the per-request decisions of v that row filtering and field
// masking need, with one policy-version check for all of them.
func (s *Service) Resolve(ctx context.Context, v *auth.Viewer) error {
	s.sync(ctx)
	v.PolicySynced = true
	ws := v.TenantID.String()
	v.LeadScopes = v.LeadScopes[:0]
	for _, sc := range policy.Scopes {
		ok, err := s.enforcer.Allowed(ws, v.Roles, policy.ResLeadScope, sc)
		if err != nil {
			return err
		}
		if ok {
			v.LeadScopes = append(v.LeadScopes, sc)
		}
	}
	ok, err := s.enforcer.Allowed(ws, v.Roles, policy.ResLeadContact, policy.ActRead)
	if err != nil {
		return err
	}
	v.ContactGrant = ok
	if ok, err = s.enforcer.Allowed(ws, v.Roles, policy.ResJob, policy.ActManage); err != nil {
		return err
	}
	v.AllJobs = ok
	if ok, err = s.enforcer.Allowed(ws, v.Roles, policy.ResTask, policy.ActManage); err != nil {
		return err
	}
	// task manage reaches the users whose leads the viewer manages: every
	// user for a viewer who sees every lead, else its teams' members.
	v.AllTasks = ok && slices.Contains(v.LeadScopes, policy.ScopeAll)
	v.TeamTasks = ok && !v.AllTasks
	return nil
}

type contactReadsKey struct{}

// ContactReads collects the leads whose unmasked contact data a partner read
// during one request, so the request writes one audit row, not one per lead.
type ContactReads struct {
	mu    sync.Mutex
	leads map[uuid.UUID]bool
}

// WithContactReads returns ctx with an empty collector.
func WithContactReads(ctx context.Context) (context.Context, *ContactReads) {
	c := &ContactReads{leads: map[uuid.UUID]bool{}}
	return context.WithValue(ctx, contactReadsKey{}, c), c
}

// RecordContactRead notes that the viewer read lead's unmasked contact data.
func RecordContactRead(ctx context.Context, lead uuid.UUID) {
	if c, ok := ctx.Value(contactReadsKey{}).(*ContactReads); ok {
		c.mu.Lock()
		c.leads[lead] = true
		c.mu.Unlock()
	}
}

// FlushContactReads writes the request's audit row, if anything was read.
func (s *Service) FlushContactReads(ctx context.Context, c *ContactReads) {
	c.mu.Lock()
	ids := make([]string, 0, len(c.leads))
	for id := range c.leads {
		ids = append(ids, id.String())
	}
	c.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	if err := audit(ctx, s.client, s.clock.Now(), "contact.read", map[string]any{"leads": ids}); err != nil {
		s.log.ErrorContext(ctx, "audit contact reads", "err", err)
	}
}

// MaskAttribute returns a value of a field of type t (a custom field, or a
// built-in contact field by its type) as the viewer of ctx may see it:
// contact-sensitive types (fields.Descriptor.Mask) are masked without the
// lead.contact grant, and unmasked reads by partners are recorded for the
// audit log. Other values are returned as they are.
func MaskAttribute(ctx context.Context, t fields.Type, lead uuid.UUID, val any) any {
	s, ok := val.(string)
	d, _ := fields.Describe(t)
	if !ok || !d.ContactSensitive() {
		return val
	}
	v := auth.FromContext(ctx)
	switch {
	case v == nil || !v.ContactGrant:
		return d.Mask(s)
	case v.HasRole("partner"):
		RecordContactRead(ctx, lead)
	}
	return val
}

// ErrMaskedField is the cause of a refusal to filter, sort or segment by a
// field the viewer sees masked.
var ErrMaskedField = errors.New("you see this field masked, so you cannot filter, sort or segment by it")

// SeesMasked reports whether the viewer of ctx sees values of type t
// masked: contact-sensitive types without the lead.contact grant. Work
// done without a viewer (workers, the CLI) sees every value.
func SeesMasked(ctx context.Context, t fields.Type) bool {
	if !fields.ContactSensitive(t) {
		return false
	}
	v := auth.FromContext(ctx)
	return v != nil && !v.ContactGrant
}

// CheckSearchable refuses, as FORBIDDEN at field, a filter, sort or segment
// condition on a field of type t that the viewer of ctx sees masked, whatever
// its operator: an exact match is as good a guess as a substring.
func CheckSearchable(ctx context.Context, field string, t fields.Type) error {
	if SeesMasked(ctx, t) {
		return apperr.Wrap(ErrMaskedField, apperr.Forbidden, field, ErrMaskedField.Error())
	}
	return nil
}
