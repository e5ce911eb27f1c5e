// Package demo creates a demo workspace with realistic data, so a new user has
// something to look at after `make run`.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/scoring"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/workspace"
)

// Credentials of the demo workspace's admin.
const (
	Slug          = "demo"
	AdminEmail    = "admin@demo.scrm.dev"
	AdminPassword = "demo-admin-2026"
	// UserPassword is the password of every other demo user.
	UserPassword = "demo-user-2026"
)

// Result says what Ensure did.
type Result struct {
	Created   bool
	Workspace *ent.Workspace
	Leads     int
}

// Ensure creates the demo workspace unless it exists. leads is how many leads to generate.
func Ensure(ctx context.Context, client *ent.Client, leads int, seed uint64) (*Result, error) {
	if ws, err := workspace.BySlug(ctx, client, Slug); err == nil {
		return &Result{Workspace: ws}, nil
	} else if !ent.IsNotFound(err) {
		return nil, err
	}
	created, err := workspace.Create(ctx, client, workspace.Spec{
		Slug: Slug, Name: "演示公司 Demo Motors", AdminName: "管理员 Admin",
		AdminEmail: AdminEmail, AdminPassword: AdminPassword,
	})
	if errors.Is(err, workspace.ErrExists) { // another process made it first
		ws, err := workspace.BySlug(ctx, client, Slug)
		return &Result{Workspace: ws}, err
	}
	if err != nil {
		return nil, err
	}
	ctx = tenant.NewContext(ctx, created.Workspace.ID)
	n, err := populate(ctx, client, created.Workspace.ID, leads, rand.New(rand.NewPCG(seed, seed^0x5c7a)))
	if err != nil {
		return nil, err
	}
	// The tables were empty or nearly: the planner gets the statistics of
	// what was loaded now rather than when autovacuum next looks, so the
	// first requests are planned for thousands of leads, not for none.
	if _, err := client.ExecContext(ctx, "ANALYZE"); err != nil {
		return nil, fmt.Errorf("analyze the demo data: %w", err)
	}
	return &Result{Created: true, Workspace: created.Workspace, Leads: n}, nil
}

