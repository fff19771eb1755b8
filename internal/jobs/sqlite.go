package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// sqliteMigrations keeps two queues of one process from migrating at once;
// River's migrator takes no lock of its own.
var sqliteMigrations sync.Mutex

type sqliteBackend struct {
	db     *sql.DB
	client *river.Client[*sql.Tx]
	leases localLeases
}

func openSQLite(ctx context.Context, db *sql.DB, cfg *river.Config) (riverClient, backend, error) {
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: cfg.Logger})
	if err != nil {
		return nil, nil, err
	}
	sqliteMigrations.Lock()
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	sqliteMigrations.Unlock()
	if err != nil {
		return nil, nil, fmt.Errorf("migrate river on sqlite: %w", err)
	}
	client, err := river.NewClient[*sql.Tx](pollOnlyDriver{driver}, cfg)
	if err != nil {
		return nil, nil, err
	}
	return client, &sqliteBackend{db: db, client: client}, nil
}

// pollOnlyDriver is River's SQLite driver without its listener. SQLite
// has no LISTEN, so that listener reads a notifications table every 50 ms:
// twenty queries a second, a third of an idle hub's CPU. One process owns
// a SQLite database, and without a listener River wakes the producers of
// that process itself after an insert, which is all a notification did.
type pollOnlyDriver struct{ *riversqlite.Driver }

func (pollOnlyDriver) SupportsListener() bool     { return false }
func (pollOnlyDriver) SupportsListenNotify() bool { return false }

// enqueueBatch bounds the connection ids of one statement, well below
// SQLite's limit on bound parameters.
const enqueueBatch = 500

func (b *sqliteBackend) enqueue(ctx context.Context, ids []int64, trigger string) error {
	for len(ids) > 0 {
		n := min(len(ids), enqueueBatch)
		if err := b.enqueueBatch(ctx, ids[:n], trigger); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func (b *sqliteBackend) enqueueBatch(ctx context.Context, ids []int64, trigger string) error {
	args := []any{queueRuns, RunArgs{}.Kind(), fmt.Sprintf("-%d seconds", int(leaseGrace.Seconds()))}
	for _, id := range ids {
		args = append(args, id)
	}
	// The state and queue lead River's fetching index, so that finished
	// runs, most of the table, are not read; the + keeps SQLite's planner,
	// which has no statistics, from the index on kind.
	rows, err := b.db.QueryContext(ctx, `SELECT json_extract(args, '$.connection_id') FROM river_job
		WHERE state IN (`+waitingStates+`, 'running') AND queue = ? AND +kind = ?
		AND (state <> 'running' OR `+sqliteUnleased+`)
		AND json_extract(args, '$.connection_id') IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return err
	}
	waiting, err := scanIDs(rows)
	if err != nil {
		return err
	}
	// Inserted outside a transaction of ours, because River looks for new
	// runs at once only after such an insert (SQLite has no LISTEN, and
	// InsertManyTx cannot tell when its transaction commits); otherwise a
	// run would wait for the next fetch poll, up to a second. Two requests
	// racing between the check and the insert may both insert; the second
	// run then finds the first waiting and is covered by it (worker.go).
	return insertRuns(ids, waiting, trigger, func(params []river.InsertManyParams) error {
		_, err := b.client.InsertMany(ctx, params)
		return err
	})
}

// sqliteUnleased matches a run, running, that has not yet taken its lease,
// given the negative leaseGrace as an SQLite time modifier. River writes
// attempted_at in the format of the strftime below.
const sqliteUnleased = `(attempted_at > strftime('%Y-%m-%d %H:%M:%f', 'now', ?)
	AND coalesce(json_extract(metadata, '$.output.leased_attempt'), 0) <> attempt)`

func (b *sqliteBackend) waitingRun(ctx context.Context, connectionID, jobID int64) (int64, error) {
	var id int64
	err := b.db.QueryRowContext(ctx, `SELECT id FROM river_job
		WHERE state IN (`+waitingStates+`) AND queue = ? AND +kind = ? AND id <> ?
		AND json_extract(args, '$.connection_id') = ? LIMIT 1`, queueRuns, RunArgs{}.Kind(), jobID, connectionID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

func (b *sqliteBackend) lease(_ context.Context, id int64) (*lease, error) {
	return b.leases.take(id), nil
}

func (b *sqliteBackend) idle(_ context.Context, id int64, fn func() error) (bool, error) {
	l := b.leases.take(id)
	if l == nil {
		return false, nil
	}
	defer l.release()
	return true, fn()
}

func (b *sqliteBackend) resign(ctx context.Context) error {
	return b.client.Notify().RequestResign(ctx)
}

// close leaves the handle open: it is the store's.
func (b *sqliteBackend) close() {}

// localLeases are the leases of a database that one process owns, through
// one Queue.
type localLeases struct {
	mu   sync.Mutex
	held map[int64]bool
}

func (l *localLeases) take(id int64) *lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[id] {
		return nil
	}
	if l.held == nil {
		l.held = make(map[int64]bool)
	}
	l.held[id] = true
	return &lease{release: func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.held, id)
	}}
}

// scanIDs reads a column of connection ids into a set.
func scanIDs(rows *sql.Rows) (map[int64]bool, error) {
	defer rows.Close()
	set := make(map[int64]bool)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		set[id] = true
	}
	return set, rows.Err()
}

// insertRuns inserts a run for each id that has none waiting.
func insertRuns(ids []int64, waiting map[int64]bool, trigger string, insert func([]river.InsertManyParams) error) error {
	var params []river.InsertManyParams
	for _, id := range ids {
		if waiting[id] {
			continue
		}
		waiting[id] = true // a repeated id gets one run
		params = append(params, river.InsertManyParams{Args: RunArgs{ConnectionID: id, Trigger: trigger}})
	}
	if len(params) == 0 {
		return nil
	}
	return insert(params)
}
