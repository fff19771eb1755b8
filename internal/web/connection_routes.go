package web

import "net/http"

// connectionRoutes registers this area's pages. Each page has a file named noun then
// verb (connection_show.go, connection_pause.go) holding its handler.
func (c *Console) connectionRoutes(r *router) {
	// The external app sends the browser back here after an approval; the
	// attempt's state, not a session, is what authorizes it.
	r.mux.Handle("GET /connections/callback", http.HandlerFunc(c.connectionCallback))
	r.get("GET /connections/{id}", signedIn, c.connectionShow)
	r.get("GET /connections/{id}/status/part", signedIn, c.connectionStatusPart)
	r.get("GET /connections/{id}/health", signedIn, c.connectionHealth)
	r.get("GET /connections/{id}/errors.csv", signedIn, c.connectionErrorsExport)
	r.post("POST /connections/{id}/errors/retry", managesIntegrations, c.connectionErrorsRetry)
	r.get("GET /connections/{id}/activity", signedIn, c.connectionActivity)
	r.get("GET /connections/{id}/activity/part", signedIn, c.connectionActivityPart)
	r.get("GET /connections/{id}/diagnose", managesIntegrations, c.connectionDiagnoseForm)
	r.post("POST /connections/{id}/diagnose", managesIntegrations, c.connectionDiagnose)
	r.get("GET /connections/{id}/audit", viewsIntegrations, c.connectionAudit)
	r.get("GET /connections/{id}/reconnect", managesIntegrations, c.connectionReconnectForm)
	r.post("POST /connections/{id}/reconnect", managesIntegrations, c.connectionReconnect)
	r.get("GET /connections/{id}/transfer", managesIntegrations, c.connectionTransferForm)
	r.post("POST /connections/{id}/transfer", managesIntegrations, c.connectionTransfer)
	r.post("POST /connections/{id}/pause", managesIntegrations, c.connectionPause)
	r.post("POST /connections/{id}/resume", managesIntegrations, c.connectionResume)
	r.get("GET /connections/{id}/delete", managesIntegrations, c.connectionDeleteForm)
	r.post("POST /connections/{id}/delete", managesIntegrations, c.connectionDelete)
}
