package typed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fields"
)

// Rewriter is the gqlgen extension that runs Rewrite after validation, as
// the first operation-context mutator, so complexity and execution see the
// served form.
type Rewriter struct{ Schema *Schema }

var (
	_ graphql.HandlerExtension        = Rewriter{}
	_ graphql.OperationContextMutator = Rewriter{}
)

// ExtensionName implements graphql.HandlerExtension.
func (Rewriter) ExtensionName() string { return "TypedSchema" }

// Validate implements graphql.HandlerExtension.
func (Rewriter) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (r Rewriter) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	return r.Schema.Rewrite(ctx, rc)
}

// Rewrite turns an operation validated against s into the served form:
// custom-field selections become typedAttribute(field:) bound to a reader
// for the request of ctx (its viewer decides masking), typed arguments
// become generic ones bound to new variables. It rewrites a copy of the
// document (the handler's query cache shares the parsed, validated one
// between requests) and points rc at the copy.
func (s *Schema) Rewrite(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if len(s.lead) == 0 || rc.Operation == nil {
		return nil
	}
	op := slices.Index(rc.Doc.Operations, rc.Operation)
	if op < 0 {
		return gqlerror.Errorf("the operation is not in its document")
	}
	rc.Doc = cloneDocument(rc.Doc)
	rc.Operation = rc.Doc.Operations[op]
	w := &rewriter{ctx: ctx, s: s, rc: rc}
	w.selections(rc.Operation.SelectionSet)
	for _, f := range rc.Doc.Fragments {
		w.selections(f.SelectionSet)
	}
	return w.err
}

type rewriter struct {
	ctx     context.Context
	s       *Schema
	rc      *graphql.OperationContext
	n       int
	readers map[*custom]*ast.Value
	err     *gqlerror.Error
}

// reader returns the variable holding the request's reader of field c,
// one per field however often it is selected.
func (w *rewriter) reader(c *custom) *ast.Value {
	if v, ok := w.readers[c]; ok {
		return v
	}
	if w.readers == nil {
		w.readers = map[*custom]*ast.Value{}
	}
	v := w.variable(&reader{ctx: w.ctx, field: c})
	w.readers[c] = v
	return v
}

func (w *rewriter) selections(set ast.SelectionSet) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			w.field(sel)
		case *ast.InlineFragment:
			w.selections(sel.SelectionSet)
		}
	}
}

func (w *rewriter) field(f *ast.Field) {
	if w.err != nil || f.Definition == nil {
		return
	}
	if f.ObjectDefinition != nil && f.ObjectDefinition.Name == leadType {
		if c := w.s.lead[f.Name]; c != nil {
			// The alias, which the validator sets to the name when the
			// client gave none, stays: it is the response key.
			f.Name = TypedAttributeField
			f.Definition = w.s.typedAttr
			f.Arguments = ast.ArgumentList{{Name: "field", Value: w.reader(c), Position: f.Position}}
			return
		}
	}
	w.arguments(f)
	w.selections(f.SelectionSet)
}

func (w *rewriter) arguments(f *ast.Field) {
	var extra ast.ArgumentList
	for _, a := range f.Arguments {
		ad := f.Definition.Arguments.ForName(a.Name)
		if ad == nil || !w.s.rewrite[ad.Type.Name()] {
			continue
		}
		v, err := a.Value.Value(w.rc.Variables)
		if err != nil {
			w.fail(a.Position, a.Name, err.Error())
			return
		}
		if ad.Type.Name() == leadOrder && ad.Type.Elem == nil {
			key, direction, ok := w.s.orderKey(v)
			if !ok {
				continue
			}
			if c := w.s.lead[key]; c != nil && authz.SeesMasked(w.ctx, c.def.Type) {
				w.failCode(a.Position, a.Name+".field", authz.ErrMaskedField.Error(), apperr.Forbidden)
				return
			}
			if f.Definition.Arguments.ForName(attributeOrderArg) == nil {
				w.fail(a.Position, a.Name, fmt.Sprintf("%s cannot sort by the custom field %s; only leads can", f.Name, key))
				return
			}
			if f.Arguments.ForName(attributeOrderArg) != nil {
				w.fail(a.Position, a.Name, fmt.Sprintf("give %s or %s, not both", a.Name, attributeOrderArg))
				return
			}
			order := map[string]any{"key": key}
			if direction != nil {
				order["direction"] = direction
			}
			a.Value = &ast.Value{Kind: ast.NullValue, Raw: "null", Position: a.Value.Position}
			extra = append(extra, &ast.Argument{Name: attributeOrderArg, Value: w.variable(order), Position: a.Position})
			continue
		}
		nv, err := w.s.transform(w.ctx, v, ad.Type, a.Name)
		if err != nil {
			field, code := a.Name, apperr.BadInput
			var pe *pathError
			if errors.As(err, &pe) {
				field = pe.path
				code = cmp.Or(pe.code, code)
			}
			w.failCode(a.Position, field, err.Error(), code)
			return
		}
		a.Value = w.variable(nv)
	}
	f.Arguments = append(f.Arguments, extra...)
}

