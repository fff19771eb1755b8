package syncer

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestLimitFor(t *testing.T) {
	for _, c := range []struct {
		name             string
		settings, config map[string]string
		perSecond        float64
		burst            int
		bad              bool
	}{
		{name: "another hub: no limit", settings: map[string]string{"api_url": "http://127.0.0.1:8080"}},
		{name: "real HubSpot: 100 per 10 s", settings: map[string]string{"api_url": "https://api.hubapi.com"}, perSecond: 9, burst: 10},
		{name: "integration setting", settings: map[string]string{"api_url": "https://api.hubapi.com", "rate_limit": "190/10s"}, perSecond: 17.1, burst: 19},
		{name: "connection wins", settings: map[string]string{"rate_limit": "190/10s"}, config: map[string]string{"rate_limit": "5/1s"}, perSecond: 4, burst: 1},
		{name: "off", settings: map[string]string{"api_url": "https://api.hubapi.com"}, config: map[string]string{"rate_limit": "off"}},
		{name: "malformed", config: map[string]string{"rate_limit": "fast"}, bad: true},
		{name: "zero", config: map[string]string{"rate_limit": "0/1s"}, bad: true},
	} {
		l, err := limitFor(c.settings, c.config)
		switch {
		case c.bad:
			if err == nil {
				t.Errorf("%s: accepted", c.name)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.perSecond == 0:
			if l != nil {
				t.Errorf("%s: limited to %v", c.name, l.Limit())
			}
		case l == nil || l.Limit() != rate.Limit(c.perSecond) || l.Burst() != c.burst:
			t.Errorf("%s: %v, want %v/s burst %d", c.name, l, c.perSecond, c.burst)
		}
	}
}

// TestLimitHoldsInEveryWindow: however calls are timed, no window of the
// configured length admits more than the configured number.
func TestLimitHoldsInEveryWindow(t *testing.T) {
	l, err := limitFor(nil, map[string]string{"rate_limit": "100/10s"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(0, 0)
	var admitted []time.Time
	for ms := 0; ms < 60_000; ms += 7 {
		at := start.Add(time.Duration(ms) * time.Millisecond)
		if l.AllowN(at, 1) {
			admitted = append(admitted, at)
		}
	}
	for i := range admitted {
		j := i
		for j < len(admitted) && admitted[j].Sub(admitted[i]) < 10*time.Second {
			j++
		}
		if j-i > 100 {
			t.Fatalf("%d calls within 10 s from %v", j-i, admitted[i].Sub(start))
		}
	}
}
