// Package syncer is the sync engine: for each object sync of a connection
// it reads what changed on each side since that side's cursor, filters,
// maps and matches records, merges each pair three ways against the values
// last synced, writes in batches, and only then stores links, snapshots and
// cursors, so a crash at any point replays without losing or duplicating.
// It does not authenticate (the connection package does) nor speak to
// external apps (connectors do).
package syncer

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

// Run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunHeld      = "held"
)

// TriggerPoll is a run that looks for changes on the external side, which
// cannot tell the hub when it changes; a poll that finds nothing leaves no
// run record.
const TriggerPoll = "poll"

// ErrHeld is a run that did not start because the connection may not sync
// (paused, or needing a reconnect); it is not retried.
var ErrHeld = connection.ErrHeld

// Source is how the hub's change feed names the writes of a connection's
// runs, which are no news to that connection.
func Source(connectionID int64) string { return "sync:" + strconv.FormatInt(connectionID, 10) }

// Engine runs syncs.
type Engine struct {
	st    store.Store
	crm   *crm.Service
	conns *connection.Service
	now   func() time.Time
	log   *slog.Logger
	// batch is how many hub changes or external records one step reads.
	// Larger steps spread the fixed cost of a step (its transactions, its
	// staging) over more records: 2,000 is 1.6 times as fast as 500 into
	// PostgreSQL and holds well under 100 MiB.
	batch int
	// prepared remembers which connection versions were prepared, by id.
	prepared sync.Map
	// limits are the connections' token buckets, by id and setting.
	limits sync.Map
	// totals are the connections' settled run totals, by id (health.go).
	totals sync.Map
	// fault, when set, may fail the step at a named point, as a crash
	// there would; tests use it to prove that replays lose nothing.
	fault func(point string) error

	// observe hears of finished runs (metrics.go).
	observe RunObserver
}

// Option configures an Engine.
type Option func(*Engine)

// WithBatch sets how many records one step reads.
func WithBatch(n int) Option { return func(e *Engine) { e.batch = n } }

