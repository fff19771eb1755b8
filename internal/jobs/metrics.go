package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"
)

// Observer hears how long each job waited past its due time before a
// worker started it, for metrics.
type Observer func(kind string, waited time.Duration)

// observeStart tells the queue's observer, if any, that a worker started job.
func (q *Queue) observeStart(job *rivertype.JobRow) {
	if q.cfg.Observer != nil {
		q.cfg.Observer(job.Kind, time.Since(job.ScheduledAt))
	}
}

// depthQuery counts the jobs not yet finished by state; the states are
// River's, a fixed set.
const depthQuery = `SELECT state, count(*) FROM %s
	WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'pending') GROUP BY state`

// Depth counts the jobs waiting or running, by state: the queue's depth
// as metrics show it.
func (q *Queue) Depth(ctx context.Context) (map[string]float64, error) {
	out := map[string]float64{"available": 0, "scheduled": 0, "retryable": 0, "running": 0}
	add := func(state string, n int64) { out[state] = float64(n) }
	switch b := q.backend.(type) {
	case *sqliteBackend:
		return out, countSQL(ctx, b.db, add)
	case *pgBackend:
		rows, err := b.pool.Query(ctx, fmt.Sprintf(depthQuery, b.jobTable))
		if err != nil {
			return nil, err
		}
		var state string
		var n int64
		_, err = pgx.ForEachRow(rows, []any{&state, &n}, func() error { add(state, n); return nil })
		return out, err
	}
	return out, nil
}

func countSQL(ctx context.Context, db *sql.DB, add func(string, int64)) error {
	rows, err := db.QueryContext(ctx, fmt.Sprintf(depthQuery, "river_job"))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return err
		}
		add(state, n)
	}
	return rows.Err()
}
