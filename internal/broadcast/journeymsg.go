package broadcast

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/channel"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/suppress"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/plugins"
)

// Messages of journey steps. A journey's sendMessage step sends its
// template to the leads at the step through the broadcast machinery: each
// run of the step over a batch of leads is a broadcast of its own (no
// segment, journey_id set) whose delivery rows are planned in the step's
// transaction with the same classification as a segment's (blacklist,
// do-not-disturb, reachability, the frequency cap), and whose sending loop
// (templates, rate, quiet hours, never a row twice) is queued through the
// outbox with them.

// StepMessage is one run of a sendMessage step.
type StepMessage struct {
	JourneyID uuid.UUID
	Name      string // the journey's
	Step      int
	Channel   string
	Subject   string
	Template  string
	// Cap and Quiet (optional) are a broadcast's frequency cap and quiet
	// hours; Quiet's empty Timezone is the workspace's when the step runs.
	Cap   *Cap
	Quiet *Quiet
	Leads []uuid.UUID
}

// CheckMessage checks a sendMessage step's channel (configured and
// enabled), subject, template, frequency cap and quiet hours; path is the
// step's input path.
func (s *Service) CheckMessage(ctx context.Context, path string, m StepMessage) error {
	c := s.db(ctx)
	ch, subject, template := m.Channel, m.Subject, m.Template
	if _, ok := plugins.Lookup(ch); !ok {
		return apperr.Input(path+".channel", "unknown channel %q", clip(ch))
	}
	row, err := c.Channel.Query().Where(channel.Key(ch)).Only(ctx)
	if ent.IsNotFound(err) {
		return apperr.Input(path+".channel", "channel %q is not configured", ch)
	}
	if err != nil {
		return err
	}
	if !row.Enabled {
		return apperr.Input(path+".channel", "channel %q is disabled", ch)
	}
	if utf8.RuneCountInString(subject) > 500 {
		return apperr.Input(path+".subject", "at most 500 characters")
	}
	if err := checkCap(path+".frequencyCap", m.Cap); err != nil {
		return err
	}
	if q := m.Quiet; q != nil {
		if _, err := checkQuiet(path+".quietHours", *q, "UTC"); err != nil {
			return err
		}
	}
	sch, err := s.Segments.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	_, err = ParseTemplate(path+".template", template, sch)
	return err
}

// SendStep writes the broadcast of one run of a sendMessage step and its
// delivery rows in the transaction ctx carries, and queues its sending.
func (s *Service) SendStep(ctx context.Context, m StepMessage) (*ent.Broadcast, error) {
	if len(m.Leads) == 0 {
		return nil, nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	c := s.db(ctx)
	plug, ok := plugins.Lookup(m.Channel)
	if !ok {
		return nil, apperr.Input("channel", "channel %q is not installed", m.Channel)
	}
	ch, err := c.Channel.Query().Where(channel.Key(m.Channel)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Input("channel", "channel %q is not configured", m.Channel)
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	name := fmt.Sprintf("旅程「%s」第 %d 步", m.Name, m.Step+1)
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	create := c.Broadcast.Create().SetName(name).SetJourneyID(m.JourneyID).SetChannel(m.Channel).SetSubject(m.Subject).
		SetTemplate(m.Template).SetStatus(broadcast.StatusSENDING).SetScheduledAt(now).SetStartedAt(now).
		SetCreatedAt(now).SetUpdatedAt(now)
	var capSince *time.Time
	capMax := 0
	if f := m.Cap; f != nil {
		t := now.Add(-time.Duration(f.Days) * 24 * time.Hour)
		capSince, capMax = &t, f.Max
		create.SetCapMax(f.Max).SetCapDays(f.Days)
	}
	if err := setQuiet(ctx, c, tid, create, "quietHours", m.Quiet); err != nil {
		return nil, err
	}
	b, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.planRows(ctx, c, tid, b, `id = ANY($3::uuid[])`, txn.UUIDArray(m.Leads), requires(plug, ch), capSince, capMax, now); err != nil {
		return nil, err
	}
	if s.Queue == nil {
		return b, nil
	}
	return b, s.Queue.EnqueueBroadcastSend(ctx, tid, b.ID, time.Time{})
}

// planRows writes the delivery rows of the leads that which ($3) selects
// among the workspace's active leads, in one statement: their
// suppressions and recent message counts gathered with hash joins (no
// per-row subqueries), then one row per lead classified in precedence
// order. Row ids are type-carrying UUIDv7s (internal/gid) made in SQL.
func (s *Service) planRows(ctx context.Context, c *ent.Client, tid uuid.UUID, b *ent.Broadcast, which string, arg any,
	requires string, capSince *time.Time, capMax int, now time.Time) error {
	probe := gid.New(gid.Delivery)
	_, err := c.ExecContext(ctx, `WITH l AS MATERIALIZED (
			SELECT id, phone, email, reachable FROM leads
			WHERE tenant_id = $1 AND `+which+` AND status = 'ACTIVE'),
		s AS MATERIALIZED (
			`+suppress.InForceSQL("$1", "$4")+`),
		hit AS MATERIALIZED (
			SELECT l.id, s.kind FROM l JOIN s ON s.lead_id = l.id
			UNION ALL SELECT l.id, s.kind FROM l JOIN s ON s.phone = l.phone
			UNION ALL SELECT l.id, s.kind FROM l JOIN s ON s.email = l.email),
		flags AS MATERIALIZED (
			SELECT id, bool_or(kind = 'BLACKLIST') AS blacklist, bool_or(kind = 'DND') AS dnd FROM hit GROUP BY id),
		recent AS MATERIALIZED (
			SELECT d.lead_id, count(*) AS n FROM deliveries d JOIN l ON l.id = d.lead_id
			WHERE d.tenant_id = $1 AND $6::timestamptz IS NOT NULL AND d.sent_at >= $6::timestamptz GROUP BY d.lead_id)
		INSERT INTO deliveries (id, tenant_id, broadcast_id, lead_id, status, attempts)
		SELECT `+gid.NewSQLMillis(`(extract(epoch FROM clock_timestamp()) * 1000)::int8`, "$8::bytea")+`,
			$1, $2, l.id, CASE
				WHEN f.blacklist THEN 'SUPPRESSED_BLACKLIST'
				WHEN f.dnd THEN 'SUPPRESSED_DND'
				WHEN $5 <> '' AND NOT (l.reachable ? $5) THEN 'UNREACHABLE'
				WHEN r.n >= $7 THEN 'SUPPRESSED_CAP'
				ELSE 'PENDING' END, 0
		FROM l LEFT JOIN flags f ON f.id = l.id LEFT JOIN recent r ON r.lead_id = l.id
		ON CONFLICT (tenant_id, broadcast_id, lead_id) DO NOTHING`,
		tid, b.ID, arg, now, requires, capSince, capMax, []byte{probe[6], probe[7]})
	return err
}
