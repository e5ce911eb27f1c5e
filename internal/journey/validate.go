package journey

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/contactway"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/tasks"
	"github.com/scrmhq/scrm/internal/textinput"
)

// Trigger kinds, the keys of JourneyTriggerInput, as stored in
// journeys.trigger_kind.
const (
	TriggerLeadCreated     = "leadCreated"
	TriggerTagAdded        = "tagAdded"
	TriggerStageEntered    = "stageEntered"
	TriggerSegmentEntered  = "segmentEntered"
	TriggerEvent           = "event"
	TriggerContactWayAdded = "contactWayAdded"
	TriggerWecomLost       = "wecomLost"
	TriggerManual          = "manual"
)

// Values of the step settings.
const (
	OtherwiseExit     = "EXIT"
	OtherwiseSkipNext = "SKIP_NEXT"
	AssigneeOwner     = tasks.AssigneeOwner
	AssigneeManager   = tasks.AssigneeManager
	AssigneeUser      = tasks.AssigneeUser
	ReassignRules     = "RULES"
	ReassignPool      = "POOL"
)

var clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// triggerKinds names the keys set on t, in contract order.
func triggerKinds(t schematype.JourneyTrigger) []string {
	var ks []string
	add := func(set bool, k string) {
		if set {
			ks = append(ks, k)
		}
	}
	add(t.LeadCreated != nil, TriggerLeadCreated)
	add(t.TagAdded != nil, TriggerTagAdded)
	add(t.StageEntered != nil, TriggerStageEntered)
	add(t.SegmentEntered != nil, TriggerSegmentEntered)
	add(t.Event != nil, TriggerEvent)
	add(t.ContactWayAdded != nil, TriggerContactWayAdded)
	add(t.WecomLost != nil, TriggerWecomLost)
	add(t.Manual != nil, TriggerManual)
	return ks
}

// triggerKey is what the trigger hooks match a journey by: the source,
// event name or id the trigger names ("" for the others).
func triggerKey(t schematype.JourneyTrigger) string {
	switch {
	case t.LeadCreated != nil:
		return t.LeadCreated.Source
	case t.TagAdded != nil:
		return t.TagAdded.TagID.String()
	case t.StageEntered != nil:
		return t.StageEntered.StageID.String()
	case t.SegmentEntered != nil:
		return t.SegmentEntered.SegmentID.String()
	case t.Event != nil:
		return t.Event.Name
	case t.ContactWayAdded != nil:
		return t.ContactWayAdded.ContactWayID.String()
	}
	return ""
}

// validator checks a journey's input before anything is written. Paths are
// relative to the service's input (steps[2].wait.atLocalTime).
type validator struct {
	s   *Service
	ctx context.Context
	c   *ent.Client
}

func (v *validator) name(field, name string) (string, error) {
	return textinput.Clean(field, name, maxNameLen, true)
}

func oneKey(field, what string, keys []string) error {
	switch len(keys) {
	case 1:
		return nil
	case 0:
		return apperr.Input(field, "%s needs exactly one key; none is set", what)
	}
	return apperr.Input(field, "%s needs exactly one key; %s are set", what, strings.Join(keys, " and "))
}

// trigger checks t and normalises its text.
func (v *validator) trigger(field string, t *schematype.JourneyTrigger) error {
	if err := oneKey(field, "a trigger", triggerKinds(*t)); err != nil {
		return err
	}
	var err error
	switch {
	case t.LeadCreated != nil:
		t.LeadCreated.Source, err = textinput.Clean(field+".leadCreated.source", t.LeadCreated.Source, 100, false)
	case t.TagAdded != nil:
		err = v.exists(field+".tagAdded.tagID", "tag", v.c.Tag.Query().Where(tag.ID(t.TagAdded.TagID)).Exist)
	case t.StageEntered != nil:
		err = v.exists(field+".stageEntered.stageID", "stage", v.c.Stage.Query().Where(stage.ID(t.StageEntered.StageID)).Exist)
	case t.SegmentEntered != nil:
		err = v.segment(field+".segmentEntered.segmentID", t.SegmentEntered.SegmentID)
	case t.Event != nil:
		t.Event.Name, err = textinput.Clean(field+".event.name", t.Event.Name, 100, true)
	case t.ContactWayAdded != nil:
		err = v.exists(field+".contactWayAdded.contactWayID", "contact way",
			v.c.ContactWay.Query().Where(contactway.ID(t.ContactWayAdded.ContactWayID)).Exist)
	}
	return err
}

