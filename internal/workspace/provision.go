// Package workspace provisions tenants: a new workspace with the defaults every
// workspace starts from (pipeline, lost reasons, public pool, first admin).
package workspace

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/schema"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/workspace"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
)

// ErrExists is returned when the slug is taken.
var ErrExists = errors.New("workspace already exists")

// Spec describes a workspace to create and its first admin.
type Spec struct {
	Slug          string
	Name          string
	AdminName     string
	AdminEmail    string
	AdminPassword string
	Timezone      string // default Asia/Shanghai
	DefaultRegion string // default CN
}

// Created is the result of Create.
type Created struct {
	Workspace *ent.Workspace
	Admin     *ent.User
}

// DefaultStages is the pipeline a new workspace starts with; admins change it.
var DefaultStages = []struct {
	Key, Name   string
	Kind        stage.Kind
	Probability int
	Funnel      *stage.FunnelStep
}{
	{"new", "新线索", stage.KindOPEN, 5, ptr(stage.FunnelStepLISTED)},
	{"contacted", "已联系", stage.KindOPEN, 15, ptr(stage.FunnelStepINTERACTED)},
	{"intent", "有意向", stage.KindOPEN, 40, ptr(stage.FunnelStepINTENT)},
	{"negotiating", "谈判中", stage.KindOPEN, 70, ptr(stage.FunnelStepINTENT)},
	{"won", "赢单", stage.KindWON, 100, ptr(stage.FunnelStepDEAL)},
	{"lost", "输单", stage.KindLOST, 0, nil},
}

// DefaultLostReasons is the lost-reason list a new workspace starts with.
var DefaultLostReasons = []string{"价格太高", "选择了竞品", "暂无需求", "联系不上", "其他"}

func ptr[T any](v T) *T { return &v }

// Create makes a workspace with its defaults and first admin in one transaction.
func Create(ctx context.Context, client *ent.Client, s Spec) (*Created, error) {
	s.Slug = strings.ToLower(strings.TrimSpace(s.Slug))
	if !schema.SlugPattern.MatchString(s.Slug) {
		return nil, apperr.Input("slug", "slug must be 2-63 lower-case letters, digits or dashes")
	}
	if strings.TrimSpace(s.Name) == "" {
		return nil, apperr.Input("name", "name is required")
	}
	hash, err := auth.HashPassword(s.AdminPassword)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.BadInput, "adminPassword", err.Error())
	}
	if s.Timezone == "" {
		s.Timezone = "Asia/Shanghai"
	}
	if s.DefaultRegion == "" {
		s.DefaultRegion = "CN"
	}
	sys := tenant.System(ctx)
	tx, err := client.Tx(sys)
	if err != nil {
		return nil, err
	}
	out, err := create(sys, tx.Client(), s, hash)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return out, tx.Commit()
}

func create(sys context.Context, c *ent.Client, s Spec, hash string) (*Created, error) {
	if n, err := c.Workspace.Query().Where(workspace.Slug(s.Slug)).Count(sys); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, fmt.Errorf("%w: %s", ErrExists, s.Slug)
	}
	ws, err := c.Workspace.Create().SetSlug(s.Slug).SetName(s.Name).
		SetSettings(schematype.WorkspaceSettings{DefaultRegion: s.DefaultRegion, Timezone: s.Timezone}).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	ctx := tenant.NewContext(sys, ws.ID)
	if err := seedDefaults(ctx, c); err != nil {
		return nil, err
	}
	admin, err := c.User.Create().SetName(s.AdminName).SetEmail(strings.ToLower(strings.TrimSpace(s.AdminEmail))).
		SetPasswordHash(hash).SetRoles([]string{"admin"}).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create admin: %w", err)
	}
	return &Created{Workspace: ws, Admin: admin}, nil
}