var (
	surnames  = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"}
	givens    = []string{"伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "晓东", "子涵", "浩然", "雨桐"}
	sources   = []string{"官网表单", "抖音广告", "微信公众号", "转介绍", "线下车展", "渠道上传", "CSV 导入"}
	companies = []string{"", "", "", "上海华远物流", "杭州云栖科技", "广州南方贸易", "深圳前海金融", "个人"}
	notes     = []string{"电话沟通，对 SUV 感兴趣", "约了周末到店试驾", "询问车贷方案", "发了报价单，等回复", "客户在比较竞品"}
)

func populate(ctx context.Context, c *ent.Client, wsID uuid.UUID, nLeads int, r *rand.Rand) (int, error) {
	services, err := app.New(ctx, app.Config{Client: c})
	if err != nil {
		return 0, err
	}
	orgs := services.Org
	east, err := orgs.CreateTerritory(ctx, "华东", nil)
	if err != nil {
		return 0, err
	}
	south, err := orgs.CreateTerritory(ctx, "华南", nil)
	if err != nil {
		return 0, err
	}
	var cities []*ent.Territory
	for _, x := range []struct {
		name   string
		parent *ent.Territory
	}{{"上海", east}, {"杭州", east}, {"广州", south}, {"深圳", south}} {
		t, err := orgs.CreateTerritory(ctx, x.name, &x.parent.ID)
		if err != nil {
			return 0, err
		}
		cities = append(cities, t)
	}
	user := func(name, email string, roles []string, territories ...uuid.UUID) (*ent.User, error) {
		return orgs.CreateUser(ctx, org.UserInput{Name: name, Email: email, Password: UserPassword, Roles: roles, TerritoryIDs: territories})
	}
	manager, err := user("经理 陈静", "manager@demo.scrm.dev", []string{"manager"}, east.ID)
	if err != nil {
		return 0, err
	}
	if _, err := user("分析师 林晓", "analyst@demo.scrm.dev", []string{"analyst"}); err != nil {
		return 0, err
	}
	var reps []*ent.User
	for i, n := range []string{"销售 王磊", "销售 李娜", "销售 张伟", "销售 刘洋"} {
		u, err := user(n, fmt.Sprintf("rep%d@demo.scrm.dev", i+1), []string{"rep"}, cities[i].ID)
		if err != nil {
			return 0, err
		}
		reps = append(reps, u)
	}
	team, err := orgs.CreateTeam(ctx, "华东一组", &manager.ID, []uuid.UUID{reps[0].ID, reps[1].ID})
	if err != nil {
		return 0, err
	}
	_ = team
	if _, err := orgs.CreateTeam(ctx, "华南一组", nil, []uuid.UUID{reps[2].ID, reps[3].ID}); err != nil {
		return 0, err
	}
	partner, err := orgs.CreatePartner(ctx, "申城汽车渠道", []uuid.UUID{cities[0].ID})
	if err != nil {
		return 0, err
	}
	if _, err := orgs.CreateUser(ctx, org.UserInput{Name: "渠道 周强", Email: "partner@demo.scrm.dev", Password: UserPassword,
		Roles: []string{"partner"}, PartnerID: &partner.ID}); err != nil {
		return 0, err
	}

	if err := c.FieldDefinition.CreateBulk(
		c.FieldDefinition.Create().SetKey("budget").SetLabel("预算 (元)").SetType("NUMBER").SetPosition(0),
		c.FieldDefinition.Create().SetKey("city").SetLabel("城市").SetType("SELECT").SetPosition(1).
			SetOptions([]schematype.FieldOption{{Value: "shanghai", Label: "上海"}, {Value: "hangzhou", Label: "杭州"}, {Value: "guangzhou", Label: "广州"}, {Value: "shenzhen", Label: "深圳"}}),
		c.FieldDefinition.Create().SetKey("has_car").SetLabel("是否有车").SetType("BOOLEAN").SetPosition(2),
		c.FieldDefinition.Create().SetKey("test_drive_date").SetLabel("试驾日期").SetType("DATE").SetPosition(3),
	).Exec(ctx); err != nil {
		return 0, fmt.Errorf("demo fields: %w", err)
	}
	intent, err := c.TagGroup.Create().SetName("意向等级").SetExclusive(true).Save(ctx)
	if err != nil {
		return 0, err
	}
	interest, err := c.TagGroup.Create().SetName("兴趣").SetPosition(1).Save(ctx)
	if err != nil {
		return 0, err
	}
	var tags []*ent.Tag
	for _, t := range []struct {
		name, color string
		group       *ent.TagGroup
	}{{"高意向", "red", intent}, {"中意向", "orange", intent}, {"低意向", "blue", intent}, {"SUV", "green", interest}, {"新能源", "cyan", interest}, {"车贷", "purple", interest}} {
		tag, err := c.Tag.Create().SetName(t.name).SetColor(t.color).SetGroupID(t.group.ID).Save(ctx)
		if err != nil {
			return 0, err
		}
		tags = append(tags, tag)
	}

	stages, err := c.Stage.Query().Where(stage.KindNEQ(stage.KindLOST)).Order(ent.Asc(stage.FieldPosition)).All(ctx)
	if err != nil {
		return 0, err
	}
	publicPool, err := c.Pool.Query().Where(pool.IsDefault(true)).Only(ctx)
	if err != nil {
		return 0, err
	}
	first, err := workspace.NextLeadSeq(ctx, c, wsID, nLeads)
	if err != nil {
		return 0, err
	}
	cityKeys := []string{"shanghai", "hangzhou", "guangzhou", "shenzhen"}
	now := time.Now()
	builders := make([]*ent.LeadCreate, 0, nLeads)
	type tagPair struct{ lead, tag uuid.UUID }
	var claims []*ent.OwnerChangeCreate
	var follows []*ent.FollowUpCreate
	var deals []*ent.DealCreate
	var tasks []*ent.TaskCreate
	var pairs []tagPair
	tiers := workspace.DefaultTiers
	for i := range nLeads {
		city := r.IntN(4)
		id := gid.New(gid.Lead)
		created := now.Add(-time.Duration(r.IntN(60*24)) * time.Hour)
		// The random draws keep the order they always had, so a seed makes
		// the same leads as before.
		name := surnames[r.IntN(len(surnames))] + givens[r.IntN(len(givens))]
		company, source := companies[r.IntN(len(companies))], sources[r.IntN(len(sources))]
		score := r.IntN(100)
		st := stages[min(r.IntN(len(stages)+3), len(stages)-1)*r.IntN(2)]
		if i%3 == 0 && st.Kind == stage.KindWON {
			st = stages[0] // a lead in the public pool has not been won
		}
		b := c.Lead.Create().SetID(id).SetSeq(first + int64(i)).
			SetName(name).
			SetPhone(fmt.Sprintf("+86139%08d", 10000000+i)).
			SetCompany(company).
			SetSource(source).
			// The tier is the score's under the workspace's thresholds, as
			// the scoring pass would set it.
			SetScore(score).SetTier(scoring.TierOf(score, tiers)).
			SetTerritoryID(cities[city].ID).
			SetStageID(st.ID).
			SetCreatedAt(created).SetUpdatedAt(created).
			SetAttributes(map[string]any{"budget": float64(50000 + r.IntN(40)*10000), "city": cityKeys[city], "has_car": r.IntN(2) == 0})
		b.SetPoolID(publicPool.ID)
		if i%3 != 0 {
			// Owned leads were claimed in the last three weeks and followed
			// up in the last week, so the demo's recycle pass leaves most of
			// them with their reps and reminds a few.
			claimed := later(created.Add(time.Hour), now.Add(-time.Duration(r.IntN(21*24))*time.Hour))
			followed := later(claimed, now.Add(-time.Duration(r.IntN(8*24))*time.Hour))
			b.SetOwnerID(reps[city].ID).SetClaimedAt(claimed).SetProtectedUntil(claimed.Add(72 * time.Hour)).
				SetLastFollowUpAt(followed)
			claims = append(claims, c.OwnerChange.Create().SetLeadID(id).SetToUserID(reps[city].ID).SetActorID(reps[city].ID).
				SetPoolID(publicPool.ID).SetKind(ownerchange.KindCLAIM).SetBy(ownerchange.ByUSER).SetAt(claimed))
			// The last follow-up date is the rep's last follow-up; a fifth of
			// them promised the next one, some of which fell due (the rep's
			// to-do list).
			note := notes[r.IntN(len(notes))]
			fu := c.FollowUp.Create().SetID(gid.New(gid.FollowUp)).SetLeadID(id).SetAuthorID(reps[city].ID).
				SetKind(followup.KindCALL).SetContent(note).SetOutcome(followup.OutcomeCONNECTED).
				SetCreatedAt(followed).SetUpdatedAt(followed)
			if i%5 == 1 {
				next := followed.Add(time.Duration(24+r.IntN(9*24)) * time.Hour)
				fu.SetNextFollowUpAt(next)
				fuID, _ := fu.Mutation().ID()
				tc := c.Task.Create().SetKind(task.KindFOLLOW_UP).SetTitle("跟进「" + name + "」").SetDescription(note).
					SetDueAt(next).SetAssigneeID(reps[city].ID).SetLeadID(id).SetFollowUpID(fuID).
					SetCreatedByID(reps[city].ID).SetCreatedAt(followed).SetUpdatedAt(followed)
				if next.Before(now) {
					// Told when it fell due, as the overdue pass would have: a
					// new demo does not open with a burst of old reminders.
					tc.SetOverdueNotifiedAt(next)
				}
				tasks = append(tasks, tc)
			}
			follows = append(follows, fu)
			// A lead in a WON stage was won with a deal, credited to its rep.
			if st.Kind == stage.KindWON {
				closed := later(claimed, followed)
				deals = append(deals, c.Deal.Create().SetLeadID(id).SetOwnerID(reps[city].ID).
					SetAmount(float64(80000+r.IntN(40)*5000)).SetClosedAt(closed).SetCreatedAt(closed).SetUpdatedAt(closed))
			}
		}
		if i%25 == 0 {
			b.SetPartnerID(partner.ID)
		}
		builders = append(builders, b)
		pairs = append(pairs, tagPair{id, tags[r.IntN(3)].ID})
		if r.IntN(2) == 0 {
			pairs = append(pairs, tagPair{id, tags[3+r.IntN(3)].ID})
		}
	}
	for start := 0; start < len(builders); start += 500 {
		if err := c.Lead.CreateBulk(builders[start:min(start+500, len(builders))]...).Exec(ctx); err != nil {
			return 0, fmt.Errorf("demo leads: %w", err)
		}
	}
	for start := 0; start < len(claims); start += 1000 {
		if err := c.OwnerChange.CreateBulk(claims[start:min(start+1000, len(claims))]...).Exec(ctx); err != nil {
			return 0, fmt.Errorf("demo claims: %w", err)
		}
	}
	for start := 0; start < len(follows); start += 1000 {
		if err := c.FollowUp.CreateBulk(follows[start:min(start+1000, len(follows))]...).Exec(ctx); err != nil {
			return 0, fmt.Errorf("demo follow-ups: %w", err)
		}
	}
	for start := 0; start < len(deals); start += 1000 {
		if err := c.Deal.CreateBulk(deals[start:min(start+1000, len(deals))]...).Exec(ctx); err != nil {
			return 0, fmt.Errorf("demo deals: %w", err)
		}
	}
	for start := 0; start < len(tasks); start += 1000 {
		if err := c.Task.CreateBulk(tasks[start:min(start+1000, len(tasks))]...).Exec(ctx); err != nil {
			return 0, fmt.Errorf("demo tasks: %w", err)
		}
	}
	if err := rulesFor(ctx, c, reps); err != nil {
		return 0, err
	}
	lt := make([]*ent.LeadTagCreate, len(pairs))
	for i, p := range pairs {
		lt[i] = c.LeadTag.Create().SetLeadID(p.lead).SetTagID(p.tag).SetSource("IMPORT")
	}
	for start := 0; start < len(lt); start += 1000 {
		if err := c.LeadTag.CreateBulk(lt[start:min(start+1000, len(lt))]...).Exec(ctx); err != nil {
			return 0, fmt.Errorf("demo tags: %w", err)
		}
	}
	if err := segmentsFor(ctx, c, tags[0]); err != nil {
		return 0, err
	}
	return nLeads, nil
}

// segmentsFor saves and computes the demo segments: high budgets in
// Shanghai, high intent, and their intersection.
func segmentsFor(ctx context.Context, c *ent.Client, hot *ent.Tag) error {
	services, err := app.New(ctx, app.Config{Client: c})
	if err != nil {
		return err
	}
	svc := services.Segments
	every := 60
	attr := func(key, op string, v any) segment.Rule {
		return segment.Rule{Attribute: &schematype.AttributeCondition{Key: key, Op: op, Value: v}}
	}
	shanghai, err := svc.Create(ctx, segment.Input{Name: "上海高预算", RefreshEveryMinutes: &every,
		Rule: &segment.Rule{And: []segment.Rule{attr("city", "EQ", "shanghai"), attr("budget", "GTE", 300000)}}})
	if err != nil {
		return fmt.Errorf("demo segment: %w", err)
	}
	intent, err := svc.Create(ctx, segment.Input{Name: "高意向客户", RefreshEveryMinutes: &every,
		Rule: &segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{hot.ID}}}})
	if err != nil {
		return fmt.Errorf("demo segment: %w", err)
	}
	both, err := svc.Create(ctx, segment.Input{Name: "上海高预算 ∩ 高意向", Kind: "STATIC",
		Rule: &segment.Rule{Intersect: []segment.Rule{{Segment: &shanghai.ID}, {Segment: &intent.ID}}}})
	if err != nil {
		return fmt.Errorf("demo segment: %w", err)
	}
	for _, s := range []*ent.Segment{shanghai, intent, both} {
		if err := svc.Compute(ctx, s.ID); err != nil {
			return fmt.Errorf("demo segment %s: %w", s.Name, err)
		}
	}
	return nil
}

