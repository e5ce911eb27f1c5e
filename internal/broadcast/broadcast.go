// Package broadcast sends messages to segments over channel plugins
// (群发): channel configuration with sealed secrets, broadcasts with
// templates, frequency caps, quiet hours and throttling, planning into one
// delivery row per lead with suppression (DND, blacklist, caps,
// reachability), sending that never sends a row twice, and inbound status
// and reply callbacks.
package broadcast

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/channel"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/secretbox"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// Limits of a broadcast's settings.
const (
	DefaultRate = 50
	MaxRate     = 1000
	MaxCap      = 100
	MaxCapDays  = 365
)

// Queue schedules the background steps (jobs.Queue), in the transaction ctx
// carries.
type Queue interface {
	// EnqueueBroadcastPlan plans the broadcast at at (cancellable until then).
	EnqueueBroadcastPlan(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error
	// EnqueueBroadcastSend runs the sending loop at at (now when zero).
	EnqueueBroadcastSend(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error
}

// Service runs broadcasts.
type Service struct {
	Client *ent.Client
	// DB holds the session lock of a sending loop (one loop per broadcast).
	DB       *sql.DB
	Box      *secretbox.Box
	Segments *segment.Service
	Queue    Queue
	Now      func() time.Time
	// HTTPClient is lent to HTTP channel plugins (nil: their default).
	HTTPClient *http.Client
	// DialContext is lent to channel plugins that dial themselves (SMTP);
	// nil: their default.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
	// Sleep waits between sends (rate limiting); nil: a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Group, when set, sends broadcasts on the wecom channel as staff mass
	// messages when it handles the workspace (internal/wecom).
	Group GroupSender
	// Events records the broadcast.replied events a reply writes and tells
	// its watcher in their transaction (journeys triggered by an event);
	// nil: recorded, nobody told.
	Events *events.Recorder
}

// GroupSender sends a broadcast on the wecom channel as WeCom staff mass
// messages (客户群发): templates its members send, whose results it polls.
type GroupSender interface {
	// Handles reports whether the workspace's wecom channel does mass sends.
	Handles(ctx context.Context) (bool, error)
	// SendGroup runs one pass over the broadcast and reports whether
	// messages are still waiting for their members.
	SendGroup(ctx context.Context, b *ent.Broadcast) (pending bool, err error)
	// CancelGroup stops the templates of the cancelled broadcast b.
	CancelGroup(ctx context.Context, b *ent.Broadcast) error
}

// db is the client of the transaction ctx carries, else the root client.
func (s *Service) db(ctx context.Context) *ent.Client { return txn.Client(ctx, s.Client) }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Cap is a frequency cap: at most Max messages per lead over Days days,
// counted across the workspace's broadcasts.
type Cap struct{ Max, Days int }

// Quiet is a daily window ("22:00"–"08:00", may cross midnight) in Timezone
// (the workspace's when empty) during which nothing is sent.
type Quiet struct{ Start, End, Timezone string }

// checkCap checks a frequency cap (nil: none) at path.
func checkCap(path string, f *Cap) error {
	if f == nil {
		return nil
	}
	if f.Max < 1 || f.Max > MaxCap {
		return apperr.Input(path+".max", "must be between 1 and %d", MaxCap)
	}
	if f.Days < 1 || f.Days > MaxCapDays {
		return apperr.Input(path+".days", "must be between 1 and %d", MaxCapDays)
	}
	return nil
}

// checkQuiet checks quiet hours at path and returns them with their time
// zone (tz when q has none).
func checkQuiet(path string, q Quiet, tz string) (Quiet, error) {
	if q.Timezone == "" {
		q.Timezone = tz
	}
	if _, err := time.LoadLocation(q.Timezone); err != nil {
		return q, apperr.Input(path+".timezone", "%q is not an IANA time zone", clip(q.Timezone))
	}
	if _, err := clock(q.Start); err != nil {
		return q, apperr.Input(path+".start", "%s", err.Error())
	}
	if _, err := clock(q.End); err != nil {
		return q, apperr.Input(path+".end", "%s", err.Error())
	}
	if q.Start == q.End {
		return q, apperr.Input(path+".end", "start and end are the same time")
	}
	return q, nil
}

// setQuiet checks quiet hours q (nil: none) at path and sets them on create,
// in the workspace's time zone when q names none.
func setQuiet(ctx context.Context, c *ent.Client, tid uuid.UUID, create *ent.BroadcastCreate, path string, q *Quiet) error {
	if q == nil {
		return nil
	}
	tz := q.Timezone
	if tz == "" {
		set, err := workspace.SettingsOf(ctx, c, tid)
		if err != nil {
			return err
		}
		tz = set.Timezone
	}
	w, err := checkQuiet(path, *q, tz)
	if err != nil {
		return err
	}
	create.SetQuietStart(w.Start).SetQuietEnd(w.End).SetQuietTimezone(w.Timezone)
	return nil
}

// Input creates a broadcast.
type Input struct {
	Name          string
	SegmentID     uuid.UUID
	Channel       string
	Subject       string
	Template      string
	ScheduledAt   *time.Time // nil: now
	FrequencyCap  *Cap
	QuietHours    *Quiet
	RatePerSecond *int
	// Cron repeats the broadcast (standard 5-field spec, in the workspace's
	// time zone unless it starts with CRON_TZ=); without ScheduledAt the
	// first run is the spec's next time.
	Cron      string
	CreatedBy *uuid.UUID
	// Attachments go with a staff mass send's text (wecom.CheckAttachments
	// checked them); any other channel refuses them.
	Attachments []schematype.WelcomeAttachment
}

// Create checks the input, saves the broadcast as SCHEDULED and queues its
// plan at the scheduled time, in the transaction ctx carries or its own.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Broadcast, error) {
	c := s.db(ctx)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, apperr.Input("input.name", "a name of 1 to 200 characters is required")
	}
	seg, err := c.Segment.Get(ctx, in.SegmentID)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "input.segmentID", "segment not found")
	} else if err != nil {
		return nil, err
	}
	// Its stats would count the members of a segment the caller may not read.
	if err := s.Segments.CheckReadable(ctx, seg, "input.segmentID"); err != nil {
		return nil, err
	}
	ch, err := c.Channel.Query().Where(channel.Key(in.Channel)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "input.channel", "channel %q is not configured in this workspace (configureChannel)", clip(in.Channel))
	}
	if err != nil {
		return nil, err
	}
	if !ch.Enabled {
		return nil, apperr.Input("input.channel", "channel %q is disabled", in.Channel)
	}
	if err := s.checkAttachments(ctx, in); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(in.Subject) > 500 {
		return nil, apperr.Input("input.subject", "at most 500 characters")
	}
	if in.Channel == "email" && strings.TrimSpace(in.Subject) == "" {
		return nil, apperr.Input("input.subject", "an email needs a subject")
	}
	sch, err := s.Segments.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := ParseTemplate("input.template", in.Template, sch); err != nil {
		return nil, err
	}
	now := s.now()
	at := now
	spec := strings.TrimSpace(in.Cron)
	if spec != "" {
		set, err := workspace.SettingsOf(ctx, c, tid)
		if err != nil {
			return nil, err
		}
		sched, full, err := schedule(spec, set.Timezone)
		if err != nil {
			return nil, apperr.Input("input.cron", "%s", err.Error())
		}
		spec, at = full, sched.Next(now)
	}
	if in.ScheduledAt != nil {
		if in.ScheduledAt.Before(now.Add(-time.Minute)) {
			return nil, apperr.Input("input.scheduledAt", "is in the past; leave it empty to send now")
		}
		at = *in.ScheduledAt
	}
	rate := DefaultRate
	if in.RatePerSecond != nil {
		if *in.RatePerSecond < 1 || *in.RatePerSecond > MaxRate {
			return nil, apperr.Input("input.ratePerSecond", "must be between 1 and %d", MaxRate)
		}
		rate = *in.RatePerSecond
	}
	id := gid.New(gid.Broadcast)
	create := c.Broadcast.Create().SetID(id).SetName(name).SetSegmentID(in.SegmentID).SetChannel(in.Channel).
		SetSubject(in.Subject).SetTemplate(in.Template).SetScheduledAt(at).SetRatePerSecond(rate).
		SetNillableCreatedByID(in.CreatedBy)
	if len(in.Attachments) > 0 {
		create.SetAttachments(in.Attachments)
	}
	if spec != "" {
		create.SetCron(spec).SetSeriesID(id)
	}
	if err := checkCap("input.frequencyCap", in.FrequencyCap); err != nil {
		return nil, err
	}
	if f := in.FrequencyCap; f != nil {
		create.SetCapMax(f.Max).SetCapDays(f.Days)
	}
	if err := setQuiet(ctx, c, tid, create, "input.quietHours", in.QuietHours); err != nil {
		return nil, err
	}
	b, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	if s.Queue != nil {
		// In the caller's transaction: the plan task commits with the broadcast.
		err = s.Queue.EnqueueBroadcastPlan(ctx, tid, id, at)
	}
	return b, err
}

