package core

import "strings"

// Problem is one thing wrong with an input, named by the field it concerns,
// so a client can fix every mistake in one round trip.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problems collects every problem of an input. Invalid turns it into an
// *Error with CodeInvalid that still carries the list for the HTTP layer.
type Problems []Problem

// Add records a problem of field.
func (ps *Problems) Add(field, message string) {
	*ps = append(*ps, Problem{Field: field, Message: message})
}

func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Field + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

// Invalid returns nil when there are no problems, else an invalid-input
// error whose message lists them all (what a CLI prints) and whose cause is
// the list itself (what the JSON API returns field by field).
func (ps Problems) Invalid(what string) error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: what + ": " + ps.Error(), Err: ps}
}
