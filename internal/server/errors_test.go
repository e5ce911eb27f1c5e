package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/scrmhq/scrm/internal/apperr"
)

// TestErrorFieldIsTheClientsPath: services name fields relative to their own
// input; the presenter adds the argument the client wrote them under.
func TestErrorFieldIsTheClientsPath(t *testing.T) {
	withArgs := func(names ...string) context.Context {
		def := &ast.FieldDefinition{Name: "op"}
		for _, n := range names {
			def.Arguments = append(def.Arguments, &ast.ArgumentDefinition{Name: n})
		}
		return graphql.WithFieldContext(context.Background(), &graphql.FieldContext{
			Field: graphql.CollectedField{Field: &ast.Field{Name: "op", Definition: def}},
		})
	}
	present := presentError(nil)
	for _, c := range []struct {
		ctx   context.Context
		field string
		want  string
	}{
		{withArgs("input"), "name", "input.name"},
		{withArgs("id", "input"), "targets[1].userID", "input.targets[1].userID"},
		{withArgs("id", "input"), "id", "id"},
		{withArgs("input"), "input.rule.and[0]", "input.rule.and[0]"},
		{withArgs("rule"), "rule.and[0].segment", "rule.and[0].segment"},
		{withArgs("leadIDs", "ownerID"), "ownerID", "ownerID"},
		{withArgs("leadIDs"), "reason", "reason"}, // no input argument: kept as the service says
		{context.Background(), "name", "name"},
	} {
		got := present(c.ctx, apperr.Input(c.field, "bad"))
		if got.Extensions["field"] != c.want || got.Extensions["code"] != string(apperr.BadInput) {
			t.Errorf("field %q: presented %v, want field %q", c.field, got.Extensions, c.want)
		}
	}
}

// TestOneErrorOfAList: a list of one input error (a service checks every
// field, one failed) is presented as that error, not as "<field>: <message>
// (and 0 more)"; a longer list keeps naming the first and counting the rest.
func TestOneErrorOfAList(t *testing.T) {
	present := presentError(nil)
	one := present(context.Background(), apperr.List{apperr.Input("action.update.attributes.code", "does not have the required format")})
	if one.Message != "does not have the required format" || one.Extensions["field"] != "action.update.attributes.code" || one.Extensions["code"] != string(apperr.BadInput) {
		t.Errorf("one error of a list presented as %q %v", one.Message, one.Extensions)
	}
	two := present(context.Background(), apperr.List{apperr.Input("a", "bad a"), apperr.Input("b", "bad b")})
	if two.Message != "a: bad a (and 1 more)" || two.Extensions["field"] != "a" {
		t.Errorf("two errors of a list presented as %q %v", two.Message, two.Extensions)
	}
}

// TestArgumentValueErrorsAreBadInput: a value gqlgen cannot read into an
// argument (a cursor that is not one) is the client's BAD_USER_INPUT at
// that argument, not an INTERNAL_SERVER_ERROR; an error on any other path
// stays what it is.
func TestArgumentValueErrorsAreBadInput(t *testing.T) {
	def := &ast.FieldDefinition{Name: "op", Arguments: ast.ArgumentDefinitionList{{Name: "after"}, {Name: "input"}}}
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{
		Field: graphql.CollectedField{Field: &ast.Field{Name: "op", Alias: "op", Definition: def}},
	})
	present := presentError(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, c := range []struct {
		path        ast.Path
		code, field string
	}{
		{ast.Path{ast.PathName("op"), ast.PathName("after")}, string(apperr.BadInput), "after"},
		{ast.Path{ast.PathName("op"), ast.PathName("input"), ast.PathName("ids"), ast.PathIndex(1)}, string(apperr.BadInput), "input.ids[1]"},
		{ast.Path{ast.PathName("op"), ast.PathName("edges")}, string(apperr.Internal), ""},
		{ast.Path{ast.PathName("other"), ast.PathName("after")}, string(apperr.Internal), ""},
		{nil, string(apperr.Internal), ""},
	} {
		got := present(ctx, &gqlerror.Error{Path: c.path, Err: errors.New("msgpack: invalid code")})
		if got.Extensions["code"] != c.code || (c.field != "" && got.Extensions["field"] != c.field) || strings.Contains(got.Message, "msgpack") {
			t.Errorf("path %v: presented %q %v, want %s at %q", c.path, got.Message, got.Extensions, c.code, c.field)
		}
	}
}