// variable binds v to a new variable and returns a reference to it. The
// name holds a character GraphQL names cannot, so it never meets a client's.
func (w *rewriter) variable(v any) *ast.Value {
	if w.rc.Variables == nil {
		w.rc.Variables = map[string]any{}
	}
	var name string
	for {
		w.n++
		name = "typed:" + strconv.Itoa(w.n)
		if _, taken := w.rc.Variables[name]; !taken {
			break
		}
	}
	w.rc.Variables[name] = v
	return &ast.Value{Kind: ast.Variable, Raw: name}
}

func (w *rewriter) fail(pos *ast.Position, field, msg string) {
	w.failCode(pos, field, msg, apperr.BadInput)
}

func (w *rewriter) failCode(pos *ast.Position, field, msg string, code apperr.Code) {
	if w.err != nil {
		return
	}
	w.err = gqlerror.ErrorPosf(pos, "%s", msg)
	w.err.Extensions = map[string]any{"code": string(code), "field": field}
}

// orderKey reports whether a LeadOrder value sorts by a custom field.
func (s *Schema) orderKey(v any) (key string, direction any, ok bool) {
	m, _ := v.(map[string]any)
	field, _ := m["field"].(string)
	key, ok = s.orders[field]
	return key, m["direction"], ok
}

// pathError is a bad typed value, with the input path the client wrote
// (where.and[1].budgetGT), so that errors name the typed field rather than
// the generic one it becomes.
type pathError struct {
	path string
	msg  string
	code apperr.Code // BAD_USER_INPUT when empty
}

func (e *pathError) Error() string { return e.path + ": " + e.msg }

