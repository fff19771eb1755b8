package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

//go:embed templates
var templateFS embed.FS

// Page is what every page template gets: the layout reads the fields, the
// page's own template reads Data.
type Page struct {
	Title string
	// Section is the menu entry the page belongs to.
	Section string
	// User is the signed-in person; nil on the pages before sign-in.
	User *store.User
	Can  Abilities
	// CSRF is the session's form token, which every form sends back.
	CSRF string
	// Notice is a one-line confirmation of the change just made.
	Notice string
	Data   any
}

// funcs are the helpers templates may call. Files of the console add their
// own in init, before the first page is parsed.
var funcs = template.FuncMap{
	"when":  when,
	"ago":   ago,
	"lower": strings.ToLower,
	"join":  strings.Join,
}

var (
	parseOnce sync.Once
	pages     map[string]*template.Template
)

// templates parses the layout and shared parts once, then each page on its
// own copy of them: every page defines "content" and any fragments htmx
// fetches alone, without clashing with the other pages.
func templates() map[string]*template.Template {
	parseOnce.Do(func() {
		base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout/*.html"))
		files, err := fs.Glob(templateFS, "templates/*.html")
		if err != nil {
			panic(err)
		}
		pages = map[string]*template.Template{}
		for _, f := range files {
			t := template.Must(base.Clone())
			pages[strings.TrimSuffix(path.Base(f), ".html")] = template.Must(t.ParseFS(templateFS, f))
		}
	})
	return pages
}

// execute renders block of page name into a buffer first, so a template
// error becomes a clean error page rather than half a page.
func execute(name, block string, p Page) ([]byte, error) {
	t, ok := templates()[name]
	if !ok {
		return nil, fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func write(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self' http: https:")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// renderPage writes a whole page (the layout around the page's content).
func renderPage(w http.ResponseWriter, status int, name string, p Page) {
	body, err := execute(name, "layout", p)
	if err != nil {
		slog.Error("render page", "page", name, "error", err.Error())
		body, status = []byte("<!doctype html><title>Error</title><p>The page could not be shown.</p>"), http.StatusInternalServerError
	}
	write(w, status, body)
}

// page fills the layout's fields for v.
func (v *visit) page(title, section string, data any) Page {
	u := v.user
	return Page{Title: title, Section: section, User: &u, Can: v.can(), CSRF: v.session.CSRF,
		Notice: v.notice(), Data: data}
}

// notice is the one-line confirmation of the page's query, if the hub
// wrote it for this person: a link from elsewhere cannot make a page of
// the hub say what it likes.
func (v *visit) notice() string {
	q := v.r.URL.Query()
	n := q.Get("notice")
	if n == "" || v.sign == nil || !SameToken(q.Get("nsig"), v.sign(n)) {
		return ""
	}
	return n
}

// signNotice adds to a local address with a notice the notice's
// signature, for this person.
func (v *visit) signNotice(to string) string {
	if v.sign == nil {
		return to
	}
	return signedNotice(to, v.sign)
}

// signedNotice adds the signature sign makes of to's notice to to, if to
// is one of the hub's own addresses and has a notice.
func signedNotice(to string, sign func(string) string) string {
	u, err := url.Parse(to)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(to, "/") {
		return to
	}
	q := u.Query()
	n := q.Get("notice")
	if n == "" {
		return to
	}
	base, frag, hasFrag := strings.Cut(to, "#")
	base += "&nsig=" + url.QueryEscape(sign(n))
	if hasFrag {
		base += "#" + frag
	}
	return base
}

// show writes a console page.
func (c *Console) show(v *visit, status int, name, title, section string, data any) error {
	renderPage(v.w, status, name, v.page(title, section, data))
	return nil
}

// part writes one fragment of a page for htmx to swap in: block is a
// template the page file defines.
func (c *Console) part(v *visit, name, block string, data any) error {
	body, err := execute(name, block, v.page("", "", data))
	if err != nil {
		return err
	}
	write(v.w, http.StatusOK, body)
	return nil
}

// ErrorPage is what an error page says.
type ErrorPage struct {
	Title, Message, Hint string
}

// errorPage shows an error to a signed-in person, inside the console.
func (c *Console) errorPage(v *visit, status int, e ErrorPage) {
	renderPage(v.w, status, "error", v.page(e.Title, "", e))
}

// RenderError writes an error page for a browser that may not be signed in.
func RenderError(w http.ResponseWriter, status int, e ErrorPage) {
	renderPage(w, status, "error", Page{Title: e.Title, Data: e})
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

// when is a time as pages show it: in UTC, to the minute; "never" for none.
func when(t any) string {
	switch t := t.(type) {
	case time.Time:
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	case *time.Time:
		if t == nil {
			return "never"
		}
		return when(*t)
	}
	return ""
}

// ago is how long ago t was, in words a person reads at a glance.
func ago(t any) string {
	var at time.Time
	switch t := t.(type) {
	case time.Time:
		at = t
	case *time.Time:
		if t != nil {
			at = *t
		}
	}
	if at.IsZero() {
		return "never"
	}
	d := time.Since(at)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	default:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
