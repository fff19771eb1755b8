package demo

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// PrintStory prints both hubs' addresses, the sign-ins and the story to
// follow in the browser.
func (d *Demo) PrintStory(ctx context.Context, w io.Writer) error {
	conn := d.Ours.URL + "/connections/" + strconv.FormatInt(d.ConnectionID, 10)
	connector, err := d.Ours.Hub.Identity.User(ctx, d.Connector())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nOur hub   %s\nAcme CRM  %s  (plays the external app)\n\n", d.Ours.URL, d.Acme.URL)
	fmt.Fprintln(w, "Sign-ins:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range d.signIns {
		site := d.Ours
		if p.Side == "acme" {
			site = d.Acme
		}
		fmt.Fprintf(tw, "  %s\t%s\tpassword %s\t%s\n", site.Name, p.Email, p.Password, p.Part)
	}
	tw.Flush()
	fmt.Fprintf(w, "  (kept in %s/%s)\n\n", d.dir, signInsFile)
	steps := []string{
		fmt.Sprintf("Sign in to our hub as %s and open the home page: %s/home", d.oursAdmin(), d.Ours.URL),
		fmt.Sprintf("Open the connection %q: %s (active, running as %s).", ConnectionName, conn, d.Connector()),
		fmt.Sprintf("Remove the connector: %s/users/%d/remove. The dialog shows the impact (the connection runs as this user); "+
			"type the email to force it.", d.Ours.URL, connector.ID),
		"Watch the connection turn needs_reconnect with the reason, on the home page and the connection page, without reloading.",
		"Edit records on both sides while it is broken, through each hub's CRM API:\n" + d.curl(d.Acme, acmeCast) + "\n" + d.curl(d.Ours, oursCast),
		fmt.Sprintf("Sign out, sign in as %s, open %s, click Reconnect as another user and choose yourself: the connection will run as you. "+
			"Approve on Acme's consent page as %s.", d.Second(), conn, d.acmeAdmin()),
		"Back on the connection page the status turns active and the catch-up run delivers both sides' edits (see the activity).",
	}
	fmt.Fprintln(w, "The story to follow in the browser:")
	for i, s := range steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	fmt.Fprintf(w, "\nOr let it play by itself: hubsync demo --walk --dir %s (each run sets the stage again)\n", d.dir)
	return nil
}

// curl is a command that edits a side's first contact through its CRM API.
func (d *Demo) curl(s *Side, c cast) string {
	return "       " + strings.Join([]string{
		"curl -X PATCH", fmt.Sprintf("'%s/crm/v3/objects/contacts/%s?idProperty=email'", s.URL, c.contactEmail(0)),
		"-H 'Authorization: Bearer " + d.editors[s] + "'", "-H 'Content-Type: application/json'",
		`-d '{"properties":{"jobtitle":"Edited on ` + s.Name + `"}}'`}, " ")
}
