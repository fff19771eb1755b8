package web

import (
	"fmt"
	"time"
)

// chart is a bar chart of records synced per hour, drawn by the server as
// SVG: the browser needs no script to show it.
type hourChart struct {
	Width, Height, Top, Bottom, Left int
	Bars                             []chartBar
	Days                             []chartTick
	Ticks                            []chartTick
	Total, Max                       int
	// Summary says in words what the chart shows, for whoever cannot see it.
	Summary string
	// PerDay is the chart as a table.
	PerDay []chartDay
}

type chartBar struct {
	X, Y, W, H int
	Title      string
}

type chartTick struct {
	X, Y  int
	Label string
}

type chartDay struct {
	Day   string
	Count int
}

// Chart geometry, in SVG units: one bar per hour.
const (
	chartBarWidth   = 5
	chartPlotHeight = 140
	chartPlotLeft   = 40
	chartPlotTop    = 10
	chartPlotBottom = 30
)

func newHourChart(start time.Time, counts []int) hourChart {
	ch := hourChart{Width: chartPlotLeft + len(counts)*chartBarWidth + 10, Height: chartPlotTop + chartPlotHeight + chartPlotBottom,
		Top: chartPlotTop, Bottom: chartPlotTop + chartPlotHeight, Left: chartPlotLeft}
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
		h := n * chartPlotHeight / scale
		if n > 0 && h == 0 {
			h = 1
		}
		ch.Bars = append(ch.Bars, chartBar{X: chartPlotLeft + i*chartBarWidth, Y: ch.Bottom - h, W: chartBarWidth - 1, H: h,
			Title: fmt.Sprintf("%s: %s", at.Format("Mon Jan 2, 15:00 UTC"), plural(n, "record"))})
		if at.Hour() == 0 || i == 0 {
			// A partial first day is labelled only when its label fits
			// before the next midnight's.
			if at.Hour() == 0 || at.Hour() <= 12 {
				ch.Days = append(ch.Days, chartTick{X: chartPlotLeft + i*chartBarWidth, Y: ch.Bottom + 16, Label: at.Format("Mon Jan 2")})
			}
			ch.PerDay = append(ch.PerDay, chartDay{Day: at.Format("Mon Jan 2")})
		}
		ch.PerDay[len(ch.PerDay)-1].Count += n
	}
	ch.Ticks = []chartTick{{X: chartPlotLeft - 6, Y: ch.Bottom, Label: "0"}, {X: chartPlotLeft - 6, Y: ch.Top + 4, Label: fmt.Sprint(ch.Max)}}
	ch.Summary = fmt.Sprintf("%s synced in the last 7 days.", plural(ch.Total, "record"))
	if ch.Max > 0 {
		ch.Summary += fmt.Sprintf(" The busiest hour was %s, with %s.",
			start.Add(time.Duration(busiest)*time.Hour).UTC().Format("Mon Jan 2, 15:00 UTC"), plural(ch.Max, "record"))
	}
	return ch
}
