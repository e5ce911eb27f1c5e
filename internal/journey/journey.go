// Package journey runs SOP journeys (客户SOP, marketing automation): a
// trigger enrols leads, each enrolment runs the steps of the journey version
// it entered, in order, and a scheduler pass advances due enrolments.
//
// Versions: a journey's steps and exit rule live in immutable
// JourneyVersion rows; editing them writes a new version, which new
// enrolments run, while enrolled leads finish on the version they entered.
//
// The engine (RunDue) takes due enrolments of ACTIVE journeys set-based, in
// batches, FOR UPDATE SKIP LOCKED, so any number of workers share the work;
// it groups a batch by (version, step) and runs each group's step as a
// handful of set-based statements. Every step an enrolment runs is a
// StepRun row, unique per (enrolment, step), written in the transaction of
// the step's effect: a step runs at most once whatever the retries,
// restarts and workers. The Service works in the transaction the context
// carries, or opens its own.
package journey

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/tasks"
	"github.com/scrmhq/scrm/internal/txn"
)

// Queue is the background work of journeys (jobs.Queue), written in the
// transaction ctx carries.
type Queue interface {
	// EnqueueJourneyRun asks for a scheduler pass over the workspace soon
	// (after enrolments, a resume), besides the periodic one.
	EnqueueJourneyRun(ctx context.Context, tenantID uuid.UUID) error
	// EnqueueJourneyWebhooks sends the POSTs of a webhook step.
	EnqueueJourneyWebhooks(ctx context.Context, tenantID uuid.UUID, b WebhookBatch) error
}

// Service creates, changes, enrols in and runs journeys.
type Service struct {
	txn.Root
	Segments  *segment.Service
	Tags      *tagging.Service
	Pipelines *pipeline.Service
	Pools     *pool.Service
	Assigner  *assign.Engine
	// Tasks creates the tasks of createTask steps.
	Tasks *tasks.Service
	// Messages checks and sends sendMessage and webhook steps.
	Messages Messages
	// Queue takes the scheduler kicks; nil queues none (the periodic pass
	// still runs).
	Queue Queue
}

// New returns the service over the root client c with the clock now.
func New(c *ent.Client, now func() time.Time) *Service {
	return &Service{Root: txn.NewRoot(c).WithClock(now)}
}

// Limits.
const (
	MaxSteps     = 50
	MaxLeads     = 10000 // leads of one enrollLeads call
	maxNameLen   = 200
	maxTextLen   = 2000
	maxWaitDays  = 365
	defaultBatch = 2000
)