func (v *validator) exists(field, what string, exist func(context.Context) (bool, error)) error {
	ok, err := exist(v.ctx)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.NotFound, field, "%s not found", what)
	}
	return nil
}

// segment checks that id is a segment the caller may read the members of.
func (v *validator) segment(field string, id uuid.UUID) error {
	seg, err := v.c.Segment.Query().Where(segment.ID(id)).Only(v.ctx)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, field, "segment not found")
	}
	if err != nil {
		return err
	}
	return v.s.Segments.CheckReadable(v.ctx, seg, field)
}

// steps checks every step, in order.
func (v *validator) steps(field string, steps []schematype.JourneyStep) error {
	if len(steps) == 0 {
		return apperr.Input(field, "a journey needs at least one step")
	}
	if len(steps) > MaxSteps {
		return apperr.Input(field, "at most %d steps", MaxSteps)
	}
	for i := range steps {
		path := fmt.Sprintf("%s[%d]", field, i)
		if err := v.step(path, &steps[i], i == len(steps)-1); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) step(path string, st *schematype.JourneyStep, last bool) error {
	if err := oneKey(path, "a step", st.Kinds()); err != nil {
		return err
	}
	switch {
	case st.Wait != nil:
		return wait(path+".wait", st.Wait)
	case st.Condition != nil:
		return v.condition(path+".condition", st.Condition, last)
	case st.SendMessage != nil:
		if v.s.Messages == nil {
			return apperr.Input(path+".sendMessage", "messages are not available in this process")
		}
		m := st.SendMessage
		return v.s.Messages.CheckMessage(v.ctx, path+".sendMessage", stepMessage(m))
	case st.CreateTask != nil:
		return v.createTask(path+".createTask", st.CreateTask)
	case st.AddTags != nil:
		return v.tags(path+".addTags.tagIDs", st.AddTags.TagIDs, true)
	case st.RemoveTags != nil:
		return v.tags(path+".removeTags.tagIDs", st.RemoveTags.TagIDs, false)
	case st.MoveStage != nil:
		return v.moveStage(path+".moveStage.stageID", st.MoveStage.StageID)
	case st.Reassign != nil:
		return reassign(path+".reassign", st.Reassign)
	case st.Webhook != nil:
		if err := webhook(path+".webhook.url", st.Webhook); err != nil {
			return err
		}
		if v.s.Messages == nil {
			return apperr.Input(path+".webhook", "webhooks are not available in this process")
		}
		return v.s.Messages.CheckWebhookURL(v.ctx, path+".webhook.url", st.Webhook.URL)
	}
	return nil
}

func wait(path string, w *schematype.WaitStep) error {
	for _, n := range []struct {
		key string
		v   int
	}{{"minutes", w.Minutes}, {"hours", w.Hours}, {"days", w.Days}} {
		if n.v < 0 {
			return apperr.Input(path+"."+n.key, "must not be negative")
		}
	}
	if w.AtLocalTime != "" && !clockRE.MatchString(w.AtLocalTime) {
		return apperr.Input(path+".atLocalTime", "a time of day HH:MM (00:00 to 23:59), e.g. \"09:00\"")
	}
	total := w.Days*24*60 + w.Hours*60 + w.Minutes
	if total == 0 && w.AtLocalTime == "" {
		return apperr.Input(path, "wait for some minutes, hours or days, or until atLocalTime")
	}
	if w.Days > maxWaitDays || w.Hours > maxWaitDays*24 || w.Minutes > maxWaitDays*24*60 || total > maxWaitDays*24*60 {
		return apperr.Input(path, "a wait is at most %d days", maxWaitDays)
	}
	return nil
}

func (v *validator) condition(path string, c *schematype.ConditionStep, last bool) error {
	if err := v.s.Segments.CheckRule(v.ctx, path+".rule", &c.Rule); err != nil {
		return err
	}
	switch c.Otherwise {
	case "":
		c.Otherwise = OtherwiseExit
	case OtherwiseExit:
	case OtherwiseSkipNext:
		if last {
			return apperr.Input(path+".otherwise", "SKIP_NEXT on the last step has no next step to skip")
		}
	default:
		return apperr.Input(path+".otherwise", "EXIT or SKIP_NEXT")
	}
	return nil
}

func (v *validator) createTask(path string, t *schematype.CreateTaskStep) error {
	var err error
	if t.Title, err = textinput.Clean(path+".title", t.Title, maxNameLen, true); err != nil {
		return err
	}
	if t.Description, err = textinput.Clean(path+".description", t.Description, maxTextLen, false); err != nil {
		return err
	}
	if t.DueInHours < 0 || t.DueInHours > maxWaitDays*24 {
		return apperr.Input(path+".dueInHours", "0 to %d hours", maxWaitDays*24)
	}
	switch t.Assignee {
	case "":
		t.Assignee = AssigneeOwner
	case AssigneeOwner, AssigneeManager, AssigneeUser:
	default:
		return apperr.Input(path+".assignee", "OWNER, MANAGER or USER")
	}
	if t.Assignee != AssigneeUser {
		if t.UserID != nil {
			return apperr.Input(path+".userID", "a user is named only with assignee USER")
		}
		return nil
	}
	if t.UserID == nil {
		return apperr.Input(path+".userID", "assignee USER needs a user")
	}
	u, err := v.c.User.Query().Where(user.ID(*t.UserID)).Only(v.ctx)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, path+".userID", "user not found")
	}
	if err != nil {
		return err
	}
	if !u.Active {
		return apperr.Input(path+".userID", "the user is deactivated")
	}
	return nil
}

