package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one line of the report: a scenario or a baseline.
type Row struct {
	Name    string  `json:"name"`
	Records int     `json:"records,omitempty"`
	Rate    float64 `json:"rate"`
	// Unit is what Rate counts per second: rec/s, req/s or edits/s.
	Unit  string  `json:"unit"`
	P50ms float64 `json:"p50_ms,omitempty"`
	P99ms float64 `json:"p99_ms,omitempty"`
	// CPUPerRecordUs is the CPU time (user and system) of every serve
	// process involved, per record or request, in microseconds.
	CPUPerRecordUs float64 `json:"cpu_us_per_record,omitempty"`
	// PeakRSSMiB is the resident high-water mark of the syncing or
	// serving hub during the scenario.
	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"`
	// Baseline names the baseline row Ratio compares Rate with.
	Baseline string  `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	// Target is issue 11's goal for the scenario, and Met whether this
	// run reached it.
	Target string `json:"target,omitempty"`
	Met    *bool  `json:"met,omitempty"`
	// RequestsPerPoll is, for idle connections, the requests each made to
	// the other side per poll interval.
	RequestsPerPoll float64 `json:"requests_per_poll_interval,omitempty"`
	// Note says what else a reader needs: edits not seen in time, a
	// setting the scenario changes.
	Note string `json:"note,omitempty"`
	// IsBaseline marks the raw baselines, and Key is how scenarios name
	// one in Baseline.
	IsBaseline bool   `json:"is_baseline,omitempty"`
	Key        string `json:"key,omitempty"`
}

// Report is a whole run.
type Report struct {
	Started time.Time `json:"started"`
	Took    string    `json:"took"`
	Quick   bool      `json:"quick"`
	Host    string    `json:"host"`
	CPUs    int       `json:"cpus"`
	Rows    []Row     `json:"rows"`
	// Steps are how long each stretch of the run took, setup included.
	Steps    []StepTime `json:"steps"`
	Failures []string   `json:"failures,omitempty"`
}

// StepTime is how long one step of the run took.
type StepTime struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// target is a goal a row is checked against; zero fields are not checked.
type target struct {
	text           string
	minRate        float64
	maxP50, maxP99 time.Duration
	maxRSSMiB      float64
	// maxRate is a ceiling on Rate, for rows whose rate is a cost;
	// maxRequests one on RequestsPerPoll.
	maxRate, maxRequests float64
}

func (t target) check(r *Row) {
	if t.text == "" {
		return
	}
	r.Target = t.text
	met := true
	if t.minRate > 0 && r.Rate < t.minRate {
		met = false
	}
	if t.maxP50 > 0 && r.P50ms >= ms(t.maxP50) {
		met = false
	}
	if t.maxP99 > 0 && r.P99ms >= ms(t.maxP99) {
		met = false
	}
	if t.maxRSSMiB > 0 && r.PeakRSSMiB >= t.maxRSSMiB {
		met = false
	}
	if t.maxRate > 0 && r.Rate >= t.maxRate {
		met = false
	}
	if t.maxRequests > 0 && r.RequestsPerPoll > t.maxRequests {
		met = false
	}
	r.Met = &met
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// compare sets the row's ratio to its baseline, found among rows.
func compare(rows []Row) {
	rates := map[string]float64{}
	for _, r := range rows {
		if r.IsBaseline {
			rates[r.Key] = r.Rate
		}
	}
	for i := range rows {
		if b := rates[rows[i].Baseline]; b > 0 {
			rows[i].Ratio = rows[i].Rate / b
		}
	}
}

// WriteJSON prints the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable prints the report as one table.
func (r *Report) WriteTable(w io.Writer) error {
	mode := "full"
	if r.Quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "hubsync bench (%s) on %s, %d CPUs, %s, took %s\n\n", mode, r.Host, r.CPUs, r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "scenario\trecords\trate\tp50\tp99\tCPU/rec\tpeak RSS\tvs baseline\ttarget\t")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", row.Name, count(row.Records), rate(row), msText(row.P50ms), msText(row.P99ms),
			usText(row.CPUPerRecordUs), mibText(row.PeakRSSMiB), ratioText(row), targetText(row))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes []string
	for _, row := range r.Rows {
		if row.Note != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", row.Name, row.Note))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nnotes:\n%s\n", strings.Join(notes, "\n"))
	}
	var steps []string
	for _, s := range r.Steps {
		steps = append(steps, fmt.Sprintf("%s %.0fs", s.Name, s.Seconds))
	}
	if len(steps) > 0 {
		fmt.Fprintf(w, "\nsteps: %s\n", strings.Join(steps, ", "))
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "FAILED: %s\n", f)
	}
	return nil
}

func count(n int) string {
	if n == 0 {
		return "—"
	}
	if n < 1000 {
		return fmt.Sprint(n)
	}
	return thousands(float64(n))
}

func rate(r Row) string {
	if r.Rate == 0 {
		return "—"
	}
	return thousands(r.Rate) + " " + r.Unit
}

// thousands formats a number with thousands separators, as the issue does.
func thousands(f float64) string {
	if f < 100 {
		return fmt.Sprintf("%.1f", f)
	}
	s := fmt.Sprintf("%.0f", f)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func msText(v float64) string {
	switch {
	case v == 0:
		return "—"
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	default:
		return fmt.Sprintf("%.0f ms", v)
	}
}

func usText(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f µs", v)
}

func mibText(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MiB", v)
}

func ratioText(r Row) string {
	if r.Ratio == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f× %s", r.Ratio, r.Baseline)
}

func targetText(r Row) string {
	if r.Met == nil {
		return "—"
	}
	if *r.Met {
		return "met: " + r.Target
	}
	return "missed: " + r.Target
}
