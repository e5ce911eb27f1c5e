package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/txn"
)

// Messages send what steps send (broadcast.Service): sendMessage steps as
// broadcasts to the step's leads, webhook steps' POSTs through the
// workspace's webhook channel to URLs on its host.
type Messages interface {
	CheckMessage(ctx context.Context, path string, m broadcast.StepMessage) error
	SendStep(ctx context.Context, m broadcast.StepMessage) (*ent.Broadcast, error)
	CheckWebhookURL(ctx context.Context, field, url string) error
	SendWebhooks(ctx context.Context, url string, msgs []broadcast.WebhookMessage) (map[string]string, error)
}

// WebhookBatch is one task of a webhook step: up to webhookBatch leads of
// one journey step, each with its enrolment.
type WebhookBatch struct {
	JourneyID   uuid.UUID   `json:"journey_id"`
	Journey     string      `json:"journey"`
	Step        int         `json:"step"`
	URL         string      `json:"url"`
	Enrollments []uuid.UUID `json:"enrollments"`
	Leads       []uuid.UUID `json:"leads"`
}

const webhookBatch = 100

// webhookBody is the step's description the receiver gets as the message
// body.
type webhookBody struct {
	Event        string    `json:"event"`
	JourneyID    string    `json:"journeyId"`
	Journey      string    `json:"journey"`
	Step         int       `json:"step"`
	EnrollmentID uuid.UUID `json:"enrollmentId"`
}

// webhook queues the POSTs of a webhook step for the group's enrolments, in
// the step's transaction: the step run and its tasks commit together, so
// each (enrolment, step) is posted by exactly one task.
func (g *group) webhook(ctx context.Context, c *ent.Client, url string, es []enrolment) error {
	q := g.p.s.Queue
	if q == nil {
		return fmt.Errorf("journey: no queue for webhook steps")
	}
	ctx = ent.NewContext(ctx, c)
	for chunk := range slices.Chunk(es, webhookBatch) {
		b := WebhookBatch{JourneyID: g.version.JourneyID, Journey: g.name, Step: g.index, URL: url}
		for _, e := range chunk {
			b.Enrollments = append(b.Enrollments, e.id)
			b.Leads = append(b.Leads, e.lead)
		}
		if err := q.EnqueueJourneyWebhooks(ctx, g.p.tid, b); err != nil {
			return err
		}
	}
	return nil
}

// RunWebhooks sends one task's POSTs (the journey:webhook task). The
// Idempotency-Key of each is its enrolment and step, the same on every
// retry. It returns the permanent refusals by key.
func (s *Service) RunWebhooks(ctx context.Context, b WebhookBatch) (map[string]string, error) {
	if s.Messages == nil {
		return nil, fmt.Errorf("journey: webhooks are not available in this process")
	}
	msgs := make([]broadcast.WebhookMessage, len(b.Leads))
	for i, lead := range b.Leads {
		body, err := json.Marshal(webhookBody{Event: "journey.step", JourneyID: b.JourneyID.String(), Journey: b.Journey,
			Step: b.Step, EnrollmentID: b.Enrollments[i]})
		if err != nil {
			return nil, err
		}
		msgs[i] = broadcast.WebhookMessage{Key: b.Enrollments[i].String() + ":" + strconv.Itoa(b.Step), LeadID: lead,
			Subject: b.Journey, Body: string(body)}
	}
	if _, err := txn.Tenant(ctx); err != nil {
		return nil, err
	}
	return s.Messages.SendWebhooks(ctx, b.URL, msgs)
}

// sendMessage sends the step's message to the group's leads: a broadcast of
// its own, planned in the step's transaction (suppressed and unreachable
// leads get their delivery rows too, and complete the step).
func (g *group) sendMessage(ctx context.Context, c *ent.Client, m *schematype.SendMessageStep, leads []uuid.UUID) error {
	if g.p.s.Messages == nil {
		return fmt.Errorf("journey: messages are not available in this process")
	}
	msg := stepMessage(m)
	msg.JourneyID, msg.Name, msg.Step, msg.Leads = g.version.JourneyID, g.name, g.index, leads
	_, err := g.p.s.Messages.SendStep(ent.NewContext(ctx, c), msg)
	return err
}

// stepMessage is what a sendMessage step sends, as the broadcast machinery
// takes it.
func stepMessage(m *schematype.SendMessageStep) broadcast.StepMessage {
	out := broadcast.StepMessage{Channel: m.Channel, Subject: m.Subject, Template: m.Template}
	if f := m.FrequencyCap; f != nil {
		out.Cap = &broadcast.Cap{Max: f.Max, Days: f.Days}
	}
	if q := m.QuietHours; q != nil {
		out.Quiet = &broadcast.Quiet{Start: q.Start, End: q.End, Timezone: q.Timezone}
	}
	return out
}