func seedDefaults(ctx context.Context, c *ent.Client) error {
	p, err := c.Pipeline.Create().SetName("默认销售流程").SetIsDefault(true).Save(ctx)
	if err != nil {
		return fmt.Errorf("create pipeline: %w", err)
	}
	stages := make([]*ent.StageCreate, len(DefaultStages))
	for i, d := range DefaultStages {
		stages[i] = c.Stage.Create().SetPipelineID(p.ID).SetKey(d.Key).SetName(d.Name).
			SetPosition(i).SetKind(d.Kind).SetProbability(d.Probability).SetNillableFunnelStep(d.Funnel)
	}
	if err := c.Stage.CreateBulk(stages...).Exec(ctx); err != nil {
		return fmt.Errorf("create stages: %w", err)
	}
	reasons := make([]*ent.LostReasonCreate, len(DefaultLostReasons))
	for i, r := range DefaultLostReasons {
		reasons[i] = c.LostReason.Create().SetName(r).SetPosition(i)
	}
	if err := c.LostReason.CreateBulk(reasons...).Exec(ctx); err != nil {
		return fmt.Errorf("create lost reasons: %w", err)
	}
	err = c.Pool.Create().SetName("公海").SetIsDefault(true).
		SetRecycleNoFollowUpDays(10).SetRecycleNoDealDays(30).SetRemindBeforeDays(2).
		SetCooldownDays(7).SetProtectionDays(3).SetDailyClaimLimit(20).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("create pool: %w", err)
	}
	return nil
}

// BySlug returns the workspace with slug (a system lookup).
func BySlug(ctx context.Context, client *ent.Client, slug string) (*ent.Workspace, error) {
	return client.Workspace.Query().Where(workspace.Slug(slug)).Only(tenant.System(ctx))
}

// NextLeadSeq reserves n lead numbers of workspace id and returns the first.
// It runs as its own statement, outside any caller transaction, so concurrent
// ingests do not queue on the workspace row; a rolled-back ingest leaves a gap,
// which bitmaps tolerate.
func NextLeadSeq(ctx context.Context, client *ent.Client, id uuid.UUID, n int) (int64, error) {
	rows, err := client.QueryContext(tenant.System(ctx),
		`UPDATE workspaces SET lead_seq = lead_seq + $1 WHERE id = $2 RETURNING lead_seq`, n, id)
	if err != nil {
		return 0, fmt.Errorf("reserve lead numbers: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return 0, fmt.Errorf("reserve lead numbers: workspace %s not found", id)
	}
	var last int64
	if err := rows.Scan(&last); err != nil {
		return 0, err
	}
	return last - int64(n) + 1, rows.Err()
}

// SettingsOf returns the settings of workspace id with defaults filled in.
func SettingsOf(ctx context.Context, client *ent.Client, id uuid.UUID) (schematype.WorkspaceSettings, error) {
	w, err := client.Workspace.Get(tenant.System(ctx), id)
	if err != nil {
		return schematype.WorkspaceSettings{}, fmt.Errorf("read workspace settings: %w", err)
	}
	return WithDefaults(w.Settings), nil
}

// WithDefaults returns settings s as read from a workspaces row, with the
// defaults of what it leaves unset filled in.
func WithDefaults(s schematype.WorkspaceSettings) schematype.WorkspaceSettings {
	if s.DefaultRegion == "" {
		s.DefaultRegion = "CN"
	}
	if s.Timezone == "" {
		s.Timezone = "Asia/Shanghai"
	}
	return s
}

// DefaultTiers are the score thresholds of a workspace that set none.
var DefaultTiers = schematype.TierThresholds{A: 80, B: 50, C: 20}

// TiersOf returns the tier thresholds of settings s, defaults filled in.
func TiersOf(s schematype.WorkspaceSettings) schematype.TierThresholds {
	if s.Tiers == nil {
		return DefaultTiers
	}
	return *s.Tiers
}

// SetTiers stores new tier thresholds for workspace id; they must fall
// strictly (A > B > C).
func SetTiers(ctx context.Context, client *ent.Client, id uuid.UUID, t schematype.TierThresholds) error {
	if t.A <= t.B || t.B <= t.C {
		return apperr.Input("input", "thresholds must fall strictly: a > b > c (got %d, %d, %d)", t.A, t.B, t.C)
	}
	sys := tenant.System(ctx)
	return txn.WithTx(sys, client, func(c *ent.Client) error {
		w, err := c.Workspace.Query().Where(workspace.ID(id)).ForUpdate().Only(sys)
		if err != nil {
			return fmt.Errorf("read workspace settings: %w", err)
		}
		s := w.Settings
		s.Tiers = &t
		return c.Workspace.UpdateOneID(id).SetSettings(s).Exec(sys)
	})
}
