package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// RetryAfterError asks for the run to be made again after a delay, as a
// rate limit's Retry-After does. The wait is not a failed attempt.
type RetryAfterError struct {
	Err   error
	After time.Duration
}

// RetryAfter returns err marked to run the connection again after d.
func RetryAfter(err error, d time.Duration) error { return &RetryAfterError{Err: err, After: d} }

func (e *RetryAfterError) Error() string             { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error             { return e.Err }
func (e *RetryAfterError) RetryAfter() time.Duration { return e.After }

// HeldError ends a run without retry: the connection cannot sync until
// something outside the queue changes (it needs a reconnect), after which a
// new request queues a run again.
type HeldError struct{ Err error }

// Held returns err marked to end the run without retry.
func Held(err error) error { return &HeldError{Err: err} }

func (e *HeldError) Error() string { return e.Err.Error() }
func (e *HeldError) Unwrap() error { return e.Err }
func (e *HeldError) Held() bool    { return true }

// Errors of other packages (a connector's rate-limit error) take part by
// having these methods; the types above are the ready-made ones.
type (
	retryAfterer interface{ RetryAfter() time.Duration }
	holder       interface{ Held() bool }
)

var errLeaseLost = errors.New("connection lease lost")

type runWorker struct {
	river.WorkerDefaults[RunArgs]
	q *Queue
}

func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	w.q.observeStart(job.JobRow)
	l, err := w.awaitLease(ctx, job.Args.ConnectionID)
	if err != nil {
		return err
	}
	if l == nil {
		// Another run holds the lease. If a second run waits too, that one
		// covers this request; otherwise this one waits.
		other, err := w.q.backend.waitingRun(ctx, job.Args.ConnectionID, job.ID)
		if err != nil {
			return err
		}
		if other != 0 {
			return river.RecordOutput(ctx, map[string]int64{"covered_by": other})
		}
		return river.JobSnooze(busyDelay(w.q.cfg.busySnooze, job.JobRow))
	}
	if _, err := w.q.client.JobUpdate(ctx, job.ID, &river.JobUpdateParams{Output: leaseMark{LeasedAttempt: job.Attempt}}); err != nil {
		l.release()
		return err
	}
	leaseLost, err := w.run(ctx, job.Args, l)
	return w.outcome(ctx, job.JobRow, err, leaseLost)
}

// leaseWait is how long a run waits in place for a busy lease before it
// snoozes. Most runs are short, and a snoozed run is looked for again
// only at River's next fetch poll (up to a second on SQLite, which cannot
// be woken), so a change that arrives during another run would otherwise
// wait that long.
const (
	leaseWait = time.Second
	leaseTick = 10 * time.Millisecond
)

// awaitLease takes the connection's lease, waiting up to leaseWait while
// another run holds it; nil when it is still held.
func (w *runWorker) awaitLease(ctx context.Context, id int64) (*lease, error) {
	deadline := time.Now().Add(leaseWait)
	for {
		l, err := w.q.backend.lease(ctx, id)
		if err != nil || l != nil || time.Now().After(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(leaseTick):
		}
	}
}

// run runs the connection under its lease, which it releases even if the
// Runner panics, and says whether the lease was lost meanwhile.
func (w *runWorker) run(ctx context.Context, args RunArgs, l *lease) (leaseLost bool, err error) {
	defer l.release()
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if l.lost != nil {
		go func() {
			select {
			case <-l.lost:
				cancel(errLeaseLost)
			case <-runCtx.Done():
			}
		}()
	}
	err = w.q.cfg.Runner.Run(runCtx, args.ConnectionID, args.Trigger)
	return errors.Is(context.Cause(runCtx), errLeaseLost), err
}

// outcome turns the Runner's result into River's next step for the job.
func (w *runWorker) outcome(ctx context.Context, job *rivertype.JobRow, err error, leaseLost bool) error {
	var (
		held holder
		ra   retryAfterer
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &held) && held.Held():
		return river.JobCancel(err)
	case errors.As(err, &ra):
		return river.JobSnooze(max(ra.RetryAfter(), 0))
	case leaseLost:
		// Another replica may be running the connection now.
		return river.JobSnooze(busyDelay(w.q.cfg.busySnooze, job))
	case errors.Is(ctx.Err(), context.Canceled) && !errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely):
		// Shutdown interrupted the run: any replica may take it up now,
		// and the interruption is no failed attempt.
		return river.JobSnooze(0)
	default:
		return err
	}
}

// busyDelay is how long a run waits when its connection is running: short
// at first so that the next run follows closely, doubling up to 8 times
// while it keeps waiting, with jitter so that waiting runs spread out.
func busyDelay(base time.Duration, job *rivertype.JobRow) time.Duration {
	var meta struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(job.Metadata, &meta)
	d := base << min(max(meta.Snoozes, 0), 3)
	return jitter(d, 0.2)
}

// jitter spreads d by ±frac.
func jitter(d time.Duration, frac float64) time.Duration {
	return time.Duration(float64(d) * (1 + frac*(2*rand.Float64()-1)))
}

// retryPolicy is River's backoff (attempt⁴ seconds, ±10% jitter) capped at
// maxDelay: a waiting retry holds the connection's place in the queue, so
// a long one would hold up the schedule for as long.
type retryPolicy struct {
	maxDelay time.Duration
}

func (p *retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	next := (&river.DefaultClientRetryPolicy{}).NextRetry(job)
	now := time.Now().UTC()
	if next.Sub(now) > p.maxDelay {
		next = now.Add(jitter(p.maxDelay, 0.1))
	}
	return next
}

type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	q *Queue
}

func (w *scheduleWorker) Timeout(*river.Job[scheduleArgs]) time.Duration { return time.Minute }

func (w *scheduleWorker) Work(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	ids, err := w.q.cfg.Connections(ctx)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	return w.q.backend.enqueue(ctx, ids, TriggerSchedule)
}