// checkAttachments refuses attachments on a broadcast that is not a staff
// mass send: only WeCom's add_msg_template carries them.
func (s *Service) checkAttachments(ctx context.Context, in Input) error {
	if len(in.Attachments) == 0 {
		return nil
	}
	if in.Channel != "wecom" {
		return apperr.Input("input.attachments", "only a broadcast on the wecom channel (a staff mass send) takes attachments; %q sends the text alone", clip(in.Channel))
	}
	staff := false
	if s.Group != nil {
		var err error
		if staff, err = s.Group.Handles(ctx); err != nil {
			return err
		}
	}
	if !staff {
		return apperr.Input("input.attachments", "attachments go with a staff mass send: give the wecom channel its corpId and contactSecret (application messages carry the text alone)")
	}
	return nil
}

// schedule parses a 5-field cron spec, in tz unless it names its own
// CRON_TZ, and returns it with the zone written out.
func schedule(spec, tz string) (cron.Schedule, string, error) {
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		spec = "CRON_TZ=" + tz + " " + spec
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, "", fmt.Errorf("%q is not a cron spec (minute hour day-of-month month day-of-week): %v", clip(spec), err)
	}
	return sched, spec, nil
}

// Cancel stops a broadcast that has not finished: nothing more is sent;
// what was sent stays recorded. Cancelling a run of a recurring broadcast
// stops the series.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (*ent.Broadcast, error) {
	c := s.db(ctx)
	b, err := c.Broadcast.Query().Where(broadcast.ID(id)).ForUpdate().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Wrap(err, apperr.NotFound, "id", "broadcast not found")
	}
	if err != nil {
		return nil, err
	}
	switch b.Status {
	case broadcast.StatusDONE, broadcast.StatusCANCELLED, broadcast.StatusFAILED:
		return nil, apperr.New(apperr.Conflict, "id", "the broadcast is already %s", b.Status)
	}
	if b.SeriesID != nil {
		// Stop the series: its next run is already scheduled once a run started.
		if err := c.Broadcast.Update().Where(broadcast.SeriesID(*b.SeriesID), broadcast.StatusEQ(broadcast.StatusSCHEDULED),
			broadcast.IDNEQ(b.ID)).SetStatus(broadcast.StatusCANCELLED).SetFinishedAt(s.now()).Exec(ctx); err != nil {
			return nil, err
		}
	}
	out, err := c.Broadcast.UpdateOne(b).SetStatus(broadcast.StatusCANCELLED).SetFinishedAt(s.now()).Save(ctx)
	if err != nil || b.Channel != "wecom" || s.Group == nil || s.Queue == nil || b.Status == broadcast.StatusSCHEDULED {
		return out, err
	}
	// A staff mass send may have templates in WeCom: its send task, queued
	// with the cancellation, stops them (CancelGroup).
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	return out, s.Queue.EnqueueBroadcastSend(ctx, tid, b.ID, time.Time{})
}

