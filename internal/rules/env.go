package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fields"
)

// Purpose says what a condition is for; it decides which variables it may use.
type Purpose int

const (
	// Scoring conditions pick the leads a scoring rule gives points to. They
	// cannot read lead.score or lead.tier, which scoring computes.
	Scoring Purpose = iota + 1
	// Assignment conditions pick the leads an assignment rule routes.
	Assignment
)

func (p Purpose) String() string {
	switch p {
	case Scoring:
		return "scoring"
	case Assignment:
		return "assignment"
	}
	return fmt.Sprintf("Purpose(%d)", int(p))
}

// Field is one custom field as conditions see it.
type Field struct {
	Key  string
	Type fields.Type
}

// Env is the condition language of one set of custom fields and one
// purpose. It holds no workspace data, so workspaces with the same fields
// share it (and its compiled programs). It is safe for concurrent use.
type Env struct {
	purpose Purpose
	fields  map[string]fields.Type
	cel     *cel.Env

	mu       sync.Mutex
	programs map[string]*Program
}

// Cache bounds: a full cache is dropped and refilled, which costs only
// recompilation.
const (
	maxEnvs     = 256
	maxPrograms = 1024
)

var envs = struct {
	sync.Mutex
	m map[string]*Env
}{m: map[string]*Env{}}

// NewEnv returns the environment of the context's workspace for purpose p:
// its non-archived custom fields of leads, read now (one small indexed
// query), so a definition change is seen by the next call on any process.
// Environments and their compiled programs are cached by purpose and field
// set, never by workspace or version, so a stale entry cannot exist.
func NewEnv(ctx context.Context, c *ent.Client, p Purpose) (*Env, error) {
	defs, err := c.FieldDefinition.Query().
		Where(fielddefinition.EntityEQ(fielddefinition.EntityLEAD), fielddefinition.Archived(false)).
		Select(fielddefinition.FieldKey, fielddefinition.FieldType).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("rules: load fields: %w", err)
	}
	fs := make([]Field, len(defs))
	for i, d := range defs {
		fs[i] = Field{Key: d.Key, Type: fields.Type(d.Type)}
	}
	return EnvFor(p, fs)
}

// Validate checks a condition of purpose p about to be saved in the
// context's workspace: NewEnv then Compile, whose apperr.Input at field
// it returns. A condition on a custom field the viewer of ctx sees masked
// is FORBIDDEN: which leads it scores or routes would tell the hidden value.
func Validate(ctx context.Context, c *ent.Client, p Purpose, field, expr string) error {
	e, err := NewEnv(ctx, c, p)
	if err != nil {
		return err
	}
	prg, err := e.Compile(field, expr)
	if err != nil {
		return err
	}
	for _, key := range prg.Attributes() {
		if err := authz.CheckSearchable(ctx, field, e.fields[key]); err != nil {
			return err
		}
	}
	return nil
}

// EnvFor returns the environment of purpose p over the custom fields fs
// (archived ones must be left out by the caller).
func EnvFor(p Purpose, fs []Field) (*Env, error) {
	if p != Scoring && p != Assignment {
		return nil, fmt.Errorf("rules: unknown purpose %d", int(p))
	}
	fs = slices.Clone(fs)
	slices.SortFunc(fs, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
	var key strings.Builder
	fmt.Fprintf(&key, "%d", p)
	for _, f := range fs {
		key.WriteString("\x00" + f.Key + "\x01" + string(f.Type))
	}
	envs.Lock()
	defer envs.Unlock()
	if e, ok := envs.m[key.String()]; ok {
		return e, nil
	}
	e, err := newEnv(p, fs)
	if err != nil {
		return nil, err
	}
	if len(envs.m) >= maxEnvs {
		envs.m = map[string]*Env{}
	}
	envs.m[key.String()] = e
	return e, nil
}

func newEnv(p Purpose, fs []Field) (*Env, error) {
	attrs := make(map[string]member, len(fs))
	ftypes := make(map[string]fields.Type, len(fs))
	for _, f := range fs {
		m, ok := attrMember(f.Key, f.Type)
		if !ok {
			return nil, fmt.Errorf("rules: field %q has unknown type %q", f.Key, f.Type)
		}
		attrs[f.Key] = m
		ftypes[f.Key] = f.Type
	}
	base, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	lead := newObject(leadTypeName, leadMembers)
	attributes := newObject(attrsTypeName, attrs)
	prov := &provider{Provider: base, objects: map[string]*object{leadTypeName: lead, attrsTypeName: attributes}}
	ce, err := cel.NewEnv(
		cel.CustomTypeProvider(prov),
		cel.CustomTypeAdapter(base),
		cel.ParserExpressionSizeLimit(MaxLength),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.Variable("lead", lead.typ),
		cel.Variable("attributes", attributes.typ),
		cel.Variable("tags", cel.ListType(cel.StringType)),
		cel.Variable("now", cel.TimestampType),
		cel.Function(eventCountFunc,
			cel.Overload(eventCountOverload, []*cel.Type{cel.StringType, cel.IntType}, cel.IntType,
				cel.LateFunctionBinding())),
	)
	if err != nil {
		return nil, fmt.Errorf("rules: build environment: %w", err)
	}
	return &Env{purpose: p, fields: ftypes, cel: ce, programs: map[string]*Program{}}, nil
}

// Purpose is the purpose e was built for.
func (e *Env) Purpose() Purpose { return e.purpose }

// Fields returns the custom fields a condition can read, sorted by key.
func (e *Env) Fields() []Field {
	out := make([]Field, 0, len(e.fields))
	for k, t := range e.fields {
		out = append(out, Field{Key: k, Type: t})
	}
	slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
	return out
}
