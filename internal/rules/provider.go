package rules

import (
	"encoding/json"
	"fmt"
	"math"
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

// celType is the CEL type of a custom field type.
func celType(t fields.Type) (*types.Type, bool) {
	switch t {
	case fields.TypeText, fields.TypeLongText, fields.TypeEmail, fields.TypePhone, fields.TypeURL, fields.TypeSelect:
		return types.StringType, true
	case fields.TypeNumber, fields.TypeMoney:
		return types.DoubleType, true
	case fields.TypeBoolean:
		return types.BoolType, true
	case fields.TypeDate, fields.TypeDateTime:
		return types.TimestampType, true
	case fields.TypeMultiSelect:
		return types.NewListType(types.StringType), true
	}
	return nil, false
}

func attrMember(key string, t fields.Type, ct *types.Type) member {
	return member{typ: ct, get: func(target any) (any, bool) {
		m, ok := target.(attrValues)
		if !ok {
			return nil, false
		}
		raw, ok := m[key]
		if !ok {
			return nil, false
		}
		return attrValue(t, raw)
	}}
}

// attrValue reads a stored value as its field type's CEL value. Only the
// canonical stored form counts (what fields.Schema.Validate writes, as the
// SQL filters of internal/fields do): a value left by an older definition of
// another type, null, "" and [] read as absent.
func attrValue(t fields.Type, raw any) (any, bool) {
	switch t {
	case fields.TypeNumber, fields.TypeMoney:
		return number(raw)
	case fields.TypeBoolean:
		b, ok := raw.(bool)
		return b, ok
	case fields.TypeDate:
		return timeValue(raw, "2006-01-02")
	case fields.TypeDateTime:
		return timeValue(raw, time.RFC3339Nano)
	case fields.TypeMultiSelect:
		return stringList(raw)
	default:
		s, ok := raw.(string)
		return s, ok && s != ""
	}
}

func number(raw any) (any, bool) {
	var f float64
	switch v := raw.(type) {
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil {
			return nil, false
		}
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case int32:
		f = float64(v)
	default:
		return nil, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return f, true
}

func timeValue(raw any, layout string) (any, bool) {
	switch v := raw.(type) {
	case time.Time:
		return v.UTC(), true
	case string:
		t, err := time.Parse(layout, v)
		if err != nil {
			return nil, false
		}
		return t.UTC(), true
	}
	return nil, false
}

func stringList(raw any) (any, bool) {
	switch v := raw.(type) {
	case []string:
		return v, len(v) > 0
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, len(out) > 0
	}
	return nil, false
}
