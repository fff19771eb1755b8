package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/hubsync/hubsync/internal/crm"
)

// HubSpot's error categories.
const (
	catValidation     = "VALIDATION_ERROR"
	catInvalidAuth    = "INVALID_AUTHENTICATION"
	catExpiredAuth    = "EXPIRED_AUTHENTICATION"
	catMissingScopes  = "MISSING_SCOPES"
	catUserPermission = "INSUFFICIENT_PERMISSIONS"
	catObjectNotFound = "OBJECT_NOT_FOUND"
	catConflict       = "CONFLICT"
	catInternal       = "INTERNAL_ERROR"
	catRateLimits     = "RATE_LIMITS"
)

// errorBody is HubSpot's error shape. SubCategory carries the hub's stable
// code so clients never parse messages.
type errorBody struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Category      string              `json:"category"`
	SubCategory   string              `json:"subCategory,omitempty"`
	Context       map[string][]string `json:"context,omitempty"`
	Errors        []errorDetail       `json:"errors,omitempty"`
	// RFC 6749's fields, on OAuth endpoints only.
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
}

type errorDetail struct {
	Message     string              `json:"message"`
	Code        string              `json:"code,omitempty"`
	SubCategory string              `json:"subCategory,omitempty"`
	Context     map[string][]string `json:"context,omitempty"`
}

// apiError is an error the API answers with as it is.
type apiError struct {
	status      int
	category    string
	subCategory string
	message     string
	context     map[string][]string
	retryAfter  int // seconds, sent as Retry-After when not zero
	// rfcError is RFC 6749's error code, for an answer on an OAuth endpoint.
	rfcError string
}

func (e *apiError) Error() string { return e.message }

func badRequest(code, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, category: catValidation, subCategory: code, message: message}
}

// writeError answers with err in HubSpot's shape. Errors the hub does not
// know are logged and answered as a 500 that reveals nothing.
func writeError(ctx context.Context, w http.ResponseWriter, log *slog.Logger, err error) {
	body := errorBody{Status: "error", CorrelationID: correlationID(ctx)}
	status := http.StatusInternalServerError
	var ae *apiError
	var ce *crm.Error
	switch {
	case errors.As(err, &ae):
		status, body.Category, body.SubCategory, body.Message, body.Context = ae.status, ae.category, ae.subCategory, ae.message, ae.context
		if ae.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
		}
		if ae.rfcError != "" {
			body.Error, body.ErrorDescription = ae.rfcError, ae.message
		}
	case errors.As(err, &ce):
		status, body.Category = crmStatus(ce.Kind)
		body.SubCategory, body.Message, body.Context = ce.Code, ce.Message, ce.Context
		for _, d := range ce.Details {
			body.Errors = append(body.Errors, errorDetail{Message: d.Message, Code: d.Code, Context: d.Context})
		}
	case errors.Is(err, context.Canceled):
		return
	default:
		log.ErrorContext(ctx, "request failed", "error", err.Error(), "correlationId", body.CorrelationID)
		body.Category = catInternal
		body.Message = "The hub could not complete the request. Quote correlationId " + body.CorrelationID + " when reporting it."
	}
	if len(body.Errors) == 0 && body.Category != catInternal {
		body.Errors = []errorDetail{{Message: body.Message, Code: body.SubCategory, Context: body.Context}}
	}
	writeJSON(w, status, body)
}

func crmStatus(k crm.Kind) (int, string) {
	switch k {
	case crm.KindNotFound:
		return http.StatusNotFound, catObjectNotFound
	case crm.KindConflict:
		return http.StatusConflict, catConflict
	}
	return http.StatusBadRequest, catValidation
}

// respond writes a handler's answer: the error, a bare status, or JSON.
func respond(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, body any, err error) {
	switch {
	case err != nil:
		writeError(r.Context(), w, log, err)
	case body == nil:
		w.WriteHeader(status)
	default:
		writeJSON(w, status, body)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	if a, ok := v.(jsonAppender); ok {
		_, _ = w.Write(append(a.appendJSON(make([]byte, 0, 4096)), '\n'))
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}
