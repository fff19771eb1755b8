package hub

import (
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/connector/hubspot"
	"github.com/hubsync/hubsync/internal/connector/postgres"
)

func TestPollInterval(t *testing.T) {
	for _, c := range []struct {
		name             string
		settings, config map[string]string
		want             time.Duration
		on               bool
	}{
		{"another hub", map[string]string{"api_url": "http://127.0.0.1:8080"}, nil, DefaultPollInterval, true},
		{"real HubSpot", map[string]string{"api_url": "https://api.hubapi.com"}, nil, HubSpotPollInterval, true},
		{"integration setting", map[string]string{"poll_interval": "3s"}, nil, 3 * time.Second, true},
		{"connection wins", map[string]string{"poll_interval": "3s"}, map[string]string{"poll_interval": "250ms"}, 250 * time.Millisecond, true},
		{"off", nil, map[string]string{"poll_interval": "off"}, 0, false},
		{"malformed falls back", nil, map[string]string{"poll_interval": "soon"}, DefaultPollInterval, true},
	} {
		got, on := pollInterval(c.settings, c.config)
		if got != c.want || on != c.on {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, on, c.want, c.on)
		}
	}
}

// A PostgreSQL connection waits on one table; with two inbound tables it
// must be polled, or changes to the second would wait for the safety poll.
func TestWaitsForAll(t *testing.T) {
	for _, c := range []struct {
		name string
		c    any
		n    int
		want bool
	}{
		{"one table", postgres.New(), 1, true},
		{"two tables", postgres.New(), 2, false},
		{"another hub, three objects", hubspot.New(nil), 3, true},
	} {
		if got := waitsForAll(c.c, c.n); got != c.want {
			t.Errorf("%s: waits for all %v, want %v", c.name, got, c.want)
		}
	}
}
