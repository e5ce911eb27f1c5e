package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/graph/typed"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/pipeline"
)

func options(in []*model.FieldOptionInput) []schematype.FieldOption {
	if in == nil {
		return nil
	}
	out := make([]schematype.FieldOption, len(in))
	for i, o := range in {
		out[i] = schematype.FieldOption{Value: o.Value, Label: o.Label}
	}
	return out
}

// optionsOut serves a definition's options with the enum value name each
// has in the workspace's typed schema, named by the schema's own function.
func optionsOut(in []schematype.FieldOption) []*model.FieldOption {
	values := make([]string, len(in))
	for i, o := range in {
		values[i] = o.Value
	}
	names := typed.OptionNames(values)
	out := make([]*model.FieldOption, len(in))
	for i, o := range in {
		out[i] = &model.FieldOption{Value: o.Value, Label: o.Label, GraphqlName: names[i]}
	}
	return out
}

func stageInput(s *model.StageInput) pipeline.StageInput {
	in := pipeline.StageInput{Key: s.Key, Name: s.Name, Probability: deref(s.Probability), RotDays: s.RotDays,
		FunnelStep: s.FunnelStep, Color: deref(s.Color)}
	if s.Kind != nil {
		in.Kind = *s.Kind
	}
	return in
}

// actorID is the signed-in user, for "who did it" columns; nil for API keys.
func actorID(ctx context.Context) *uuid.UUID {
	if v := auth.FromContext(ctx); v != nil && v.UserID != uuid.Nil {
		id := v.UserID
		return &id
	}
	return nil
}

// fieldTypeSettings is a field type's settings as fieldTypes serves them.
func fieldTypeSettings(s fields.Settings) *model.FieldTypeSettings {
	out := &model.FieldTypeSettings{Options: s.Options, Pattern: s.Pattern}
	if s.Bounds != "" {
		b := string(s.Bounds)
		out.Bounds = &b
	}
	if s.Bounds == fields.BoundsLength {
		out.MaxLength = &s.MaxLength
	}
	return out
}
