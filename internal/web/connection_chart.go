package web

import (
	"fmt"
	"time"
)

// chart is a bar chart of records synced per hour, drawn by the server as
// SVG: the browser needs no script to show it.
type chart struct {
	Width, Height, Top, Bottom, Left int
	Bars                             []bar
	Days                             []tick
	Ticks                            []tick
	Total, Max                       int
	// Summary says in words what the chart shows, for whoever cannot see it.
	Summary string
	// PerDay is the chart as a table.
	PerDay []dayTotal
}

type bar struct {
	X, Y, W, H int
	Title      string
}

type tick struct {
	X, Y  int
	Label string
}

type dayTotal struct {
	Day   string
	Count int
}

// Chart geometry, in SVG units: one bar per hour.
const (
	barWidth   = 5
	plotHeight = 140
	plotLeft   = 40
	plotTop    = 10
	plotBottom = 30
)

func newChart(start time.Time, counts []int) chart {
	ch := chart{Width: plotLeft + len(counts)*barWidth + 10, Height: plotTop + plotHeight + plotBottom,
		Top: plotTop, Bottom: plotTop + plotHeight, Left: plotLeft}
	busiest := 0
	for i, n := range counts {
		ch.Total += n
		if n > ch.Max {
			ch.Max, busiest = n, i
		}
	}
	scale := max(ch.Max, 1)
	for i, n := range counts {
		at := start.Add(time.Duration(i) * time.Hour).UTC()
		h := n * plotHeight / scale
		if n > 0 && h == 0 {
			h = 1
		}
		ch.Bars = append(ch.Bars, bar{X: plotLeft + i*barWidth, Y: ch.Bottom - h, W: barWidth - 1, H: h,
			Title: fmt.Sprintf("%s: %s", at.Format("Mon Jan 2, 15:00 UTC"), plural(n, "record"))})
		if at.Hour() == 0 || i == 0 {
			// A partial first day is labelled only when its label fits
			// before the next midnight's.
			if at.Hour() == 0 || at.Hour() <= 12 {
				ch.Days = append(ch.Days, tick{X: plotLeft + i*barWidth, Y: ch.Bottom + 16, Label: at.Format("Mon Jan 2")})
			}
			ch.PerDay = append(ch.PerDay, dayTotal{Day: at.Format("Mon Jan 2")})
		}
		ch.PerDay[len(ch.PerDay)-1].Count += n
	}
	ch.Ticks = []tick{{X: plotLeft - 6, Y: ch.Bottom, Label: "0"}, {X: plotLeft - 6, Y: ch.Top + 4, Label: fmt.Sprint(ch.Max)}}
	ch.Summary = fmt.Sprintf("%s synced in the last 7 days.", plural(ch.Total, "record"))
	if ch.Max > 0 {
		ch.Summary += fmt.Sprintf(" The busiest hour was %s, with %s.",
			start.Add(time.Duration(busiest)*time.Hour).UTC().Format("Mon Jan 2, 15:00 UTC"), plural(ch.Max, "record"))
	}
	return ch
}