// WithFault makes the engine call fault at each point where a crash could
// interrupt a step ("before_app_write", "after_app_write", "in_hub_tx");
// an error it returns ends the run there. For fault-injection tests.
func WithFault(fault func(point string) error) Option { return func(e *Engine) { e.fault = fault } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// New returns an Engine.
func New(st store.Store, records *crm.Service, conns *connection.Service, opts ...Option) *Engine {
	e := &Engine{st: st, crm: records, conns: conns, now: time.Now, log: slog.New(slog.DiscardHandler), batch: 2000}
	for _, o := range opts {
		o(e)
	}
	return e
}

// run is one run in progress.
type run struct {
	sess   connection.Session
	reader connector.Reader
	writer connector.Writer
	rec    store.SyncRun
	source string // how the hub's change feed names the engine's writes
	// origin prefixes the idempotency keys of the run's external creates:
	// this hub and connection, so two hubs writing to one app never clash.
	origin string
	// syncs are the object syncs the run works, as they were when it
	// read them; a change of one stops the run (settingsKept).
	syncs []store.ObjectSync
	// object is the hub object being synced, for the run's error.
	object string
	// limit paces the run's calls to the external app; nil for none.
	limit *rate.Limiter
	// echoes remember the external records this run wrote, by id: when
	// they come back unchanged they need no lookups at all.
	echoes map[string]echo
}

// echo is what an external record looked like right after the engine
// wrote it: its modification time in Unix nanoseconds and the digest of
// its values, 16 bytes, since a backfill keeps up to maxEchoes of them.
type echo struct {
	at     int64
	digest uint64
}

// maxEchoes bounds the memory a long backfill spends on echoes.
const maxEchoes = 200_000

func (r *run) wrote(id string, at time.Time, values map[string]string) {
	if at.IsZero() || id == "" || len(r.echoes) >= maxEchoes {
		return
	}
	if r.echoes == nil {
		r.echoes = map[string]echo{}
	}
	r.echoes[id] = echo{at: at.UnixNano(), digest: digest(values)}
}

// isEcho reports whether an external record is exactly what this run wrote:
// same modification time and same mapped values. A person's edit changes
// the values even within the same millisecond. values is called only for a
// record the run wrote: on a backfill none is, and mapping every record
// once more for nothing cost a map or two each.
func (r *run) isEcho(rec connector.Record, values func() map[string]string) bool {
	e, ok := r.echoes[rec.ID]
	return ok && !rec.Archived && e.at == rec.UpdatedAt.UnixNano() && e.digest == digest(values())
}

// digest hashes values independently of their order.
func digest(values map[string]string) uint64 {
	h := fnv.New64a()
	for _, k := range slices.Sorted(maps.Keys(values)) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(values[k]))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func (r *run) count(object, dir, what string, n int) {
	if n != 0 {
		r.rec.Counts[object+"."+dir+"."+what] += n
	}
}

// Run runs every enabled object sync of a connection once, recording the
// run. A connection that may not sync gives ErrHeld and no run record.
func (e *Engine) Run(ctx context.Context, connectionID int64, trigger string) error {
	r, err := e.begin(ctx, connectionID, trigger)
	if err != nil {
		return err
	}
	err = e.st.View(ctx, func(tx store.Tx) error {
		var err error
		r.syncs, err = tx.ObjectSyncs(ctx, connectionID)
		return err
	})
	if err == nil {
		err = e.runAll(ctx, r)
	}
	return errors.Join(err, e.finish(ctx, r, err))
}

// begin opens a session on the connection and records the run's start.
func (e *Engine) begin(ctx context.Context, connectionID int64, trigger string) (*run, error) {
	sess, err := e.conns.Open(ctx, connectionID)
	if err != nil {
		return nil, err
	}
	r := &run{sess: sess, source: Source(connectionID),
		rec: store.SyncRun{ConnectionID: connectionID, Trigger: trigger, Status: RunRunning, StartedAt: e.clock(), Counts: map[string]int{}}}
	if r.limit, err = e.limiter(sess); err != nil {
		return nil, fmt.Errorf("%w: %v", connection.ErrInvalid, err)
	}
	var ok bool
	if r.reader, ok = sess.Connector.(connector.Reader); !ok {
		return nil, fmt.Errorf("provider %s cannot read records", sess.Provider)
	}
	if r.writer, ok = sess.Connector.(connector.Writer); !ok {
		return nil, fmt.Errorf("provider %s cannot write records", sess.Provider)
	}
	var account store.Account
	err = e.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if account, err = tx.Account(ctx); err != nil || trigger == TriggerPoll {
			return err
		}
		r.rec, err = tx.CreateSyncRun(ctx, r.rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.origin = fmt.Sprintf("h%d-c%d-", account.HubID, connectionID)
	if err := e.prepare(ctx, r); err != nil {
		// The run is recorded, so its failure shows like any other.
		return nil, errors.Join(err, e.finish(ctx, r, err))
	}
	return r, nil
}

// prepare lets the connector set up the external side, once per process
// and connection settings.
func (e *Engine) prepare(ctx context.Context, r *run) error {
	p, ok := r.sess.Connector.(connector.Preparer)
	if !ok {
		return nil
	}
	c := r.sess.Connection
	version := c.CreatedAt.String() + fmt.Sprint(c.Config)
	if v, ok := e.prepared.Load(c.ID); ok && v == version {
		return nil
	}
	if err := e.external(ctx, r, func(ctx context.Context) error { return p.Prepare(ctx, r.sess.Target, r.sess.Credential) }); err != nil {
		return err
	}
	e.prepared.Store(c.ID, version)
	return nil
}

// runAll syncs each enabled object sync. One whose fields the external
// side lacks fails alone: the others go on, and the run reports it.
func (e *Engine) runAll(ctx context.Context, r *run) error {
	var invalid error
	var invalidObject string
	for _, os := range r.syncs {
		if !os.Enabled || r.sess.Blocked(os.HubObject) != nil {
			// A blocked object waits for its connector user's permission;
			// the connection's status says so.
			continue
		}
		r.object = os.HubObject
		err := e.syncObject(ctx, r, os)
		if mappingInvalid(err) {
			// The connection shows one reason: the first such sync's.
			if invalid == nil {
				invalid, invalidObject = fmt.Errorf("%s: %w", os.HubObject, ofSync(err, os)), os.HubObject
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", os.HubObject, err)
		}
	}
	if invalid != nil {
		r.object = invalidObject
	}
	return invalid
}

func (e *Engine) syncObject(ctx context.Context, r *run, os store.ObjectSync) error {
	if err := e.checkRunFields(ctx, r, os); err != nil {
		return err
	}
	if flows(os.Direction, "", store.SideApp) {
		if err := e.hubToApp(ctx, r, os); err != nil {
			return err
		}
	}
	if flows(os.Direction, "", store.SideHub) {
		return e.appToHub(ctx, r, os)
	}
	return nil
}

// finish records the run's end and tells the connection how it went.
func (e *Engine) finish(ctx context.Context, r *run, runErr error) error {
	now := e.clock()
	r.rec.FinishedAt, r.rec.Status = now, RunSucceeded
	if runErr != nil {
		r.rec.Status, r.rec.Error = RunFailed, runErr.Error()
		var ce *connector.Error
		if errors.As(runErr, &ce) {
			// Only the connector's own words: a cause may quote a request.
			r.rec.Error = ce.Reason + ": " + ce.Text()
			if r.object != "" {
				r.rec.Error = r.object + ": " + r.rec.Error
			}
		}
		if errors.Is(runErr, ErrHeld) {
			r.rec.Status = RunHeld
		}
	}
	e.observeRun(r, now)
	ctx = context.WithoutCancel(ctx)
	if r.rec.ID == 0 && runErr == nil && !wroteAnything(r.rec.Counts) {
		// A poll that found nothing is no news; its runs would bury the
		// ones that did something.
		return e.conns.RanAt(ctx, r.sess.Connection.ID, now, true)
	}
	if err := e.saveRun(ctx, r); err != nil {
		return err
	}
	var ce *connector.Error
	if runErr == nil || errors.As(runErr, &ce) {
		// The connection's status machine decides what the answer means.
		_ = e.conns.Report(ctx, r.sess.Connection.ID, runErr)
	}
	return e.conns.RanAt(ctx, r.sess.Connection.ID, now, runErr == nil)
}

func (e *Engine) clock() time.Time { return e.now().UTC() }

// external calls the connector, renewing the token once if the external
// app says it expired.
func (e *Engine) external(ctx context.Context, r *run, call func(ctx context.Context) error) error {
	if r.limit != nil {
		ctx = connector.WithPacer(ctx, r.limit)
	}
	err := call(ctx)
	var ce *connector.Error
	if errors.As(err, &ce) && ce.Definite && ce.Reason == connector.ReasonTokenExpired && r.sess.Credential.RefreshToken != "" {
		if rerr := e.conns.Renew(ctx, &r.sess); rerr != nil {
			return rerr
		}
		err = call(ctx)
	}
	return err
}

// crashPoint fails the step if the fault injector says so.
func (e *Engine) crashPoint(point string) error {
	if e.fault == nil {
		return nil
	}
	return e.fault(point)
}

// progress saves the run's counts so far, for whoever follows the run.
func (e *Engine) progress(ctx context.Context, r *run) {
	if r.rec.ID == 0 && !wroteAnything(r.rec.Counts) {
		return
	}
	if err := e.saveRun(ctx, r); err != nil {
		e.log.Warn("could not save a run's progress", "run", r.rec.ID, "error", err)
	}
}

// saveRun writes the run's record, making it first for a poll that has
// found something. Each save is a heartbeat: should the process die, the
// run is reported interrupted as of the last one.
func (e *Engine) saveRun(ctx context.Context, r *run) error {
	r.rec.HeartbeatAt = e.clock()
	return e.st.Update(ctx, func(tx store.Tx) error {
		if r.rec.ID != 0 {
			return tx.UpdateSyncRun(ctx, r.rec)
		}
		var err error
		r.rec, err = tx.CreateSyncRun(ctx, r.rec)
		return err
	})
}

// wroteAnything reports whether counts show a write or a refusal.
func wroteAnything(counts map[string]int) bool {
	for k, n := range counts {
		if n > 0 && !strings.HasSuffix(k, ".read") && !strings.HasSuffix(k, ".unchanged") && !strings.HasSuffix(k, ".skipped_filter") {
			return true
		}
	}
	return false
}

// limiter is the connection's token bucket, shared by its runs in this
// process and kept while its settings stay the same.
func (e *Engine) limiter(sess connection.Session) (*rate.Limiter, error) {
	key := fmt.Sprint(sess.Connection.ID, sess.Target.Settings[SettingRateLimit], sess.Target.Config[SettingRateLimit], sess.Target.Settings["api_url"])
	if l, ok := e.limits.Load(key); ok {
		return l.(*rate.Limiter), nil
	}
	l, err := limitFor(sess.Target.Settings, sess.Target.Config)
	if err != nil || l == nil {
		return nil, err
	}
	actual, _ := e.limits.LoadOrStore(key, l)
	return actual.(*rate.Limiter), nil
}
