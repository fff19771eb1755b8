package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hubsync/hubsync/internal/connector"
)

// Writing records.
//
// Apply sends one statement per kind of write (create, update, archive),
// all in one round trip and one transaction. Each statement takes its rows
// as one text array per column (and a presence array for a column only
// some writes carry), unnested and cast to the column types in SQL, so its
// text and parameters do not grow with the batch. Every write sets the
// updated column to clock_timestamp().
//
// Updates change only the columns a write carries (the engine sends only
// the fields that changed, so writes of one batch differ). The statement
// is UPDATE … FROM the arrays, whose SET can look at each row's presence
// flags, which the SET of INSERT … ON CONFLICT DO UPDATE cannot; its rows
// not found are inserted by INSERT … ON CONFLICT (key) DO NOTHING in the
// same statement (an upsert: a row deleted on the database side comes
// back), each column a write lacks taking its default. An update leaves
// the deleted column as it is. Props naming the key, updated, deleted or
// origin column are ignored: the connector owns them.
//
// Creates. With the origin_column setting, the write's IdempotencyKey is
// stored there and the insert is ON CONFLICT (origin) DO UPDATE, so a
// replayed create updates the row the first attempt made. Otherwise a key
// column with a default (serial, identity, gen_random_uuid()) gives the key,
// and a replay after a crash inserts a second row; a key column without a
// default takes the IdempotencyKey itself as the key (unless the write
// carries the key column), upserting by key, which is idempotent too.
//
// Archive sets the deleted column (true, or the time if it is a timestamp)
// with the deleted_column setting, and deletes the row without it. A row
// already gone is not an error.
//
// One bad row does not fail the batch: values are checked and converted in
// Go first, so a value a column cannot hold rejects that write alone
// (record_rejected, naming the column and the value). If the database
// still refuses the batch (a unique or NOT NULL constraint, a trigger), it
// is rolled back and done again in a transaction that halves the rows it
// cannot apply, each part under a savepoint, down to the single rows the
// database rejects.

var _ connector.Writer = (*Connector)(nil)

const maxBatch = 500

// MaxBatch is the most writes one Apply takes.
func (c *Connector) MaxBatch() int { return maxBatch }

type op uint8

const (
	opCreate op = iota
	opUpdate
	opArchive
)

// planned is a write that passed the checks in Go.
type planned struct {
	i    int // index in the writes of Apply
	op   op
	key  *string // the key's text; nil: the key column's default
	orig string  // for the origin column
	vals map[*column]*string
}

type plan struct {
	byOp [3][]*planned
	// later are writes to a row an earlier write of the batch also
	// writes: one statement cannot change a row twice, so they are
	// applied one by one after the others, in order.
	later []*planned
}

