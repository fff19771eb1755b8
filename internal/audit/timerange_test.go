package audit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
)

func TestParseRange(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		since, until string
		want         [2]time.Time
		bad          bool
	}{
		{"", "", [2]time.Time{}, false},
		{"2026-12-01", "2026-12-03", [2]time.Time{day(1), day(4)}, false},
		{"2026-12-01T10:30", "", [2]time.Time{day(1).Add(10*time.Hour + 30*time.Minute)}, false},
		{"2026-12-01T10:30:00+02:00", "", [2]time.Time{day(1).Add(8*time.Hour + 30*time.Minute)}, false},
		{"24h", "90m", [2]time.Time{now.Add(-24 * time.Hour), now.Add(-90 * time.Minute)}, false},
		{"7d", "", [2]time.Time{now.AddDate(0, 0, -7)}, false},
		{"2026-12-03", "2026-12-02", [2]time.Time{}, true},
		{"yesterday", "", [2]time.Time{}, true},
		{"", "-5h", [2]time.Time{}, true},
	} {
		s, u, err := audit.ParseRange(tc.since, tc.until, now)
		if tc.bad {
			if !errors.Is(err, audit.ErrInvalid) {
				t.Errorf("ParseRange(%q, %q) = %v, %v, %v; want ErrInvalid", tc.since, tc.until, s, u, err)
			}
			continue
		}
		if err != nil || !s.Equal(tc.want[0]) || !u.Equal(tc.want[1]) {
			t.Errorf("ParseRange(%q, %q) = %v, %v, %v; want %v", tc.since, tc.until, s, u, err, tc.want)
		}
	}
}