// transform rewrites an input value of type t at path: typed filters into
// attribute predicates, typed input fields into the attributes object,
// recursively through nested inputs and lists. Values are copied, never
// changed in place: variables may be shared by several arguments. Typed
// values are checked here, so a bad one is reported at its own path.
func (s *Schema) transform(ctx context.Context, v any, t *ast.Type, path string) (any, error) {
	if v == nil || !s.rewrite[t.Name()] {
		return v, nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok { // a single value where a list is expected (input coercion)
			return s.transform(ctx, v, t.Elem, path)
		}
		out := make([]any, len(list))
		for i, item := range list {
			nv, err := s.transform(ctx, item, t.Elem, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = nv
		}
		return out, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v, nil
	}
	switch t.Name() {
	case leadWhereInput:
		return s.where(ctx, m, path)
	case updateLeadInput, leadInput:
		return s.input(ctx, m, path)
	case leadOrder:
		if key, _, ok := s.orderKey(m); ok {
			return nil, &pathError{path: path + ".field", msg: fmt.Sprintf("sorting by the custom field %s is only possible in the orderBy of leads", key)}
		}
		return m, nil
	}
	if upd, ok := m["update"].(map[string]any); ok && t.Name() == bulkActionInput {
		if err := s.oneValueForMany(upd, path+".update"); err != nil {
			return nil, err
		}
	}
	def := s.AST.Types[t.Name()]
	out := maps.Clone(m)
	for k, val := range m {
		if fd := def.Fields.ForName(k); fd != nil {
			nv, err := s.transform(ctx, val, fd.Type, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = nv
		}
	}
	return out, nil
}

func (s *Schema) where(ctx context.Context, m map[string]any, path string) (any, error) {
	def := s.AST.Types[leadWhereInput]
	out := make(map[string]any, len(m))
	var preds []any
	for k, val := range m {
		if f, ok := s.filters[k]; ok {
			if authz.SeesMasked(ctx, f.field.def.Type) {
				return nil, &pathError{path: path + "." + k, msg: authz.ErrMaskedField.Error(), code: apperr.Forbidden}
			}
			p := f.predicate(val)
			if p == nil {
				continue
			}
			if _, err := fields.Predicate(f.field.def, f.op, p["value"]); err != nil {
				return nil, &pathError{path: path + "." + k, msg: err.Error()}
			}
			preds = append(preds, p)
			continue
		}
		nv, err := s.transform(ctx, val, def.Fields.ForName(k).Type, path+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = nv
	}
	if len(preds) > 0 {
		if given, ok := out["attributes"].([]any); ok {
			preds = append(given, preds...)
		} else if one, ok := out["attributes"].(map[string]any); ok {
			preds = append([]any{one}, preds...)
		}
		out["attributes"] = preds
	}
	return out, nil
}

// predicate is the attribute predicate of a typed filter, or nil for an
// IsNil/NotNil filter given false or another filter given null, which
// entgql also treat as no filter.
func (f filter) predicate(v any) map[string]any {
	if f.isNil {
		if b, _ := v.(bool); !b {
			return nil
		}
		return map[string]any{"key": f.field.def.Key, "op": string(f.op)}
	}
	if v == nil { // null filters nothing, as in entgql
		return nil
	}
	return map[string]any{"key": f.field.def.Key, "op": string(f.op), "value": f.field.inputValue(v)}
}

func (s *Schema) input(ctx context.Context, m map[string]any, path string) (any, error) {
	out := make(map[string]any, len(m))
	var attrs map[string]any
	given, _ := m["attributes"].(map[string]any)
	for k, val := range m {
		c, ok := s.inputs[k]
		if !ok {
			out[k] = val
			continue
		}
		if _, dup := given[k]; dup {
			return nil, &pathError{path: path + "." + k, msg: "given twice, as a field and in attributes"}
		}
		value := c.inputValue(val)
		if _, err := fields.Coerce(c.def, value); err != nil {
			return nil, &pathError{path: path + "." + k, msg: err.Error()}
		}
		if attrs == nil {
			attrs = maps.Clone(given)
			if attrs == nil {
				attrs = map[string]any{}
			}
		}
		attrs[k] = value
	}
	if attrs != nil {
		if _, isMap := m["attributes"].(map[string]any); m["attributes"] != nil && !isMap {
			return nil, &pathError{path: path + ".attributes", msg: "attributes must be an object of field key to value"}
		}
		out["attributes"] = attrs
	}
	return out, nil
}

// oneValueForMany refuses, at the typed path, a value of a unique custom
// field in bulkUpdateLeads' update: one value cannot go on many leads
// (clearing it can). The bulk service refuses it too, but at the generic
// action.update.attributes.<key>, which a typed client did not write.
func (s *Schema) oneValueForMany(update map[string]any, path string) error {
	for _, k := range slices.Sorted(maps.Keys(update)) {
		if c := s.inputs[k]; c != nil && c.def.Unique && update[k] != nil {
			return &pathError{path: path + "." + k, msg: fmt.Sprintf("%s is unique: one value cannot be set on many leads (clearing it is allowed)", c.def.Label)}
		}
	}
	return nil
}

// inputValue converts a typed value into what the attributes machinery
// takes: enum value names become option values; the rest is already a
// JSON value of the right kind.
func (c *custom) inputValue(v any) any {
	if c.enum == nil || v == nil {
		return v
	}
	if list, ok := v.([]any); ok {
		out := make([]any, len(list))
		for i, item := range list {
			out[i] = c.inputValue(item)
		}
		return out
	}
	if name, ok := v.(string); ok {
		if value, ok := c.enum.byName[name]; ok {
			return value
		}
	}
	return v
}

// cloneDocument copies what Rewrite changes in a document: its operations,
// fragments, selections and arguments; values, directives and definitions
// are shared, as Rewrite replaces them rather than changing them.
func cloneDocument(doc *ast.QueryDocument) *ast.QueryDocument {
	out := *doc
	frags := make(map[*ast.FragmentDefinition]*ast.FragmentDefinition, len(doc.Fragments))
	out.Fragments = make(ast.FragmentDefinitionList, len(doc.Fragments))
	for i, f := range doc.Fragments {
		c := *f
		frags[f], out.Fragments[i] = &c, &c
	}
	for _, c := range out.Fragments {
		c.SelectionSet = cloneSelections(c.SelectionSet, frags)
	}
	out.Operations = make(ast.OperationList, len(doc.Operations))
	for i, o := range doc.Operations {
		c := *o
		c.SelectionSet = cloneSelections(o.SelectionSet, frags)
		out.Operations[i] = &c
	}
	return &out
}

func cloneSelections(set ast.SelectionSet, frags map[*ast.FragmentDefinition]*ast.FragmentDefinition) ast.SelectionSet {
	if set == nil {
		return nil
	}
	out := make(ast.SelectionSet, len(set))
	for i, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			c := *sel
			c.Arguments = make(ast.ArgumentList, len(sel.Arguments))
			for j, a := range sel.Arguments {
				ac := *a
				c.Arguments[j] = &ac
			}
			c.SelectionSet = cloneSelections(sel.SelectionSet, frags)
			out[i] = &c
		case *ast.InlineFragment:
			c := *sel
			c.SelectionSet = cloneSelections(sel.SelectionSet, frags)
			out[i] = &c
		case *ast.FragmentSpread:
			c := *sel
			if d, ok := frags[sel.Definition]; ok {
				c.Definition = d
			}
			out[i] = &c
		default:
			out[i] = sel
		}
	}
	return out
}