func (v *validator) tags(path string, ids []uuid.UUID, adding bool) error {
	if len(ids) == 0 {
		return apperr.Input(path, "at least one tag is required")
	}
	if len(ids) > 100 {
		return apperr.Input(path, "at most 100 tags")
	}
	found, err := v.c.Tag.Query().Where(tag.IDIn(ids...)).WithGroup().All(v.ctx)
	if err != nil {
		return err
	}
	byID := make(map[uuid.UUID]*ent.Tag, len(found))
	for _, t := range found {
		byID[t.ID] = t
	}
	groups := map[uuid.UUID]int{}
	for i, id := range ids {
		t := byID[id]
		if t == nil {
			return apperr.New(apperr.NotFound, fmt.Sprintf("%s[%d]", path, i), "tag not found")
		}
		if !adding || t.Edges.Group == nil || !t.Edges.Group.Exclusive {
			continue
		}
		if j, seen := groups[t.Edges.Group.ID]; seen && ids[j] != id {
			return apperr.Input(fmt.Sprintf("%s[%d]", path, i), "tags %q and %q are both in the exclusive group %q: a lead carries at most one of them",
				byID[ids[j]].Name, t.Name, t.Edges.Group.Name)
		}
		groups[t.Edges.Group.ID] = i
	}
	return nil
}

func (v *validator) moveStage(path string, id uuid.UUID) error {
	st, err := v.c.Stage.Query().Where(stage.ID(id)).WithPipeline().Only(v.ctx)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, path, "stage not found")
	}
	if err != nil {
		return err
	}
	switch {
	case st.Archived:
		return apperr.Input(path, "the stage is archived")
	case st.Edges.Pipeline != nil && st.Edges.Pipeline.Archived:
		return apperr.Input(path, "the stage's pipeline is archived")
	}
	return nil
}

func reassign(path string, r *schematype.ReassignStep) error {
	switch r.To {
	case ReassignRules, ReassignPool:
		return nil
	}
	return apperr.Input(path+".to", "RULES or POOL")
}

func webhook(path string, w *schematype.WebhookStep) error {
	w.URL = strings.TrimSpace(w.URL)
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return apperr.Input(path, "an absolute http or https URL")
	}
	if len(w.URL) > 2000 {
		return apperr.Input(path, "at most 2000 characters")
	}
	return nil
}
