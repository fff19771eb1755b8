// Package jobs runs sync runs as durable jobs on River, in the store's
// database: the embedded SQLite file or the PostgreSQL schema that replicas
// share. It owns when and where a run happens — coalescing requests, the
// schedule, retries, and the rule that one connection never runs twice at
// once — but not what a run does, which is the Runner's (the sync engine).
//
// Coalescing: at most one run per connection waits at a time. A request
// while one waits joins it; a request while one runs queues the next run,
// so a change that lands during a run is always picked up after it. River's
// unique jobs cannot say this (they must count a running job as a
// duplicate), so the queue checks River's table itself: a run waits while
// it is available, scheduled, retryable or pending, and also while it is
// running but has not yet taken its connection's lease.
//
// Exclusivity: River alone would start a connection's queued run beside its
// running one, so a run first takes the connection's lease. When another
// run holds it, the run waits (River's snooze, briefly, then longer), or
// ends at once if another run of the connection already waits. On PostgreSQL the lease is a session
// advisory lock on a connection the run holds, released by the server when
// the replica dies; on SQLite, where one process owns the file, it is an
// in-process lock.
//
// Death: a run of a dead replica stays "running" in River until River
// rescues it after Config.RescueAfter and runs it again. The connection is
// not blocked meanwhile: its lease is gone, and the next request queues and
// runs a new run at once on a live replica.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Triggers say why a run was asked for (DESIGN §6). They are recorded with
// the run; a coalesced request keeps the trigger of the run it joined. A
// catch-up run after a repair is labelled with what repaired the
// connection (connection.RepairedBy*).
const (
	TriggerSchedule  = "schedule"
	TriggerFeed      = "feed"
	TriggerManual    = "manual"
	TriggerReconnect = "reconnect"
)

const (
	queueRuns     = "sync"
	queueSchedule = "sync_schedule"
	// runMaxAttempts bounds the retries of one failing run, about an hour
	// with the capped backoff; the schedule then queues a fresh run.
	runMaxAttempts = 10
)

// waitingStates are the states of a run that has not started.
const waitingStates = "'available', 'pending', 'retryable', 'scheduled'"

// leaseGrace is how long a running run may take to get its lease, or find
// it busy, before it no longer counts as waiting: past it, its replica is
// taken for dead, and a request queues a new run rather than join it.
const leaseGrace = 30 * time.Second

// leaseMark is the output a run records when it has taken its lease, which
// tells a running run from a waiting one.
type leaseMark struct {
	LeasedAttempt int `json:"leased_attempt"`
}

// RunArgs asks for one sync run of a connection.
type RunArgs struct {
	ConnectionID int64  `json:"connection_id"`
	Trigger      string `json:"trigger"`
}

func (RunArgs) Kind() string { return "sync_run" }

func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueRuns, MaxAttempts: runMaxAttempts}
}

// scheduleArgs asks for a run of every scheduled connection.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return "sync_schedule" }

func (scheduleArgs) InsertOpts() river.InsertOpts {
	// A failed round is not retried: the next one is at most Every away.
	return river.InsertOpts{Queue: queueSchedule, MaxAttempts: 1}
}

// Runner performs one sync run of a connection. Its error decides what
// happens next: nil completes the run; an error carrying RetryAfter runs it
// again after that delay; an error carrying Held ends it without retry; any
// other error is retried with backoff and jitter. ctx ends at RunTimeout,
// on shutdown, and when the run's lease is lost; the Runner must return
// promptly then, having made durable whatever progress it keeps.
type Runner interface {
	Run(ctx context.Context, connectionID int64, trigger string) error
}

// Config configures a Queue. Exactly one of SQLite and PostgresURL is set.
type Config struct {
	// SQLite is the store's single write connection (sqlite.Handles.Write).
	// The queue shares it rather than opening the file again; see
	// sqlite.Handles for why.
	SQLite *sql.DB
	// PostgresURL is the store's database URL. River's tables go in the
	// schema its search_path selects, beside the store's.
	PostgresURL string

	Runner Runner
	// Connections lists the connections the schedule runs every Every; nil
	// runs no schedule.
	Connections func(ctx context.Context) ([]int64, error)
	// Every is the schedule's interval. Default 1 minute.
	Every time.Duration
	// Workers is how many runs this process works at once. Default 4.
	Workers int
	// RunTimeout ends a run's context. Default 30 minutes.
	RunTimeout time.Duration
	// RescueAfter is how long a run may stay running before River takes it
	// for dead and runs it again; at least RunTimeout. Default RunTimeout
	// plus 5 minutes.
	RescueAfter time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Observer, if set, hears how long each job waited (metrics.go).
	Observer Observer

	// Knobs that tests shorten.
	busySnooze    time.Duration // first wait of a run whose lease is busy
	maxRetryDelay time.Duration // cap on the backoff of failed runs
	leaseCheck    time.Duration // how often a held PostgreSQL lease is checked
	fetchPoll     time.Duration // River's FetchPollInterval
	testOnly      bool          // River's TestOnly
}

