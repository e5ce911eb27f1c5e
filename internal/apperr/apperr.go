// Package apperr is the error vocabulary services share with the API layer:
// a code clients can branch on (extensions.code) and, for bad input, the path
// of the offending field (extensions.field).
package apperr

import (
	"errors"
	"fmt"
)

// Code is a client-facing error class.
type Code string

// The codes of the client contract.
const (
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	NotFound        Code = "NOT_FOUND"
	BadInput        Code = "BAD_USER_INPUT"
	Conflict        Code = "CONFLICT"
	LimitExceeded   Code = "LIMIT_EXCEEDED"
	Internal        Code = "INTERNAL_SERVER_ERROR"
)

// Error is an error a client may see: its Message is safe to show.
type Error struct {
	Code    Code
	Field   string
	Message string
	// Details are further facts a client may act on (what refused a delete),
	// served as extensions beside code and field; keys are camelCase.
	Details map[string]any
	// Err is the cause, kept for errors.Is and logs; never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Finer reasons a code has several of, served as extensions.reason (and as
// a bulk failure's reason) so that a client can say them in its own words.
const (
	// ReasonLeadInactive: the lead is merged or archived (a CONFLICT).
	ReasonLeadInactive = "LEAD_INACTIVE"
	// ReasonDuplicate: another active lead has the value of a unique field,
	// the phone, the email or the external id (a CONFLICT).
	ReasonDuplicate = "DUPLICATE"
	// ReasonOpenStageOnly: a lead moves to another pipeline only into one
	// of its OPEN stages (a BAD_USER_INPUT).
	ReasonOpenStageOnly = "OPEN_STAGE_ONLY"
)

// WithReason sets e's finer reason (extensions.reason) and returns e.
func (e *Error) WithReason(reason string) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details["reason"] = reason
	return e
}

// Reason is e's finer reason, or "".
func (e *Error) Reason() string {
	r, _ := e.Details["reason"].(string)
	return r
}

// New returns an error with code, field and message.
func New(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Input reports bad input at field.
func Input(field, format string, args ...any) *Error {
	return New(BadInput, field, format, args...)
}

// Wrap returns err as an Error of code with a safe message, keeping err as the cause.
func Wrap(err error, code Code, field, message string) *Error {
	return &Error{Code: code, Field: field, Message: message, Err: err}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// First returns the *Error of err, the first of a List; false for errors
// that are neither (the database's, a bug).
func First(err error) (*Error, bool) {
	var list List
	if errors.As(err, &list) && len(list) > 0 {
		return list[0], true
	}
	return As(err)
}

// List is several input errors reported together.
type List []*Error

func (l List) Error() string {
	if len(l) == 0 {
		return "no errors"
	}
	return fmt.Sprintf("%s (and %d more)", l[0].Error(), len(l)-1)
}

// Err returns l as an error, or nil when empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
