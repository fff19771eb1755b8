// Package web serves the hub's pages: sign-in, the OAuth consent page and
// error pages, server-rendered from embedded templates, and the signed-in
// browser sessions behind them.
package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// SignInPage is the data of the sign-in page.
type SignInPage struct {
	Title, Error, Email, ReturnTo, CSRF string
}

// ConsentScope is one scope as the consent page lists it.
type ConsentScope struct {
	Name, Words       string
	Optional, Allowed bool
}

// ConsentPage is the data of the OAuth consent page.
type ConsentPage struct {
	Title, AppName, UserEmail, Action, CSRF string
	Scopes                                  []ConsentScope
	// Blocked is true when the user lacks a permission a required scope needs.
	Blocked bool
}

// ErrorPage is the data of an error page.
type ErrorPage struct {
	Title, Message, Hint string
}

func render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		slog.Error("render page", "page", name, "error", err.Error())
	}
}

// RenderSignIn writes the sign-in page.
func RenderSignIn(w http.ResponseWriter, status int, p SignInPage) {
	p.Title = "Sign in"
	render(w, status, "signin.html", p)
}

// RenderConsent writes the consent page.
func RenderConsent(w http.ResponseWriter, p ConsentPage) {
	p.Title = "Connect " + p.AppName
	render(w, http.StatusOK, "consent.html", p)
}

// RenderError writes an error page.
func RenderError(w http.ResponseWriter, status int, p ErrorPage) {
	render(w, status, "error.html", p)
}

// FormProtection refuses a form posted from a page of another site (the
// browser says so in Sec-Fetch-Site or Origin) with the hub's error page,
// like its other form refusals, rather than Go's plain-text answer.
func FormProtection() *http.CrossOriginProtection {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		RenderError(w, http.StatusForbidden, ErrorPage{Title: "Request refused",
			Message: "This form was sent from a page of another site, so the hub ignored it.",
			Hint:    "Open the page on this hub and submit it from there."})
	}))
	return p
}