// Stats are a broadcast's delivery counts. Sent counts every message handed
// to the channel (delivered, failed after sending and replied included).
type Stats struct {
	Targeted, SuppressedDnd, SuppressedBlacklist, SuppressedCap, Unreachable int
	Pending, Sent, Delivered, Failed, Replied                                int
}

// StatsOf counts a broadcast's deliveries in one statement.
func (s *Service) StatsOf(ctx context.Context, id uuid.UUID) (*Stats, error) {
	c := s.db(ctx)
	m, err := statsFor(ctx, c, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	return m[id], nil
}

// StatsFor counts the deliveries of several broadcasts in one statement (a
// page of broadcasts); every id gets an entry, zero when it has no rows.
func (s *Service) StatsFor(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Stats, error) {
	return statsFor(ctx, s.db(ctx), ids)
}

// statsFor is StatsFor on the client c (the caller's transaction).
func statsFor(ctx context.Context, c *ent.Client, ids []uuid.UUID) (map[uuid.UUID]*Stats, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]*Stats, len(ids))
	for _, id := range ids {
		out[id] = &Stats{}
	}
	rows, err := c.QueryContext(ctx, `SELECT broadcast_id, status, sent_at IS NOT NULL, count(*) FROM deliveries
		WHERE tenant_id = $1 AND broadcast_id = ANY($2::uuid[]) GROUP BY 1, 2, 3`, tid, txn.UUIDArray(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var status string
		var sent bool
		var n int
		if err := rows.Scan(&id, &status, &sent, &n); err != nil {
			return nil, err
		}
		st := out[id]
		st.Targeted += n
		if sent {
			st.Sent += n
		}
		switch status {
		case "SUPPRESSED_DND":
			st.SuppressedDnd += n
		case "SUPPRESSED_BLACKLIST":
			st.SuppressedBlacklist += n
		case "SUPPRESSED_CAP":
			st.SuppressedCap += n
		case "UNREACHABLE":
			st.Unreachable += n
		case "PENDING", "SENDING":
			st.Pending += n
		case "DELIVERED":
			st.Delivered += n
		case "REPLIED":
			st.Delivered += n
			st.Replied += n
		case "FAILED":
			st.Failed += n
		}
	}
	return out, rows.Err()
}

