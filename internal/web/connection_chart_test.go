package web

import (
	"strings"
	"testing"
	"time"
)

// The chart draws one bar per hour, as tall as its share of the busiest
// hour, each titled with its hour and count, labels each midnight, and
// says the same in words and as a table per day.
func TestChartOfRecordsPerHour(t *testing.T) {
	start := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	counts := make([]int, 168)
	counts[0], counts[9], counts[10], counts[167] = 10, 40, 1, 20
	ch := newHourChart(start, counts)
	if len(ch.Bars) != 168 || ch.Total != 71 || ch.Max != 40 {
		t.Fatalf("%d bars, total %d, max %d", len(ch.Bars), ch.Total, ch.Max)
	}
	if b := ch.Bars[9]; b.H != chartPlotHeight || b.Y != ch.Top || b.Title != "Fri Nov 27, 00:00 UTC: 40 records" {
		t.Errorf("busiest bar: %+v", b)
	}
	if b := ch.Bars[0]; b.H != chartPlotHeight/4 || b.Title != "Thu Nov 26, 15:00 UTC: 10 records" {
		t.Errorf("first bar: %+v", b)
	}
	if b := ch.Bars[10]; b.H != chartPlotHeight/40 {
		t.Errorf("an hour with 1 of 40: %+v", b)
	}
	tiny := make([]int, 168)
	tiny[0], tiny[1] = 1000, 1
	if b := newHourChart(start, tiny).Bars[1]; b.H != 1 {
		t.Errorf("an hour with a record draws at least a sliver: %+v", b)
	}
	if b := ch.Bars[1]; b.H != 0 {
		t.Errorf("an empty hour draws nothing: %+v", b)
	}
	// 15:00 leaves too little room before midnight for the first day's label.
	if len(ch.Days) != 7 || ch.Days[0].Label != "Fri Nov 27" || ch.Days[0].X != ch.Bars[9].X {
		t.Errorf("day labels: %+v", ch.Days)
	}
	if len(ch.PerDay) != 8 || ch.PerDay[0] != (chartDay{"Thu Nov 26", 10}) || ch.PerDay[1].Count != 41 || ch.PerDay[7].Count != 20 {
		t.Errorf("per day: %+v", ch.PerDay)
	}
	if !strings.Contains(ch.Summary, "71 records synced") || !strings.Contains(ch.Summary, "Fri Nov 27, 00:00 UTC, with 40 records") {
		t.Errorf("summary %q", ch.Summary)
	}
	if empty := newHourChart(start, make([]int, 168)); empty.Summary != "0 records synced in the last 7 days." {
		t.Errorf("an empty week: %q", empty.Summary)
	}
}