// rulesFor gives the demo workspace assignment and scoring rules: web leads
// with a budget go round-robin to the East China reps, the rest wait in the
// public pool; intent tags, budgets and recent visits score.
func rulesFor(ctx context.Context, c *ent.Client, reps []*ent.User) error {
	rule, err := c.AssignmentRule.Create().SetName("官网高预算线索").SetPriority(10).
		SetCondition(`lead.source == "官网" && has(attributes.budget) && attributes.budget >= 200000.0`).
		SetStrategy(assignmentrule.StrategyROUND_ROBIN).SetDailyCap(30).Save(ctx)
	if err != nil {
		return fmt.Errorf("demo assignment rule: %w", err)
	}
	if err := c.AssignmentTarget.CreateBulk(
		c.AssignmentTarget.Create().SetRuleID(rule.ID).SetUserID(reps[0].ID),
		c.AssignmentTarget.Create().SetRuleID(rule.ID).SetUserID(reps[1].ID),
	).Exec(ctx); err != nil {
		return fmt.Errorf("demo assignment targets: %w", err)
	}
	if err := c.AssignmentRule.Create().SetName("按区域分配").SetPriority(20).
		SetStrategy(assignmentrule.StrategyTERRITORY).Exec(ctx); err != nil {
		return fmt.Errorf("demo assignment rule: %w", err)
	}
	return c.ScoringRule.CreateBulk(
		c.ScoringRule.Create().SetName("高意向").SetCondition(`"高意向" in tags`).SetPoints(40),
		c.ScoringRule.Create().SetName("低意向").SetCondition(`"低意向" in tags`).SetPoints(-20),
		c.ScoringRule.Create().SetName("预算三十万以上").SetCondition(`has(attributes.budget) && attributes.budget >= 300000.0`).SetPoints(30),
		c.ScoringRule.Create().SetName("近7天看过价格").SetCondition(`eventCount("viewed_price", 7) >= 1`).SetPoints(20).SetDecayDays(14),
	).Exec(ctx)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
