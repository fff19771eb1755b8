package hub

import (
	"testing"
	"time"
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
