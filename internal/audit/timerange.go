package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRange reads the bounds of an audit log search as the API, the
// command line and the console take them: since and until are each empty
// (no bound), an RFC 3339 time, a date and time without a zone
// ("2026-12-03T14:00", taken as UTC), a date ("2026-12-03"), or a time
// ago ("90m", "24h", "7d"). A date as until means the end of that day, so
// "since 2026-12-01 until 2026-12-03" covers three days.
func ParseRange(since, until string, now time.Time) (time.Time, time.Time, error) {
	s, err := parseBound("since", since, now, false)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	u, err := parseBound("until", until, now, true)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !s.IsZero() && !u.IsZero() && !s.Before(u) {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: the time range must end after it starts (since %s, until %s)",
			ErrInvalid, since, until)
	}
	return s, u, nil
}

func parseBound(name, v string, now time.Time, end bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.UTC().AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.UTC().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%w: %s %q must be a time (2026-12-03T14:00:00Z), a date (2026-12-03) or a time ago (24h, 7d)",
		ErrInvalid, name, v)
}
