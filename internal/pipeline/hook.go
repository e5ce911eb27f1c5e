package pipeline

import (
	"context"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/hook"
)

// Install makes every new lead start in a stage: a create that names none gets
// the workspace's default stage (the first open stage of the default
// pipeline). Bulk paths that set stages themselves pay nothing.
func Install(c *ent.Client) {
	c.Lead.Use(hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.LeadFunc(func(ctx context.Context, m *ent.LeadMutation) (ent.Value, error) {
			if _, set := m.StageID(); !set {
				st, err := DefaultStage(ctx, m.Client())
				if err != nil {
					return nil, err
				}
				m.SetStageID(st.ID)
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate))
}