// sqliteFetchPoll is how often River looks for runs on SQLite, which has
// no LISTEN to wake it. River also looks at once after an insert, but a
// third of the runs that changes ask for were still found only by the
// poll (a look already under way when the insert commits, it seems), and
// at River's default of a second that was most of the propagation delay.
// A look is one indexed query; five a second cost about 1% of a core.
const sqliteFetchPoll = 200 * time.Millisecond

// scheduleFetchPoll is how often River looks for the schedule's own job,
// which comes once every Every: a quarter of that, at most 5 s.
func (c *Config) scheduleFetchPoll() time.Duration {
	return max(c.fetchPoll, min(5*time.Second, c.Every/4))
}

func (c *Config) withDefaults() {
	c.Every = cmp.Or(c.Every, time.Minute)
	c.Workers = cmp.Or(c.Workers, 4)
	c.RunTimeout = cmp.Or(c.RunTimeout, 30*time.Minute)
	c.RescueAfter = cmp.Or(c.RescueAfter, c.RunTimeout+5*time.Minute)
	// A change that arrives while its connection runs waits for that run;
	// runs of small changes take tens of milliseconds, so the first wait
	// is short (then doubling, see busyDelay).
	c.busySnooze = cmp.Or(c.busySnooze, 200*time.Millisecond)
	c.maxRetryDelay = cmp.Or(c.maxRetryDelay, 10*time.Minute)
	c.leaseCheck = cmp.Or(c.leaseCheck, 10*time.Second)
	if c.SQLite != nil {
		c.fetchPoll = cmp.Or(c.fetchPoll, sqliteFetchPoll)
	}
	c.fetchPoll = cmp.Or(c.fetchPoll, river.FetchPollIntervalDefault)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func (c *Config) validate() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{c.SQLite == nil && c.PostgresURL == "", "one of SQLite and PostgresURL is required"},
		{c.SQLite != nil && c.PostgresURL != "", "only one of SQLite and PostgresURL may be set"},
		{c.SQLite != nil && c.SQLite.Stats().MaxOpenConnections != 1, "SQLite must be the store's single write connection (MaxOpenConns 1)"},
		{c.Runner == nil, "Runner is required"},
		{c.Every < 0 || c.Workers < 0 || c.RunTimeout < 0, "Every, Workers and RunTimeout must not be negative"},
		{c.RescueAfter < c.RunTimeout, "RescueAfter must be at least RunTimeout"},
	}
	var errs []error
	for _, ch := range checks {
		if ch.bad {
			errs = append(errs, errors.New(ch.msg))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("jobs config: %w", errors.Join(errs...))
	}
	return nil
}

// Queue runs sync runs. Open it, Start it once the Runner is ready, and
// Stop it before the store closes.
type Queue struct {
	cfg       Config
	client    riverClient
	backend   backend
	closeOnce sync.Once
}

// riverClient is the part of *river.Client[TTx] the Queue drives, whatever
// the driver's transaction type.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	JobUpdate(ctx context.Context, id int64, params *river.JobUpdateParams) (*rivertype.JobRow, error)
}

// backend is what differs between SQLite and PostgreSQL.
type backend interface {
	// enqueue queues a run for each connection that has none waiting.
	enqueue(ctx context.Context, connectionIDs []int64, trigger string) error
	// waitingRun returns a run of the connection other than jobID in a
	// waiting state, or 0. Running runs do not count, so that two runs that
	// find the lease busy cannot each leave it to the other.
	waitingRun(ctx context.Context, connectionID, jobID int64) (int64, error)
	// lease takes a connection's lease, or returns nil when a run holds it.
	lease(ctx context.Context, connectionID int64) (*lease, error)
	// idle calls fn while holding the connection's lease, unless a run
	// holds it, and says whether it did.
	idle(ctx context.Context, connectionID int64, fn func() error) (bool, error)
	// resign asks the leader to resign, so that a leader is elected again
	// and starts River's maintenance afresh; tests use it.
	resign(ctx context.Context) error
	close()
}