// Apply makes the writes; see the notes at the top of this file.
func (c *Connector) Apply(ctx context.Context, t connector.Target, cred connector.Credential, object string, writes []connector.Write) ([]connector.WriteResult, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if len(writes) == 0 {
		return nil, nil
	}
	var names []string
	seen := map[string]bool{}
	for _, w := range writes {
		for name := range w.Props {
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	ses, err := c.open(ctx, t, cred, false, names...)
	for attempt := 0; ; attempt++ {
		if err != nil {
			return nil, err
		}
		if _, err := ses.fieldColumns(names); err != nil {
			return nil, err // every write of the field would fail alike
		}
		if err := ses.writable(); err != nil {
			return nil, err
		}
		results := make([]connector.WriteResult, len(writes))
		for i, w := range writes {
			results[i].Ref = w.Ref
		}
		applyErr := ses.apply(ctx, ses.plan(writes, results), results)
		if applyErr == nil {
			return results, nil
		}
		if attempt > 0 || !staleMeta(applyErr) {
			return nil, ses.readFailure(ctx, c, applyErr, nil)
		}
		// The table changed since it was described: describe it again.
		ses, err = c.open(ctx, t, cred, true)
	}
}

// plan checks and converts the writes; the ones that fail get their
// result's Err.
func (ses *session) plan(writes []connector.Write, results []connector.WriteResult) *plan {
	p := &plan{}
	seen := map[string]bool{}
	for i, w := range writes {
		pw, err := ses.check(i, w)
		if err != nil {
			results[i].Err = err
			continue
		}
		var ident string
		switch {
		case pw.op == opCreate && ses.orig != nil:
			ident = "o:" + pw.orig
		case pw.key != nil:
			ident = "k:" + *pw.key
		}
		if ident != "" && seen[ident] {
			p.later = append(p.later, pw)
			continue
		}
		seen[ident] = true
		p.byOp[pw.op] = append(p.byOp[pw.op], pw)
	}
	return p
}

func rejected(detail, format string, args ...any) *connector.Error {
	return &connector.Error{Reason: ReasonRecordRejected, Definite: true, Detail: detail, Message: fmt.Sprintf(format, args...)}
}

// quoteValue shows a value in a message, shortened.
func quoteValue(v string) string {
	if utf8.RuneCountInString(v) > 64 {
		v = string([]rune(v)[:64]) + "…"
	}
	return strconv.Quote(v)
}

func (ses *session) check(i int, w connector.Write) (*planned, *connector.Error) {
	pw := &planned{i: i, op: opUpdate}
	switch {
	case w.ID == "" && w.Archive:
		return nil, rejected("", "an archive names no record")
	case w.ID == "":
		pw.op = opCreate
	case w.Archive:
		pw.op = opArchive
	}
	if pw.op != opCreate {
		k, err := ses.key.toDB(w.ID)
		if err != nil {
			return nil, rejected(ses.key.name, "id %s is not a value of key column %q (%s): %v", quoteValue(w.ID), ses.key.name, ses.key.typ, err)
		}
		pw.key = &k
	}
	if pw.op == opArchive {
		return pw, nil
	}
	pw.vals = make(map[*column]*string, len(w.Props))
	for name, v := range w.Props {
		col := ses.meta.byName[name]
		switch {
		case col == nil:
			return nil, rejected(name, "%s has no column %q", ses.meta.name, name)
		case col == ses.upd || col == ses.del || col == ses.orig || (col == ses.key && pw.op != opCreate):
			continue
		case col.computed || (col.identity == 'a' && col != ses.key):
			return nil, rejected(name, "column %q of %s is generated by the database and cannot be written", name, ses.meta.name)
		}
		if v == "" {
			pw.vals[col] = nil
			continue
		}
		dbv, err := col.toDB(v)
		if err != nil {
			return nil, rejected(name, "column %q (%s) cannot hold %s: %v", name, col.typ, quoteValue(v), err)
		}
		pw.vals[col] = &dbv
	}
	if pw.op == opCreate {
		if k := pw.vals[ses.key]; k != nil {
			pw.key = k
		}
		delete(pw.vals, ses.key)
		if pw.key == nil && ses.key.def == "" {
			if w.IdempotencyKey == "" {
				return nil, rejected(ses.key.name, "key column %q has no default and the create carries no key", ses.key.name)
			}
			k, err := ses.key.toDB(w.IdempotencyKey)
			if err != nil {
				return nil, rejected(ses.key.name, "key column %q (%s) has no default and cannot hold the idempotency key %s: %v; give the column a default or set the %q setting",
					ses.key.name, ses.key.typ, quoteValue(w.IdempotencyKey), err, ConfigOriginColumn)
			}
			pw.key = &k
		}
		if ses.orig != nil {
			pw.orig = w.IdempotencyKey
			if pw.orig == "" {
				// Unique, so the row can be told apart; no replay will
				// find it.
				pw.orig = "hubsync:" + uuid.NewString()
			} else if _, err := ses.orig.toDB(pw.orig); err != nil {
				return nil, rejected(ses.orig.name, "origin column %q cannot hold the idempotency key %s: %v", ses.orig.name, quoteValue(pw.orig), err)
			}
		}
	}
	return pw, nil
}

// apply runs the plan: everything in one batch, then what that could not
// do under savepoints.
func (ses *session) apply(ctx context.Context, p *plan, results []connector.WriteResult) error {
	var stmts []stmt
	for o, ws := range p.byOp {
		if len(ws) > 0 {
			stmts = append(stmts, ses.build(op(o), ws))
		}
	}
	var rest [][]*planned
	err := ses.runMain(ctx, stmts, results)
	switch {
	case err != nil && !rowError(err):
		return err
	case err != nil:
		// The batch was rolled back: every write goes again, in parts.
		for o, ws := range p.byOp {
			if len(ws) > 0 {
				rest = append(rest, p.byOp[o])
			}
		}
		for i := range results {
			if results[i].Err == nil {
				results[i] = connector.WriteResult{Ref: results[i].Ref}
			}
		}
	default:
		// A row inserted by someone else between the update and the
		// insert of an upsert gets no result: it goes again, alone.
		for _, ws := range p.byOp[:opArchive] {
			for _, pw := range ws {
				if results[pw.i].ID == "" {
					rest = append(rest, []*planned{pw})
				}
			}
		}
	}
	for _, pw := range p.later {
		rest = append(rest, []*planned{pw})
	}
	if len(rest) == 0 {
		return nil
	}
	return ses.isolate(ctx, rest, results)
}

func (ses *session) runMain(ctx context.Context, stmts []stmt, results []connector.WriteResult) error {
	batch := &pgx.Batch{}
	for _, st := range stmts {
		batch.Queue(st.sql, st.args...)
	}
	br := ses.entry.pool.SendBatch(ctx, batch)
	defer br.Close()
	for _, st := range stmts {
		if err := st.read(br, results); err != nil {
			return err
		}
	}
	return br.Close()
}

// isolate applies groups of writes in one transaction, each under a
// savepoint; a group the database refuses is halved until the rows it
// refuses are found, and those are rejected.
func (ses *session) isolate(ctx context.Context, groups [][]*planned, results []connector.WriteResult) error {
	conn, err := ses.entry.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var try func(ws []*planned) error
	try = func(ws []*planned) error {
		st := ses.build(ws[0].op, ws)
		batch := &pgx.Batch{}
		batch.Queue("SAVEPOINT hubsync_row")
		batch.Queue(st.sql, st.args...)
		batch.Queue("RELEASE SAVEPOINT hubsync_row")
		br := tx.SendBatch(ctx, batch)
		_, err := br.Exec()
		if err == nil {
			if err = st.read(br, results); err == nil {
				_, err = br.Exec()
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			if ws[0].op == opArchive {
				return nil
			}
			for _, pw := range ws {
				switch {
				case results[pw.i].ID != "":
				case len(ws) == 1:
					results[pw.i].Err = rejected("", "the database did not write the row; a trigger may have skipped it")
				default:
					// Raced with another insert: alone, it sees that row.
					if err := try([]*planned{pw}); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if !rowError(err) {
			return err
		}
		if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT hubsync_row"); rerr != nil {
			return rerr
		}
		for _, pw := range ws {
			results[pw.i] = connector.WriteResult{Ref: results[pw.i].Ref}
		}
		if len(ws) == 1 {
			results[ws[0].i].Err = ses.refused(err)
			return nil
		}
		half := len(ws) / 2
		if err := try(ws[:half]); err != nil {
			return err
		}
		return try(ws[half:])
	}
	for _, ws := range groups {
		if err := try(ws); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// rowError says the database refused the data of some row, not the
// statement or the connection: a bad value, a constraint, a trigger.
func rowError(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code[:2] {
	case "21", "22", "23", "44", "P0":
		// cardinality, data exception, integrity constraint, WITH CHECK
		// OPTION, PL/pgSQL raise
		return true
	}
	return false
}

func (ses *session) refused(err error) *connector.Error {
	var pgErr *pgconn.PgError
	errors.As(err, &pgErr)
	msg := "the database refused the row: " + pgErr.Message
	if pgErr.Detail != "" {
		msg += " (" + pgErr.Detail + ")"
	}
	detail := pgErr.ColumnName
	if detail == "" {
		detail = pgErr.ConstraintName
	}
	return &connector.Error{
		Reason: ReasonRecordRejected, Definite: true, Detail: detail,
		Message: scrub(msg, ses.s.password), Err: scrubbed(err, ses.s.password),
	}
}
