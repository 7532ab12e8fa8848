// Package apperr defines the errors the admin API reports, each carrying one of the contract's codes.
// Hooks, validators and resolvers return them; graph's error presenter turns them into GraphQL errors.
package apperr

import "fmt"

// The contract's error codes (CONTRACT.md section 3).
const (
	Unauthenticated    = "UNAUTHENTICATED"
	Forbidden          = "FORBIDDEN"
	NotFound           = "NOT_FOUND"
	ValidationFailed   = "VALIDATION_FAILED"
	Conflict           = "CONFLICT"
	ScopeLimitExceeded = "SCOPE_LIMIT_EXCEEDED"
	ScopeInUse         = "SCOPE_IN_USE"
)

// Error is a refusal meant for people: Message says what went wrong and how to put it right.
type Error struct {
	Code    string
	Field   string   // the input field at fault, for VALIDATION_FAILED and CONFLICT
	UsedBy  []string // who still uses a scope, for SCOPE_IN_USE
	Message string
}

func (e *Error) Error() string { return e.Message }

// Invalid reports a bad value of field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: ValidationFailed, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Conflicting reports a name already taken.
func Conflicting(field, format string, args ...any) *Error {
	return &Error{Code: Conflict, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Denied reports an operation the caller's role does not allow.
func Denied(format string, args ...any) *Error {
	return &Error{Code: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// Missing reports an object that does not exist or belongs to another organisation.
func Missing(format string, args ...any) *Error {
	return &Error{Code: NotFound, Message: fmt.Sprintf(format, args...)}
}
