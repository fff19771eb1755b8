package hub_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// Another hub watching this one holds a change listing open for up to
// 25 s; a graceful shutdown must not wait that out (serve gives it 10 s).
func TestShutdownEndsWaitingListings(t *testing.T) {
	t.Parallel()
	env := hubtest.New(t, hubtest.SQLite)
	token := env.Token(t, hubtest.AllScopes...)
	srv := env.Hub.HTTPServer(slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/crm/hubsync/v1/objects/contacts/changes?wait=25", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	time.Sleep(500 * time.Millisecond) // the listing is waiting by now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a listing waiting: %v", err)
	}
	if code := <-answered; code != http.StatusOK {
		t.Errorf("the waiting listing was answered %d, want 200", code)
	}
}
