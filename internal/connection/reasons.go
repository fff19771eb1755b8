package connection

import (
	"cmp"
	"strings"

	"github.com/hubsync/hubsync/internal/connector"
)

// Statuses of DESIGN.md §4.
const (
	StatusActive         = "active"
	StatusDegraded       = "degraded"
	StatusPaused         = "paused"
	StatusNeedsReconnect = "needs_reconnect"
	StatusDisconnected   = "disconnected"
)

// Reason codes the hub detects itself; the external ones come from the
// connector package.
const (
	ReasonUserRemoved        = "connector_user_removed"
	ReasonUserDeactivated    = "connector_user_deactivated"
	ReasonCredentialsChanged = "connector_credentials_changed"
	ReasonPermissionsReduced = "connector_permissions_reduced"
	ReasonPausedByUser       = "paused_by_user"
	ReasonDeletedByUser      = "deleted_by_user"
	// ReasonAwaitingConsent is an OAuth connection created but not yet
	// approved on the external app.
	ReasonAwaitingConsent = "awaiting_consent"
	// The postgres connector's more specific codes.
	ReasonTableMissing  = "external_table_missing"
	ReasonColumnMissing = "external_column_missing"
	// ReasonColumnUnsupported is a key column without a unique index, or an
	// updated column that is not a timestamp.
	ReasonColumnUnsupported = "external_column_unsupported"
)

// reason is what a reason code means to a person.
type reason struct {
	status string
	// sentence says what happened; %s is replaced by the detail (a user, a
	// list of objects) when the sentence has one.
	sentence string
	next     string
}

// reasons is the catalog of every reason code: the status it puts a
// connection in, a sentence and the next step.
var reasons = map[string]reason{
	ReasonUserRemoved: {StatusNeedsReconnect,
		"The connector user %s was removed from the hub, so the connection has no identity to sync as.",
		"Reconnect as another user, or transfer the connection to another user or to app mode."},
	ReasonUserDeactivated: {StatusNeedsReconnect,
		"The connector user %s is deactivated, so the connection has no identity to sync as.",
		"Reactivate the user, reconnect as another user, or transfer the connection."},
	ReasonCredentialsChanged: {StatusNeedsReconnect,
		"The connector user %s changed their password, and the hub's policy ends what they authorized.",
		"Reconnect the connection."},
	ReasonPermissionsReduced: {StatusDegraded,
		"The connector user lost edit permission on %s; those objects cannot sync.",
		"Restore the user's permission on those objects, or reconnect as a user who has it."},
	ReasonPausedByUser: {StatusPaused,
		"The connection was paused by %s.",
		"Resume the connection when it should sync again."},
	ReasonAwaitingConsent: {StatusNeedsReconnect,
		"The connection awaits consent: nobody has approved it on the external app yet.",
		"Open the approval link it was created with in a browser signed in to the external app; once the link has expired, reconnect for a new one."},
	ReasonDeletedByUser: {StatusDisconnected,
		"The connection was deleted by %s.",
		"Create a new connection if the app should sync again."},
	connector.ReasonTokenExpired: {StatusNeedsReconnect,
		"The external app no longer accepts the connection's token: %s.",
		"Reconnect the connection."},
	connector.ReasonConsentRevoked: {StatusNeedsReconnect,
		"The external app says the connection's authorization was revoked: %s.",
		"Reconnect the connection; whoever approves it on the external app must have access there."},
	connector.ReasonScopesMissing: {StatusNeedsReconnect,
		"The external app refuses what the connection needs: %s.",
		"Reconnect with the missing scopes, or grant the missing privileges on the external side."},
	connector.ReasonAPIKeyInvalid: {StatusNeedsReconnect,
		"The external app rejected the connection's key or password: %s.",
		"Enter the new key or password with reconnect."},
	connector.ReasonAppConfig: {StatusNeedsReconnect,
		"The external app rejected this hub's app registration (client id or secret): %s.",
		"Update the integration's client secret, then reconnect."},
	ReasonTableMissing: {StatusNeedsReconnect,
		"The external table does not exist, or is not a table: %s.",
		"Create the table, or correct the connection's table setting and reconnect."},
	ReasonColumnMissing: {StatusNeedsReconnect,
		"A column the connection needs is missing from the external table: %s.",
		"Add the column, or correct the connection's key_column or updated_column setting and reconnect."},
	ReasonColumnUnsupported: {StatusNeedsReconnect,
		"A column of the external table cannot serve the sync: %s.",
		"Give the key column a unique index and make the updated column a timestamp, then reconnect."},
	connector.ReasonMappingInvalid: {StatusDegraded,
		"An object sync maps a field the external app does not have, so that object does not sync: %s.",
		"Correct the object sync's fields (sync-config update) or disable it; the next run then clears this."},
	connector.ReasonUnreachable: {StatusDegraded,
		"The external app could not be reached several times in a row: %s.",
		"Wait; the hub retries with backoff. Check the external app's status if it lasts."},
	connector.ReasonRateLimited: {StatusDegraded,
		"The external app is rate limiting the connection: %s.",
		"None; the hub waits as the external app asks."},
}

// explain returns the sentence and next step for a reason code. The
// sentence ends with its own full stop, so a detail's is dropped.
func explain(code, detail string) (status, sentence, next string) {
	detail = strings.TrimRight(strings.TrimSpace(detail), ".")
	r, ok := reasons[code]
	if !ok {
		return StatusNeedsReconnect, "The external app refused the connection (" + code + "): " + detail + ".",
			"Run diagnose, then reconnect."
	}
	sentence = r.sentence
	if strings.Contains(sentence, "%s") {
		if detail == "" {
			detail = "no detail given"
		}
		sentence = strings.Replace(sentence, "%s", detail, 1)
	}
	return r.status, sentence, r.next
}

// errorDetail is what a reason sentence says of an external app's
// refusal. The sentence already says in the hub's words what happened, so
// it names what the refusal affects and quotes what the external app said,
// once; the connector's own words stand in only when the app said nothing.
func errorDetail(e *connector.Error) string {
	switch {
	case e.Said == "":
		return cmp.Or(e.Detail, e.Message)
	case e.Detail == "":
		return connector.Quote(e.Said)
	}
	return e.Detail + " (" + connector.Quote(e.Said) + ")"
}

// Reasons lists every reason code with its status and next step, for the
// API's documentation.
func Reasons() map[string][2]string {
	out := make(map[string][2]string, len(reasons))
	for code, r := range reasons {
		out[code] = [2]string{r.status, r.next}
	}
	return out
}
