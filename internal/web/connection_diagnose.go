package web

import (
	"net/http"
	"strconv"

	"github.com/hubsync/hubsync/internal/connection"
)

// connectionDiagnoseForm shows the diagnose tab with the button that runs
// the checklist. Running it is a change, so a GET does not: it calls the
// external app, may refresh the token and records what it finds (a
// connection may break, with its webhook), which a link or a prefetch
// must not set off.
func (c *Console) connectionDiagnoseForm(v *visit) error {
	p, err := c.connectionFor(v, "diagnose")
	if err != nil {
		return err
	}
	return c.showConnection(v, http.StatusOK, p)
}

// connectionDiagnose runs the troubleshooting checklist and shows each
// step's verdict, with the way to the next step of each that did not pass.
// "Run again" posts here, and the page shows that run.
func (c *Console) connectionDiagnose(v *visit) error {
	p, err := c.connectionFor(v, "diagnose")
	if err != nil {
		return err
	}
	if p.Diagnosis, err = c.Connections.Diagnose(v.r.Context(), p.Connection.ID); err != nil {
		return err
	}
	p.Connection = p.Diagnosis.Connection
	return c.showConnection(v, http.StatusOK, p)
}

// stepAction is where a checklist step that did not pass leads: the page or
// button of its next step.
type diagnoseAction struct {
	// Href is a page to open; Post an action to confirm with a button.
	Href, Post, Label string
}

// StepActions are the ways to act on a step's next step.
func (p connectionPage) StepActions(st connection.Step) []diagnoseAction {
	if st.Verdict == connection.Pass || p.Deleted() {
		return nil
	}
	base := connectionURL(p.Connection.ID, "", "")
	switch st.Name {
	case "status":
		if p.Connection.Status == connection.StatusPaused {
			return []diagnoseAction{{Post: base + "/resume", Label: "Resume"}}
		}
		if p.OwnerGone() {
			return []diagnoseAction{{Href: base + "/reconnect", Label: "Reconnect as another user"}, {Href: base + "/transfer", Label: "Transfer"}}
		}
		return []diagnoseAction{{Post: base + "/reconnect", Label: "Reconnect"}, {Href: base + "/transfer", Label: "Transfer"}}
	case "connector_user":
		return []diagnoseAction{{Href: base + "/reconnect", Label: "Reconnect as another user"}, {Href: base + "/transfer", Label: "Transfer"}}
	case "permissions":
		if p.Owner.ID != 0 {
			return []diagnoseAction{{Href: "/users/" + strconv.FormatInt(p.Owner.ID, 10), Label: "Open " + connPerson(p.Owner)},
				{Href: base + "/reconnect", Label: "Reconnect as another user"}}
		}
	case "external_credential", "external_grant":
		return []diagnoseAction{{Post: base + "/reconnect", Label: "Reconnect"}}
	case "last_run":
		return []diagnoseAction{{Href: base + "/activity", Label: "Open the activity"}}
	}
	return nil
}
