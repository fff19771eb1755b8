package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

const (
	sessionCookie = "hubsync_session"
	csrfCookie    = "hubsync_csrf"
	sessionTTL    = 12 * time.Hour
)

// Sessions are signed-in browsers. The cookie holds a random id; the store
// holds only its keyed hash, the user and the form token (CSRF) of the session.
type Sessions struct {
	store    store.Store
	hash     func(string) []byte
	identity *identity.Service
	now      func() time.Time
	// httpsOnly says browsers reach the hub over HTTPS (its public URL),
	// whether the hub or a proxy in front of it ends TLS.
	httpsOnly bool
}

// NewSessions returns the session manager; hash is the hub's keyed hash,
// publicURL the address browsers reach the hub at ("" when unknown).
func NewSessions(st store.Store, hash func(string) []byte, id *identity.Service, publicURL string) *Sessions {
	return &Sessions{store: st, hash: hash, identity: id, now: time.Now, httpsOnly: strings.HasPrefix(publicURL, "https://")}
}

// secure says whether cookies for r may travel only over HTTPS: when the
// hub ends TLS itself, or when its public URL is HTTPS and a proxy ends it.
func (s *Sessions) secure(r *http.Request) bool { return r.TLS != nil || s.httpsOnly }

// Current returns the signed-in user and their session. A session ends
// when it expires, when the user is no longer active and when their
// password changes.
func (s *Sessions) Current(r *http.Request) (store.User, store.WebSession, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return store.User{}, store.WebSession{}, false
	}
	var ws store.WebSession
	var u store.User
	err = s.store.View(r.Context(), func(tx store.Tx) (err error) {
		if ws, err = tx.WebSession(r.Context(), s.hash(c.Value)); err != nil {
			return err
		}
		u, err = tx.User(r.Context(), ws.UserID)
		return err
	})
	if err != nil || !s.now().Before(ws.ExpiresAt) || u.Status != identity.StatusActive || u.CredentialsEpoch != ws.CredentialsEpoch {
		return store.User{}, store.WebSession{}, false
	}
	return u, ws, true
}

// Start signs a user in on this browser.
func (s *Sessions) Start(ctx context.Context, w http.ResponseWriter, r *http.Request, u store.User) error {
	id := rand.Text() + rand.Text()
	now := s.now().UTC()
	ws := store.WebSession{IDHash: s.hash(id), UserID: u.ID, CSRF: rand.Text(), CredentialsEpoch: u.CredentialsEpoch,
		CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.CreateWebSession(ctx, ws) }); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteLaxMode, Expires: ws.ExpiresAt})
	return nil
}

// End signs this browser out: the session is deleted, not only forgotten
// by the browser, so a copied cookie stops working too.
func (s *Sessions) End(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(sessionCookie)
	if err == nil && c.Value != "" {
		err = s.store.Update(ctx, func(tx store.Tx) error { return tx.DeleteWebSession(ctx, s.hash(c.Value)) })
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	return nil
}

// SameToken compares a submitted form token with the expected one.
func SameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// SignInPage is what the sign-in page shows.
type SignInPage struct {
	Error, Email, ReturnTo string
}

func renderSignIn(w http.ResponseWriter, status int, csrf string, p SignInPage) {
	renderPage(w, status, "signin", Page{Title: "Sign in", CSRF: csrf, Data: p})
}

// signInForm serves GET /signin. The form is protected by a double-submitted
// token: a cookie and a hidden field that must match.
func (s *Sessions) signInForm(w http.ResponseWriter, r *http.Request) {
	renderSignIn(w, http.StatusOK, s.formToken(w, r), SignInPage{ReturnTo: safeReturn(r.URL.Query().Get("return_to"))})
}

func (s *Sessions) signIn(w http.ResponseWriter, r *http.Request) {
	returnTo := safeReturn(r.PostFormValue("return_to"))
	c, err := r.Cookie(csrfCookie)
	if err != nil || !SameToken(r.PostFormValue("csrf"), c.Value) {
		RenderError(w, http.StatusForbidden, ErrorPage{Title: "Sign-in refused",
			Message: "The sign-in form was not sent from this hub's own page (its form token is missing or wrong).",
			Hint:    "Open the sign-in page again and submit it from there."})
		return
	}
	email := r.PostFormValue("email")
	u, err := s.identity.Authenticate(r.Context(), identity.Attempt{Email: email, Password: r.PostFormValue("password"),
		Address: ClientAddress(r), Via: "sign-in page"})
	page := SignInPage{Email: email, ReturnTo: returnTo}
	var later *identity.RetryError
	switch {
	case errors.As(err, &later):
		w.Header().Set("Retry-After", strconv.Itoa(later.Seconds()))
		page.Error = later.Sentence()
		renderSignIn(w, http.StatusTooManyRequests, c.Value, page)
		return
	case errors.Is(err, identity.ErrBadCredentials):
		page.Error = "Email or password is wrong, or the user is not active."
		renderSignIn(w, http.StatusUnauthorized, c.Value, page)
		return
	}
	if err == nil {
		err = s.Start(r.Context(), w, r, u)
	}
	if err != nil {
		RenderError(w, http.StatusInternalServerError, ErrorPage{Title: "Sign-in failed", Message: "The hub could not sign you in. Try again."})
		return
	}
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

// formToken returns the browser's pre-session form token, setting one.
func (s *Sessions) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 20 {
		return c.Value
	}
	tok := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/signin", HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteStrictMode})
	return tok
}

// safeReturn keeps redirects after sign-in on this hub.
func safeReturn(to string) string {
	u, err := url.Parse(to)
	if err != nil || to == "" || !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") || u.Host != "" || strings.Contains(to, "\\") {
		return "/"
	}
	return to
}

// SignInURL is where a browser goes to sign in and come back to returnTo.
func SignInURL(returnTo string) string {
	return "/signin?return_to=" + url.QueryEscape(returnTo)
}
