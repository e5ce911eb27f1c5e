package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent/wecommedia"
	"github.com/scrmhq/scrm/internal/tenant"
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

// Stored media ready ahead of their sends (internal/wecom/mediaready.go).
const (
	// TypeWeComMediaReady uploads a workspace's stored media to WeCom
	// (media/upload) ahead of the welcomes and mass sends that use them:
	// the media named in its payload (written when a code or a broadcast
	// is saved), or, with none named, every medium its live codes and
	// broadcasts use whose WeCom id is getting old.
	TypeWeComMediaReady = "wecom:media-ready"
	// TypeWeComMediaRenew is the hourly pass that queues a
	// TypeWeComMediaReady for every workspace with stored media whose WeCom
	// id is missing or old.
	TypeWeComMediaRenew = "wecom:media-renew"
)

type mediaReadyPayload struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	MediaIDs []uuid.UUID `json:"media_ids,omitempty"`
}

// EnqueueWeComMediaReady implements wecom.Queue. No task id: a second task
// for the same media finds them fresh (or waits for the first one's upload
// and takes its id) and uploads nothing.
func (q Queue) EnqueueWeComMediaReady(ctx context.Context, tenantID uuid.UUID, mediaIDs []uuid.UUID) error {
	b, err := json.Marshal(mediaReadyPayload{TenantID: tenantID, MediaIDs: mediaIDs})
	if err != nil {
		return err
	}
	if err := q.enqueue(ctx, tenantID, asynq.NewTask(TypeWeComMediaReady, b), asynq.MaxRetry(8),
		asynq.Timeout(10*time.Minute)); err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeWeComMediaReady, err)
	}
	return nil
}

// HandleWeComMediaReady uploads a workspace's stored media ahead of their
// sends, a batch a pass (wecom.MediaReadyBatch; the rest the next hour).
// WeCom's refusals are recorded on the media and their uploaders notified
// (internal/wecom); network errors and busy errcodes retry the task.
func (h *Handlers) HandleWeComMediaReady(ctx context.Context, t *asynq.Task) error {
	var p mediaReadyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	res, err := h.Services.WeCom.ReadyMedia(h.systemWork(ctx, p.TenantID), p.MediaIDs)
	if res.Uploaded > 0 || len(res.Refused) > 0 || res.Deferred > 0 {
		h.Log.InfoContext(ctx, "stored media uploaded to WeCom ahead", "tenant", p.TenantID, "uploaded", res.Uploaded,
			"fresh", res.Fresh, "refused", res.Refused, "deferred", res.Deferred)
	}
	if err != nil {
		return fmt.Errorf("ready stored media: %w", err)
	}
	return nil
}

// HandleWeComMediaRenew queues the renewal of every workspace that has
// stored media without a WeCom id younger than wecom.MediaRenewAfter (most
// are unused: the workspace's task finds what live codes and broadcasts
// use). One task per workspace and hour.
func (h *Handlers) HandleWeComMediaRenew(ctx context.Context, _ *asynq.Task) error {
	now := h.Services.Clock.Now()
	var tenants []uuid.UUID
	err := h.Services.Client.WeComMedia.Query().
		Where(wecommedia.UploadFailedAtIsNil(), wecommedia.Or(wecommedia.MediaIDIsNil(), wecommedia.MediaUploadedAtIsNil(),
			wecommedia.MediaUploadedAtLTE(now.Add(-wecom.MediaRenewAfter)))).
		Unique(true).Select(wecommedia.FieldTenantID).Scan(tenant.System(ctx), &tenants)
	if err != nil {
		return fmt.Errorf("find workspaces with media to renew: %w", err)
	}
	slot := now.Truncate(time.Hour).Unix()
	for _, tid := range tenants {
		b, err := json.Marshal(mediaReadyPayload{TenantID: tid})
		if err != nil {
			return err
		}
		if err := h.Queue.enqueue(ctx, tid, asynq.NewTask(TypeWeComMediaReady, b), asynq.Queue("low"), asynq.MaxRetry(5),
			asynq.Timeout(30*time.Minute), asynq.Retention(time.Hour),
			asynq.TaskID(fmt.Sprintf("%s:%s:%d", TypeWeComMediaReady, tid, slot))); err != nil {
			return fmt.Errorf("enqueue %s: %w", TypeWeComMediaReady, err)
		}
	}
	return nil
}
