package crm

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is the class of a crm error, which the API turns into a status.
type Kind int

const (
	KindInvalid  Kind = iota + 1 // the request is wrong; nothing was written
	KindNotFound                 // a record or property does not exist
	KindConflict                 // a unique value is taken
)

// Stable error codes, for clients that branch on them.
const (
	CodeUnknownObjectType   = "UNKNOWN_OBJECT_TYPE"
	CodePropertyDoesntExist = "PROPERTY_DOESNT_EXIST"
	CodeReadOnlyValue       = "READ_ONLY_VALUE"
	CodeInvalidValue        = "INVALID_PROPERTY_VALUE"
	CodeInvalidOption       = "INVALID_OPTION"
	CodeInvalidEmail        = "INVALID_EMAIL"
	CodeTooManyInputs       = "TOO_MANY_INPUTS"
	CodeDuplicateInput      = "DUPLICATE_INPUT"
	CodeInvalidCursor       = "INVALID_CURSOR"
	CodeInvalidLimit        = "INVALID_LIMIT"
	CodeInvalidFilter       = "INVALID_FILTER"
	CodeInvalidSort         = "INVALID_SORT"
	CodeInvalidProperty     = "INVALID_PROPERTY_DEFINITION"
	CodePropertyExists      = "PROPERTY_EXISTS"
	CodeObjectNotFound      = "OBJECT_NOT_FOUND"
	CodeObjectExists        = "OBJECT_ALREADY_EXISTS"
	CodeMissingInput        = "MISSING_INPUT"
	CodeConflictingKey      = "CONFLICTING_ID_PROPERTY"
)

// Error is a crm rule failure with a stable code, a sentence for people and
// the names involved (property names, ids) for programs.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Context map[string][]string
	// Details holds one entry per problem when several were found at once.
	Details []*Error
}

func (e *Error) Error() string { return e.Message }

func invalid(code, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) with(key string, values ...string) *Error {
	if e.Context == nil {
		e.Context = map[string][]string{}
	}
	e.Context[key] = append(e.Context[key], values...)
	return e
}

func notFound(objectType, id string) *Error {
	return (&Error{Kind: KindNotFound, Code: CodeObjectNotFound,
		Message: fmt.Sprintf("Object not found. %s id %s does not exist.", objectType, id)}).with("ids", id)
}

// propertyErrors folds per-property problems into one validation error in
// HubSpot's wording, naming every property at fault.
func propertyErrors(errs []*Error) *Error {
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 && errs[0].Context["propertyName"] == nil {
		return errs[0]
	}
	msgs := make([]string, len(errs))
	names := map[string]bool{}
	for i, e := range errs {
		msgs[i] = e.Message
		for _, n := range e.Context["propertyName"] {
			names[n] = true
		}
	}
	out := &Error{Kind: KindInvalid, Code: errs[0].Code, Details: errs,
		Message: "Property values were not valid: " + strings.Join(msgs, "; ")}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	return out.with("propertyName", sorted...)
}
