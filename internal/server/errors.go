package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"entgo.io/ent/privacy"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// presentError turns any resolver error into a GraphQL error with
// extensions.code (and extensions.field for input errors, and an apperr's
// Details beside them, such as what refused a delete). Messages of
// unexpected errors are replaced: clients never see SQL, stack traces or
// internal details; the log line carries them with the request id.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var already *gqlerror.Error
		if errors.As(err, &already) && already.Extensions != nil && already.Extensions["code"] != nil {
			// Parser, validation and gqlgen argument errors are already
			// classified; a variable that does not coerce (an unknown enum
			// value) is named by its path in the variables.
			if v, ok := variablePath(gerr); ok && gerr.Extensions["field"] == nil {
				gerr.Extensions["field"] = v
			}
			return gerr
		}
		code, field, msg := classify(err)
		if arg, ok := argumentPath(ctx, err); ok && (code == apperr.Internal || field == "") {
			// A value gqlgen could not read into an argument (a cursor or
			// an id that is not one): the client's input, not a server
			// fault, named by its path (id, input.leadID, ids[2]).
			var g *gqlerror.Error
			switch {
			case code == apperr.Internal:
				code, msg = apperr.BadInput, "invalid value for "+arg
			case errors.As(err, &g):
				msg = g.Message // without gqlgen's "input: <path>" prefix
			}
			field = arg
		}
		if code == apperr.Internal {
			log.ErrorContext(ctx, "graphql resolver error", "err", err, "path", gerr.Path.String())
		}
		gerr.Message = msg
		gerr.Extensions = map[string]any{"code": string(code)}
		if ae, ok := apperr.First(err); ok && code != apperr.Internal {
			for k, v := range ae.Details {
				if k != "code" && k != "field" {
					gerr.Extensions[k] = v
				}
			}
		}
		if field != "" {
			gerr.Extensions["field"] = qualify(ctx, field)
		}
		return gerr
	}
}

// argumentPath is the path (after, input.name, ids[0]) of the argument
// value an error is about when gqlgen raised it reading the field's
// arguments: such errors carry the field's path and then the argument's.
func argumentPath(ctx context.Context, err error) (string, bool) {
	var g *gqlerror.Error
	fc := graphql.GetFieldContext(ctx)
	if !errors.As(err, &g) || fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return "", false
	}
	own := fc.Path()
	if len(g.Path) <= len(own) || g.Path[:len(own)].String() != own.String() {
		return "", false
	}
	rest := g.Path[len(own):]
	if name, ok := rest[0].(ast.PathName); !ok || fc.Field.Definition.Arguments.ForName(string(name)) == nil {
		return "", false
	}
	return rest.String(), true
}

// variablePath is the path inside the request's variables
// (orderBy.field, input.kind) of a variable gqlgen's validator refused:
// such errors carry the path "variable", <name>, ....
func variablePath(g *gqlerror.Error) (string, bool) {
	if len(g.Path) < 2 || g.Path[0] != ast.PathName("variable") {
		return "", false
	}
	return g.Path[1:].String(), true
}

// qualify turns a service's field path, which names a part of the service's
// own input ("targets[1].userID"), into the path the client wrote: a path
// that does not start with one of the field's arguments belongs to its
// `input` argument ("input.targets[1].userID"). Paths that start with an
// argument ("id", "rule.and[0]", "input.x") are kept.
func qualify(ctx context.Context, field string) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return field
	}
	args := fc.Field.Definition.Arguments
	first := field
	if i := strings.IndexAny(field, ".["); i >= 0 {
		first = field[:i]
	}
	if args.ForName(first) != nil || args.ForName("input") == nil {
		return field
	}
	return "input." + field
}

func classify(err error) (apperr.Code, string, string) {
	var ae *apperr.Error
	var list apperr.List
	var nf *ent.NotFoundError
	var ve *ent.ValidationError
	var ce *ent.ConstraintError
	switch {
	case errors.As(err, &list) && len(list) == 1:
		// One error of a list reads like any other: its own message, its
		// field in extensions.field, no "(and 0 more)".
		return list[0].Code, list[0].Field, list[0].Message
	case errors.As(err, &list) && len(list) > 0:
		return list[0].Code, list[0].Field, list.Error()
	case errors.As(err, &ae):
		return ae.Code, ae.Field, ae.Message
	case errors.Is(err, auth.ErrUnauthenticated), errors.Is(err, auth.ErrBadCredentials):
		return apperr.Unauthenticated, "", rootMessage(err)
	case errors.Is(err, auth.ErrForbidden), errors.Is(err, privacy.Deny), errors.Is(err, tenant.ErrMissing):
		return apperr.Forbidden, "", "forbidden"
	case errors.As(err, &nf):
		return apperr.NotFound, "", "not found"
	case errors.Is(err, gid.ErrInvalid):
		return apperr.BadInput, "", err.Error()
	case errors.As(err, &ve):
		return apperr.BadInput, ve.Name, "invalid value for " + ve.Name
	case errors.As(err, &ce):
		return apperr.Conflict, "", "conflicts with existing data"
	case errors.Is(err, context.DeadlineExceeded):
		return apperr.LimitExceeded, "", "the request took too long"
	case errors.Is(err, context.Canceled):
		return apperr.Internal, "", "the request was cancelled"
	}
	return apperr.Internal, "", "internal error"
}

// rootMessage keeps only the sentinel's text for auth errors, so the reason a
// token was refused (expired, bad signature) is not spelled out to a caller.
func rootMessage(err error) string {
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		return auth.ErrBadCredentials.Error()
	default:
		return auth.ErrUnauthenticated.Error()
	}
}

// recoverPanic logs a resolver panic and answers with a plain internal error.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql resolver panic", "panic", p)
		return apperr.New(apperr.Internal, "", "internal error")
	}
}
