package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hubsync/hubsync/internal/api"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/oauth"
)

func TestHealthAndReadiness(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := env.Do(t, http.MethodGet, path, "", nil); r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	// A store that does not answer makes the hub alive but not ready.
	down := func(context.Context) error { return errors.New("database unreachable") }
	srv := httptest.NewServer(api.New(crm.NewService(env.Hub.Store), noAuth{}, down, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s with the store down: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

type noAuth struct{}

func (noAuth) Authenticate(context.Context, string) (oauth.Principal, error) {
	return oauth.Principal{}, oauth.ErrInvalidToken
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	token := env.Token(t, hubtest.AllScopes...)
	r := env.Do(t, http.MethodPut, "/crm/v3/objects/deals", token, map[string]any{})
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, POST" || r.JSON(t)["subCategory"] != "METHOD_NOT_ALLOWED" {
		t.Errorf("PUT on a collection: %d Allow=%q %s", r.Status, r.Header.Get("Allow"), r.Body)
	}
	r = env.Do(t, http.MethodGet, "/crm/v4/nothing", token, nil)
	if r.Status != http.StatusNotFound || r.JSON(t)["subCategory"] != "NO_ROUTE" {
		t.Errorf("unknown path: %d %s", r.Status, r.Body)
	}
}