// lease is held by one run of a connection.
type lease struct {
	// lost is closed if the lease ends before release; nil if it cannot.
	lost    <-chan struct{}
	release func()
}

// Open migrates River's tables (idempotent; replicas starting together take
// turns) and builds the queue. It does not start working.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &runWorker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &scheduleWorker{q: q}); err != nil {
		return nil, err
	}
	var err error
	if cfg.SQLite != nil {
		q.client, q.backend, err = openSQLite(ctx, cfg.SQLite, q.riverConfig(workers, ""))
	} else {
		q.client, q.backend, err = openPostgres(ctx, cfg.PostgresURL, cfg.Workers, cfg.leaseCheck,
			func(schema string) *river.Config { return q.riverConfig(workers, schema) })
	}
	if err != nil {
		return nil, err
	}
	return q, nil
}

func (q *Queue) riverConfig(workers *river.Workers, schema string) *river.Config {
	cfg := &river.Config{
		Logger: q.cfg.Logger,
		Queues: map[string]river.QueueConfig{
			queueRuns: {MaxWorkers: q.cfg.Workers},
			// Its own queue, so that long runs filling every worker never
			// hold up the schedule.
			// Its runs come once every Every, so it need not be looked
			// at as often as sync runs are.
			queueSchedule: {MaxWorkers: 1, FetchPollInterval: q.cfg.scheduleFetchPoll(), FetchCooldown: q.cfg.fetchPoll},
		},
		Workers:              workers,
		JobTimeout:           q.cfg.RunTimeout,
		RescueStuckJobsAfter: q.cfg.RescueAfter,
		RetryPolicy:          &retryPolicy{maxDelay: q.cfg.maxRetryDelay},
		FetchPollInterval:    q.cfg.fetchPoll,
		FetchCooldown:        min(river.FetchCooldownDefault, q.cfg.fetchPoll),
		Schema:               schema,
		TestOnly:             q.cfg.testOnly,
	}
	if q.cfg.Connections != nil {
		cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(
			river.PeriodicInterval(q.cfg.Every),
			func() (river.JobArgs, *river.InsertOpts) { return scheduleArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true},
		)}
	}
	return cfg
}

// Start starts working runs and, on the elected replica, the schedule.
// Cancelling ctx later does not stop the queue: Stop does, so that shutdown
// can be graceful.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	return nil
}

// stopGrace is how long Stop waits for cancelled runs to return.
const stopGrace = 5 * time.Second

// Stop stops taking runs and waits for running ones until ctx is done, then
// cancels them; an interrupted run is queued again at once for any replica,
// without counting as a failed attempt. Stop releases the queue's database
// handles (on SQLite the store's handle stays open: close the store after).
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopGrace)
		err = q.client.StopAndCancel(cctx)
		cancel()
	}
	if err != nil {
		// Runs still hold the queue's connections; closing them would wait
		// for those runs too.
		return fmt.Errorf("stop job queue: %w", err)
	}
	q.closeOnce.Do(q.backend.close)
	return nil
}

// Enqueue asks for a run of the connection, unless one is already waiting,
// which then covers this request too. A run that is running does not: the
// new one waits for it. On SQLite do not call Enqueue inside a store write
// transaction: both need the one write connection.
func (q *Queue) Enqueue(ctx context.Context, connectionID int64, trigger string) error {
	if connectionID <= 0 {
		return fmt.Errorf("enqueue sync run: invalid connection id %d", connectionID)
	}
	if err := q.backend.enqueue(ctx, []int64{connectionID}, trigger); err != nil {
		return fmt.Errorf("enqueue sync run of connection %d: %w", connectionID, err)
	}
	return nil
}

// WithIdleLease calls fn while holding the connection's lease, unless a run
// of the connection holds it, and reports whether it called fn. While fn
// runs no run of the connection is running anywhere (on PostgreSQL, on any
// replica; on SQLite, in this process) and none can start, so a run still
// recorded as running was left by a process that died.
func (q *Queue) WithIdleLease(ctx context.Context, connectionID int64, fn func() error) (bool, error) {
	return q.backend.idle(ctx, connectionID, fn)
}
