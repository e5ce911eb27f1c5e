package schematype

import "github.com/google/uuid"

// JourneyTrigger is what enrols leads in a journey (JourneyTriggerInput):
// exactly one key is set; internal/journey validates it.
type JourneyTrigger struct {
	LeadCreated     *LeadCreatedTrigger     `json:"leadCreated,omitempty"`
	TagAdded        *TagAddedTrigger        `json:"tagAdded,omitempty"`
	StageEntered    *StageEnteredTrigger    `json:"stageEntered,omitempty"`
	SegmentEntered  *SegmentEnteredTrigger  `json:"segmentEntered,omitempty"`
	Event           *EventTrigger           `json:"event,omitempty"`
	ContactWayAdded *ContactWayAddedTrigger `json:"contactWayAdded,omitempty"`
	WecomLost       *EmptyTrigger           `json:"wecomLost,omitempty"`
	Manual          *EmptyTrigger           `json:"manual,omitempty"`
}

// LeadCreatedTrigger enrols leads created with Source (empty: any source).
type LeadCreatedTrigger struct {
	Source string `json:"source,omitempty"`
}

// TagAddedTrigger enrols leads that get TagID.
type TagAddedTrigger struct {
	TagID uuid.UUID `json:"tagID"`
}

// StageEnteredTrigger enrols leads that move into StageID.
type StageEnteredTrigger struct {
	StageID uuid.UUID `json:"stageID"`
}

// SegmentEnteredTrigger enrols leads that are members of a computation of
// SegmentID and were not of the one before.
type SegmentEnteredTrigger struct {
	SegmentID uuid.UUID `json:"segmentID"`
}

// EventTrigger enrols leads for which an event Name is tracked.
type EventTrigger struct {
	Name string `json:"name"`
}

// ContactWayAddedTrigger enrols customers who add a member through the
// contact-way code ContactWayID.
type ContactWayAddedTrigger struct {
	ContactWayID uuid.UUID `json:"contactWayID"`
}

// EmptyTrigger is a trigger without settings (wecomLost, manual).
type EmptyTrigger struct{}

// JourneyStep is one step of a journey version (JourneyStepInput): exactly
// one key is set.
type JourneyStep struct {
	Wait        *WaitStep        `json:"wait,omitempty"`
	Condition   *ConditionStep   `json:"condition,omitempty"`
	SendMessage *SendMessageStep `json:"sendMessage,omitempty"`
	CreateTask  *CreateTaskStep  `json:"createTask,omitempty"`
	AddTags     *TagsStep        `json:"addTags,omitempty"`
	RemoveTags  *TagsStep        `json:"removeTags,omitempty"`
	MoveStage   *MoveStageStep   `json:"moveStage,omitempty"`
	Reassign    *ReassignStep    `json:"reassign,omitempty"`
	Webhook     *WebhookStep     `json:"webhook,omitempty"`
}

// Step kinds, the keys of JourneyStep.
const (
	StepWait        = "wait"
	StepCondition   = "condition"
	StepSendMessage = "sendMessage"
	StepCreateTask  = "createTask"
	StepAddTags     = "addTags"
	StepRemoveTags  = "removeTags"
	StepMoveStage   = "moveStage"
	StepReassign    = "reassign"
	StepWebhook     = "webhook"
)

// Kinds names the keys set on s, in contract order.
func (s JourneyStep) Kinds() []string {
	var ks []string
	add := func(set bool, k string) {
		if set {
			ks = append(ks, k)
		}
	}
	add(s.Wait != nil, StepWait)
	add(s.Condition != nil, StepCondition)
	add(s.SendMessage != nil, StepSendMessage)
	add(s.CreateTask != nil, StepCreateTask)
	add(s.AddTags != nil, StepAddTags)
	add(s.RemoveTags != nil, StepRemoveTags)
	add(s.MoveStage != nil, StepMoveStage)
	add(s.Reassign != nil, StepReassign)
	add(s.Webhook != nil, StepWebhook)
	return ks
}

// Kind is the step's one key ("" when it has none or several).
func (s JourneyStep) Kind() string {
	if ks := s.Kinds(); len(ks) == 1 {
		return ks[0]
	}
	return ""
}

// WaitStep waits Minutes+Hours+Days, then, with AtLocalTime ("HH:MM"), until
// the next such time of day in the workspace's time zone.
type WaitStep struct {
	Minutes     int    `json:"minutes,omitempty"`
	Hours       int    `json:"hours,omitempty"`
	Days        int    `json:"days,omitempty"`
	AtLocalTime string `json:"atLocalTime,omitempty"`
}

// ConditionStep lets leads matching Rule go on; the others exit
// (Otherwise EXIT) or skip the next step (SKIP_NEXT).
type ConditionStep struct {
	Rule      SegmentRule `json:"rule"`
	Otherwise string      `json:"otherwise"`
}

// SendMessageStep sends Template (and Subject) through Channel, under an
// optional frequency cap and quiet hours as a broadcast's.
type SendMessageStep struct {
	Channel      string        `json:"channel"`
	Subject      string        `json:"subject,omitempty"`
	Template     string        `json:"template"`
	FrequencyCap *FrequencyCap `json:"frequencyCap,omitempty"`
	QuietHours   *QuietHours   `json:"quietHours,omitempty"`
}

// FrequencyCap: at most Max messages per lead over Days, counted across the
// workspace's broadcasts.
type FrequencyCap struct {
	Max  int `json:"max"`
	Days int `json:"days"`
}

// QuietHours: nothing is sent from Start to End ("HH:MM", may cross
// midnight) in Timezone (the workspace's when empty, read when the step runs).
type QuietHours struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	Timezone string `json:"timezone,omitempty"`
}

// CreateTaskStep creates a task due DueInHours after the step runs, for the
// lead's owner (OWNER), the owner's team manager (MANAGER) or UserID (USER).
type CreateTaskStep struct {
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	DueInHours  int        `json:"dueInHours,omitempty"`
	Assignee    string     `json:"assignee"`
	UserID      *uuid.UUID `json:"userID,omitempty"`
}

// TagsStep adds or removes TagIDs.
type TagsStep struct {
	TagIDs []uuid.UUID `json:"tagIDs"`
}

// MoveStageStep moves the lead to StageID.
type MoveStageStep struct {
	StageID uuid.UUID `json:"stageID"`
}

// ReassignStep hands the lead on (二次分配): through the assignment rules
// (RULES) or back to its pool (POOL).
type ReassignStep struct {
	To                  string `json:"to"`
	ExcludeCurrentOwner bool   `json:"excludeCurrentOwner,omitempty"`
}

// WebhookStep posts the lead, signed, to URL.
type WebhookStep struct {
	URL string `json:"url"`
}
