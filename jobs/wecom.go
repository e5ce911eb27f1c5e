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

// WeCom corp tag tasks.
const (
	// TypeWeComMarkTags marks a tag on leads' customers in WeCom (mark_tag).
	TypeWeComMarkTags = "wecom:mark_tags"
	// TypeWeComTagSync syncs the corp tag library with the workspace's tag
	// groups (after a change_external_tag callback).
	TypeWeComTagSync = "wecom:tag_sync"
	// TypeWeComCorpTag sends a rename or delete of corp tags made in scrm
	// to WeCom (edit_corp_tag, del_corp_tag).
	TypeWeComCorpTag = "wecom:corp_tag"
)

type corpTagPayload struct {
	TenantID uuid.UUID           `json:"tenant_id"`
	Change   wecom.CorpTagChange `json:"change"`
}

// EnqueueWeComCorpTag implements wecom.Queue. Temporary failures are
// retried ten times with Asynq's backoff; the last one is reported.
func (q Queue) EnqueueWeComCorpTag(ctx context.Context, tenantID uuid.UUID, ch wecom.CorpTagChange) error {
	b, err := json.Marshal(corpTagPayload{TenantID: tenantID, Change: ch})
	if err != nil {
		return err
	}
	if err := q.enqueue(ctx, tenantID, asynq.NewTask(TypeWeComCorpTag, b), asynq.MaxRetry(10), asynq.Queue("low")); err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeWeComCorpTag, err)
	}
	return nil
}

// HandleWeComCorpTag sends one rename or delete of corp tags to WeCom.
func (h *Handlers) HandleWeComCorpTag(ctx context.Context, t *asynq.Task) error {
	var p corpTagPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	last := ok && retried >= maxRetry
	if err := h.Services.WeCom.SendCorpTagChange(h.systemWork(ctx, p.TenantID), p.Change, last); err != nil {
		return fmt.Errorf("send a corp tag change to WeCom: %w", err)
	}
	h.Log.InfoContext(ctx, "sent a corp tag change to WeCom", "tenant", p.TenantID, "edit", p.Change.EditID,
		"deleted_tags", len(p.Change.DelTags), "deleted_groups", len(p.Change.DelGroups))
	return nil
}

type markTagsPayload struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	TagID    uuid.UUID   `json:"tag_id"`
	Leads    []uuid.UUID `json:"leads"`
}

// EnqueueWeComMarkTags implements wecom.Queue.
func (q Queue) EnqueueWeComMarkTags(ctx context.Context, tenantID, tagID uuid.UUID, leads []uuid.UUID) error {
	b, err := json.Marshal(markTagsPayload{TenantID: tenantID, TagID: tagID, Leads: leads})
	if err != nil {
		return err
	}
	if err := q.enqueue(ctx, tenantID, asynq.NewTask(TypeWeComMarkTags, b), asynq.MaxRetry(10), asynq.Queue("low")); err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeWeComMarkTags, err)
	}
	return nil
}

// EnqueueWeComTagSync implements wecom.Queue.
func (q Queue) EnqueueWeComTagSync(ctx context.Context, tenantID uuid.UUID) error {
	b, err := json.Marshal(workspacePayload{TenantID: tenantID})
	if err != nil {
		return err
	}
	if err := q.enqueue(ctx, tenantID, asynq.NewTask(TypeWeComTagSync, b), asynq.MaxRetry(5), asynq.Queue("low")); err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeWeComTagSync, err)
	}
	return nil
}

// HandleWeComMarkTags marks one tag on the customers of a chunk of leads.
func (h *Handlers) HandleWeComMarkTags(ctx context.Context, t *asynq.Task) error {
	var p markTagsPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil || p.TagID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	n, err := h.Services.WeCom.MarkTags(h.systemWork(ctx, p.TenantID), p.TagID, p.Leads)
	if err != nil {
		return fmt.Errorf("mark tags in WeCom: %w", err)
	}
	h.Log.InfoContext(ctx, "marked a tag in WeCom", "tenant", p.TenantID, "tag", p.TagID, "relationships", n)
	return nil
}

// HandleWeComTagSync syncs a workspace's corp tags.
func (h *Handlers) HandleWeComTagSync(ctx context.Context, t *asynq.Task) error {
	var p workspacePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	res, err := h.Services.WeCom.SyncCorpTags(h.systemWork(ctx, p.TenantID))
	if err != nil {
		return fmt.Errorf("sync corp tags: %w", err)
	}
	h.Log.InfoContext(ctx, "synced corp tags", "tenant", p.TenantID, "linked", res.Linked, "created", res.Created,
		"pushed", res.Pushed, "skipped", len(res.Skipped))
	return nil
}

// TypeWeComRemind is the automatic reminder (提醒成员发送) of one staff
// mass-send template, due the channel's massSendRemindAfterMinutes after
// the template was made.
const TypeWeComRemind = "wecom:remind"

type remindPayload struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	GroupMsgID uuid.UUID `json:"group_msg_id"`
}

// EnqueueWeComRemind implements wecom.Queue. The task id is the template's,
// so the reminder is queued once.
func (q Queue) EnqueueWeComRemind(ctx context.Context, tenantID, groupMsgID uuid.UUID, at time.Time) error {
	b, err := json.Marshal(remindPayload{TenantID: tenantID, GroupMsgID: groupMsgID})
	if err != nil {
		return err
	}
	if err := q.enqueue(ctx, tenantID, asynq.NewTask(TypeWeComRemind, b), asynq.MaxRetry(5), asynq.Queue("low"),
		asynq.ProcessAt(at), asynq.TaskID(TypeWeComRemind+":"+groupMsgID.String())); err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeWeComRemind, err)
	}
	return nil
}

// HandleWeComRemind reminds a template's member once, if still needed.
func (h *Handlers) HandleWeComRemind(ctx context.Context, t *asynq.Task) error {
	var p remindPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil || p.GroupMsgID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	asked, err := h.Services.WeCom.AutoRemind(h.systemWork(ctx, p.TenantID), p.GroupMsgID)
	if err != nil {
		return fmt.Errorf("remind a mass-send member: %w", err)
	}
	h.Log.InfoContext(ctx, "mass-send reminder", "tenant", p.TenantID, "template", p.GroupMsgID, "asked", asked)
	return nil
}
