package rules

import (
	"fmt"
	"slices"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/scrmhq/scrm/internal/fields"
)

// CEL names of the two object types. They show up in type errors
// ("no matching overload for '_==_' applied to '(scrm.Lead, int)'").
const (
	leadTypeName  = "scrm.Lead"
	attrsTypeName = "scrm.Attributes"
)

// member is one field of an object type: its CEL type and how to read it.
// get reports false when the value is absent, which makes has() false and a
// read an evaluation error.
type member struct {
	typ *types.Type
	get func(target any) (any, bool)
}

// object is an object type whose values are plain Go values (*Facts for
// lead, attrValues for attributes) read by the members' getters, so the
// checker knows every field's type while the data stays a Go struct or map.
type object struct {
	typ     *types.Type
	members map[string]member
	names   []string
}

func newObject(name string, members map[string]member) *object {
	o := &object{typ: types.NewObjectType(name), members: members}
	for n := range members {
		o.names = append(o.names, n)
	}
	slices.Sort(o.names)
	return o
}

func (o *object) fieldType(name string) (*types.FieldType, bool) {
	m, ok := o.members[name]
	if !ok {
		return nil, false
	}
	typeName := o.typ.TypeName()
	return &types.FieldType{
		Type: m.typ,
		IsSet: func(target any) bool {
			_, ok := m.get(target)
			return ok
		},
		GetFrom: func(target any) (any, error) {
			v, ok := m.get(target)
			if !ok {
				return nil, fmt.Errorf("%s.%s has no value", shortName(typeName), name)
			}
			return v, nil
		},
	}, true
}

func shortName(typeName string) string {
	if typeName == attrsTypeName {
		return "attributes"
	}
	return "lead"
}

// provider adds the lead and attributes object types of one field set to
// CEL's standard registry.
type provider struct {
	types.Provider
	objects map[string]*object
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if o, ok := p.objects[name]; ok {
		return types.NewTypeTypeWithParam(o.typ), true
	}
	return p.Provider.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if o, ok := p.objects[name]; ok {
		return slices.Clone(o.names), true
	}
	return p.Provider.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if o, ok := p.objects[name]; ok {
		return o.fieldType(field)
	}
	return p.Provider.FindStructFieldType(name, field)
}

// NewValue refuses to build our objects in an expression (scrm.Lead{...}):
// they only ever come from the data.
func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.objects[name]; ok {
		return types.NewErr("%s values cannot be created in a condition", name)
	}
	return p.Provider.NewValue(name, fields)
}

// leadMembers are the variables of lead; see the package documentation.
var leadMembers = map[string]member{
	"name":         leadString(func(f *Facts) string { return f.Name }),
	"company":      leadString(func(f *Facts) string { return f.Company }),
	"source":       leadString(func(f *Facts) string { return f.Source }),
	"sourceDetail": leadString(func(f *Facts) string { return f.SourceDetail }),
	"status":       leadString(func(f *Facts) string { return f.Status }),
	"tier":         leadString(func(f *Facts) string { return f.Tier }),
	"stage":        leadString(func(f *Facts) string { return f.Stage }),
	"stageKind":    leadString(func(f *Facts) string { return f.StageKind }),
	"territory":    leadString(func(f *Facts) string { return f.Territory }),
	"pool":         leadString(func(f *Facts) string { return f.Pool }),
	"score":        leadMember(types.IntType, func(f *Facts) (any, bool) { return int64(f.Score), true }),
	"owned":        leadBool(func(f *Facts) bool { return f.Owned }),
	"referred":     leadBool(func(f *Facts) bool { return f.Referred }),
	"hasPhone":     leadBool(func(f *Facts) bool { return f.HasPhone }),
	"hasEmail":     leadBool(func(f *Facts) bool { return f.HasEmail }),
	"reachable": leadMember(types.NewListType(types.StringType), func(f *Facts) (any, bool) {
		return nonNil(f.Reachable), true
	}),
	"createdAt":      leadMember(types.TimestampType, func(f *Facts) (any, bool) { return f.CreatedAt, true }),
	"claimedAt":      leadTime(func(f *Facts) *time.Time { return f.ClaimedAt }),
	"lastFollowUpAt": leadTime(func(f *Facts) *time.Time { return f.LastFollowUpAt }),
}

func leadMember(t *types.Type, get func(*Facts) (any, bool)) member {
	return member{typ: t, get: func(target any) (any, bool) {
		f, ok := target.(*Facts)
		if !ok || f == nil {
			return nil, false
		}
		return get(f)
	}}
}

func leadString(get func(*Facts) string) member {
	return leadMember(types.StringType, func(f *Facts) (any, bool) { return get(f), true })
}

func leadBool(get func(*Facts) bool) member {
	return leadMember(types.BoolType, func(f *Facts) (any, bool) { return get(f), true })
}

func leadTime(get func(*Facts) *time.Time) member {
	return leadMember(types.TimestampType, func(f *Facts) (any, bool) {
		t := get(f)
		if t == nil {
			return nil, false
		}
		return *t, true
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// attrValues is the runtime value of the attributes variable: a lead's
// stored attributes as decoded from jsonb.
type attrValues map[string]any

// celTypes are the CEL types a field type can declare (fields.CELType).
var celTypes = map[fields.CELType]*types.Type{
	fields.CELString:     types.StringType,
	fields.CELDouble:     types.DoubleType,
	fields.CELBool:       types.BoolType,
	fields.CELTimestamp:  types.TimestampType,
	fields.CELStringList: types.NewListType(types.StringType),
}

// attrMember is the member of the attributes object for one custom field,
// typed and read as its type's descriptor says. Only the canonical stored
// form counts (what fields.Schema.Validate writes, as the SQL filters of
// internal/fields read it): a value left by an older definition of another
// type, null, "" and [] read as absent.
func attrMember(key string, t fields.Type) (member, bool) {
	d, ok := fields.Describe(t)
	if !ok {
		return member{}, false
	}
	ct, ok := celTypes[d.CEL]
	if !ok {
		return member{}, false
	}
	return member{typ: ct, get: func(target any) (any, bool) {
		m, ok := target.(attrValues)
		if !ok {
			return nil, false
		}
		raw, ok := m[key]
		if !ok {
			return nil, false
		}
		return d.Storage.Read(raw)
	}}, true
}
