package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/internal/wecom"
)

// TypeWeComWelcome sends the welcome message (欢迎语) of one customer added
// through a contact-way code, within WeCom's 20-second window.
const TypeWeComWelcome = "wecom:welcome"

type welcomePayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AddID    uuid.UUID `json:"add_id"`
}

// EnqueueWeComWelcome implements wecom.Queue. The task id is the add's, so
// a relayed copy is dropped; its retries stop when the window closes (the
// service marks the add EXPIRED).
func (q Queue) EnqueueWeComWelcome(ctx context.Context, tenantID, addID uuid.UUID) error {
	b, err := json.Marshal(welcomePayload{TenantID: tenantID, AddID: addID})
	if err != nil {
		return err
	}
	err = q.enqueue(ctx, tenantID, asynq.NewTask(TypeWeComWelcome, b), asynq.MaxRetry(5),
		asynq.Timeout(wecom.WelcomeWindow), asynq.TaskID(TypeWeComWelcome+":"+addID.String()))
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeWeComWelcome, err)
	}
	return nil
}

// HandleWeComWelcome sends one welcome message.
func (h *Handlers) HandleWeComWelcome(ctx context.Context, t *asynq.Task) error {
	var p welcomePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil || p.AddID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	start := time.Now()
	if err := h.Services.WeCom.SendWelcome(h.systemWork(ctx, p.TenantID), p.AddID); err != nil {
		return fmt.Errorf("send welcome message: %w", err)
	}
	h.Log.DebugContext(ctx, "welcome message handled", "tenant", p.TenantID, "add", p.AddID, "took", time.Since(start))
	return nil
}