// clock parses "HH:MM" into minutes after midnight.
func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", clip(s))
	}
	return t.Hour()*60 + t.Minute(), nil
}

// quietUntil reports whether at falls in b's quiet hours and, if so, when
// they end.
func quietUntil(b *ent.Broadcast, at time.Time) (time.Time, bool) {
	if b.QuietStart == nil || b.QuietEnd == nil {
		return time.Time{}, false
	}
	tz := "UTC"
	if b.QuietTimezone != nil {
		tz = *b.QuietTimezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, false
	}
	start, err1 := clock(*b.QuietStart)
	end, err2 := clock(*b.QuietEnd)
	if err1 != nil || err2 != nil {
		return time.Time{}, false
	}
	local := at.In(loc)
	minute := local.Hour()*60 + local.Minute()
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	endAt := func(dayOffset int) time.Time {
		d := midnight.AddDate(0, 0, dayOffset)
		return time.Date(d.Year(), d.Month(), d.Day(), end/60, end%60, 0, 0, loc)
	}
	if start < end { // e.g. 12:00–14:00
		if minute >= start && minute < end {
			return endAt(0), true
		}
		return time.Time{}, false
	}
	// crosses midnight, e.g. 22:00–08:00
	switch {
	case minute >= start:
		return endAt(1), true
	case minute < end:
		return endAt(0), true
	}
	return time.Time{}, false
}
