package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/store"
)

// connectionCallback finishes a connect or reconnect when the external app
// sends the admin's browser back. A signed-in browser lands on the
// connection's page, which says as whom and where it is now connected, or
// why the approval was refused; any other browser gets a page saying so.
func (c *Console) connectionCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	conn, err := c.Connections.Callback(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"))
	u, _, signedIn := c.sessions.Current(r)
	if err != nil {
		why := c.refusal(err)
		if signedIn && conn.ID != 0 {
			http.Redirect(w, r, "/connections/"+strconv.FormatInt(conn.ID, 10)+"?refused="+url.QueryEscape(why)+
				"&sig="+c.refusalSig(u, why), http.StatusSeeOther)
			return
		}
		RenderError(w, http.StatusBadRequest, ErrorPage{Title: "The connection was not made", Message: why,
			Hint: "Start the connection or the reconnect again from the hub's console."})
		return
	}
	done := approvedAs(conn)
	if signedIn {
		to := connectionURL(conn.ID, "", done)
		// A new connection goes on to its first object sync, the wizard's
		// last step.
		syncs, err := c.Syncer.ObjectSyncs(r.Context(), conn.ID)
		if isNew(conn) && err == nil && len(syncs) == 0 {
			to = "/connections/" + strconv.FormatInt(conn.ID, 10) + "/sync/new?notice=" + url.QueryEscape(done+".")
		}
		http.Redirect(w, r, signedNotice(to, func(n string) string { return c.noticeSig(u, n) }), http.StatusSeeOther)
		return
	}
	renderPage(w, http.StatusOK, "connection_done", Page{Title: "Connected: " + conn.Name,
		Data: struct {
			Connection store.Connection
			Done       string
		}{conn, done}})
}

// approved says what an approval did: "Reconnected as <user> on <account>"
// for a connection that existed before it, "Connected as ..." for a new one.
func approvedAs(c store.Connection) string {
	word := "Reconnected"
	if isNew(c) {
		word = "Connected"
	}
	if who := externalIdentity(c); who != "" {
		return word + " as " + who
	}
	return word
}

// isNew tells a connection the approval just made from one it repaired.
func isNew(c store.Connection) bool { return c.CreatedAt.Equal(c.UpdatedAt) }

// refusal is why an approval was not taken, in the words of the domain or
// of the external app; what is neither is the hub's own failure.
func (c *Console) refusal(err error) string {
	var ce *connector.Error
	switch {
	case errors.Is(err, connection.ErrInvalid), errors.Is(err, connection.ErrForbidden), errors.Is(err, connection.ErrPreflight):
		return asSentence(err)
	case errors.As(err, &ce):
		return ce.Text()
	}
	c.log.Error("connect callback failed", "error", err.Error())
	return "The hub could not finish the connection. Try again; if it keeps failing, the hub's log says why."
}

// asSentence is a domain error as a page says it: without the kind of
// error the domain tags it with, capitalized, with a full stop.
func asSentence(err error) string {
	msg := err.Error()
	for _, kind := range []error{connection.ErrInvalid, connection.ErrForbidden, connection.ErrPreflight, connection.ErrHeld,
		connection.ErrHasDependents, identity.ErrInvalid, oauth.ErrInvalid, audit.ErrInvalid, store.ErrAlreadyExists} {
		msg = strings.TrimPrefix(msg, kind.Error()+": ")
	}
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// refusalSig signs a refusal for the person it is shown to, so that the
// connection's page shows only refusals the hub wrote, not words a link
// from elsewhere carries.
func (c *Console) refusalSig(u store.User, why string) string {
	return base64.RawURLEncoding.EncodeToString(c.sessions.hash("refusal\x00" + strconv.FormatInt(u.ID, 10) + "\x00" + why))
}

// noticeSig signs a page's one-line notice for the person it is shown
// to, as refusalSig signs a refusal.
func (c *Console) noticeSig(u store.User, notice string) string {
	return base64.RawURLEncoding.EncodeToString(c.sessions.hash("notice\x00" + strconv.FormatInt(u.ID, 10) + "\x00" + notice))
}

// signedRefusal is the refusal of the page's query, if the hub wrote it
// for this session.
func (c *Console) signedRefusal(v *visit) string {
	q := v.r.URL.Query()
	why := q.Get("refused")
	if why == "" || !SameToken(q.Get("sig"), c.refusalSig(v.user, why)) {
		return ""
	}
	return why
}
