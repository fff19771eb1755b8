package syncer

import "time"

// RunObserver hears of each run as it finishes, for metrics: its
// connection, status, duration and counts ("object.direction.result").
// It must not keep counts, which the run goes on to save.
type RunObserver func(connectionID int64, status string, took time.Duration, counts map[string]int)

// WithRunObserver sets who hears of finished runs.
func WithRunObserver(o RunObserver) Option { return func(e *Engine) { e.observe = o } }

// RunIdle is the status metrics give a poll that found nothing to do,
// which finish does not record as a run.
const RunIdle = "idle"

// observeRun tells the observer, if any, of a run finishing at now.
func (e *Engine) observeRun(r *run, now time.Time) {
	if e.observe == nil {
		return
	}
	status := r.rec.Status
	if r.rec.ID == 0 && status == RunSucceeded && !wroteAnything(r.rec.Counts) {
		status = RunIdle
	}
	e.observe(r.sess.Connection.ID, status, now.Sub(r.rec.StartedAt), r.rec.Counts)
}
