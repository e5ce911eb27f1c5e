package graph

import (
	"encoding/json"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/gid"
)

// journeyTrigger converts the GraphQL trigger; internal/journey checks it
// (exactly one key, the ids it names).
func journeyTrigger(in *model.JourneyTriggerInput) schematype.JourneyTrigger {
	var t schematype.JourneyTrigger
	if in == nil {
		return t
	}
	if x := in.LeadCreated; x != nil {
		t.LeadCreated = &schematype.LeadCreatedTrigger{Source: deref(x.Source)}
	}
	if x := in.TagAdded; x != nil {
		t.TagAdded = &schematype.TagAddedTrigger{TagID: x.TagID}
	}
	if x := in.StageEntered; x != nil {
		t.StageEntered = &schematype.StageEnteredTrigger{StageID: x.StageID}
	}
	if x := in.SegmentEntered; x != nil {
		t.SegmentEntered = &schematype.SegmentEnteredTrigger{SegmentID: x.SegmentID}
	}
	if x := in.Event; x != nil {
		t.Event = &schematype.EventTrigger{Name: x.Name}
	}
	if x := in.ContactWayAdded; x != nil {
		t.ContactWayAdded = &schematype.ContactWayAddedTrigger{ContactWayID: x.ContactWayID}
	}
	if in.WecomLost != nil {
		t.WecomLost = &schematype.EmptyTrigger{}
	}
	if in.Manual != nil {
		t.Manual = &schematype.EmptyTrigger{}
	}
	return t
}

// journeySteps converts the GraphQL steps; nil stays nil (no change in an
// update).
func journeySteps(in []*model.JourneyStepInput) []schematype.JourneyStep {
	if in == nil {
		return nil
	}
	out := make([]schematype.JourneyStep, len(in))
	for i, s := range in {
		if s == nil {
			continue
		}
		st := &out[i]
		if x := s.Wait; x != nil {
			st.Wait = &schematype.WaitStep{Minutes: deref(x.Minutes), Hours: deref(x.Hours), Days: deref(x.Days),
				AtLocalTime: deref(x.AtLocalTime)}
		}
		if x := s.Condition; x != nil {
			c := &schematype.ConditionStep{}
			if r := segmentRule(x.Rule); r != nil {
				c.Rule = *r
			}
			if x.Otherwise != nil {
				c.Otherwise = string(*x.Otherwise)
			}
			st.Condition = c
		}
		if x := s.SendMessage; x != nil {
			m := &schematype.SendMessageStep{Channel: x.Channel, Subject: deref(x.Subject), Template: x.Template}
			if f := x.FrequencyCap; f != nil {
				m.FrequencyCap = &schematype.FrequencyCap{Max: f.Max, Days: f.Days}
			}
			if q := x.QuietHours; q != nil {
				m.QuietHours = &schematype.QuietHours{Start: q.Start, End: q.End, Timezone: deref(q.Timezone)}
			}
			st.SendMessage = m
		}
		if x := s.CreateTask; x != nil {
			t := &schematype.CreateTaskStep{Title: x.Title, Description: deref(x.Description), DueInHours: 24, UserID: x.UserID}
			if x.DueInHours != nil {
				t.DueInHours = *x.DueInHours
			}
			if x.Assignee != nil {
				t.Assignee = string(*x.Assignee)
			}
			st.CreateTask = t
		}
		if x := s.AddTags; x != nil {
			st.AddTags = &schematype.TagsStep{TagIDs: x.TagIDs}
		}
		if x := s.RemoveTags; x != nil {
			st.RemoveTags = &schematype.TagsStep{TagIDs: x.TagIDs}
		}
		if x := s.MoveStage; x != nil {
			st.MoveStage = &schematype.MoveStageStep{StageID: x.StageID}
		}
		if x := s.Reassign; x != nil {
			r := &schematype.ReassignStep{To: string(x.To), ExcludeCurrentOwner: true}
			if x.ExcludeCurrentOwner != nil {
				r.ExcludeCurrentOwner = *x.ExcludeCurrentOwner
			}
			st.Reassign = r
		}
		if x := s.Webhook; x != nil {
			st.Webhook = &schematype.WebhookStep{URL: x.URL}
		}
	}
	return out
}

// journeyTriggerJSON is a trigger as JourneyTriggerInput takes it, its ids
// opaque like every id the API gives.
func journeyTriggerJSON(t schematype.JourneyTrigger) (any, error) {
	v, err := asJSON(t)
	if m, ok := v.(map[string]any); ok {
		opaqueIn(m, "tagAdded", "tagID")
		opaqueIn(m, "stageEntered", "stageID")
		opaqueIn(m, "segmentEntered", "segmentID")
		opaqueIn(m, "contactWayAdded", "contactWayID")
	}
	return v, err
}

// journeyStepsJSON is a version's steps as [JourneyStepInput], ids opaque
// (condition rules as segment rules are served).
func journeyStepsJSON(steps []schematype.JourneyStep) (any, error) {
	v, err := asJSON(steps)
	list, _ := v.([]any)
	if err != nil || len(list) != len(steps) {
		return v, err
	}
	for i, st := range steps {
		m, ok := list[i].(map[string]any)
		if !ok {
			continue
		}
		if c, ok := m["condition"].(map[string]any); ok && st.Condition != nil {
			c["rule"] = segmentRuleJSON(&st.Condition.Rule)
		}
		for _, k := range []string{"addTags", "removeTags"} {
			if x, ok := m[k].(map[string]any); ok {
				if ids, ok := x["tagIDs"].([]any); ok {
					for j, id := range ids {
						ids[j] = opaque(id)
					}
				}
			}
		}
		opaqueIn(m, "moveStage", "stageID")
		opaqueIn(m, "createTask", "userID")
	}
	return list, nil
}

// opaqueIn makes m[key][field], a UUID, an opaque id.
func opaqueIn(m map[string]any, key, field string) {
	if x, ok := m[key].(map[string]any); ok {
		if _, ok := x[field]; ok {
			x[field] = opaque(x[field])
		}
	}
}

// opaque is a raw UUID (JSON string) as an opaque id; anything else as it is.
func opaque(v any) any {
	s, _ := v.(string)
	id, err := uuid.Parse(s)
	if err != nil {
		return v
	}
	return gid.Encode(id)
}

// asJSON returns v as plain JSON values (maps, slices), as the JSON scalar
// serves them.
func asJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(b, &out)
}
