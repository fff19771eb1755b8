package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"runtime"
	"slices"

	"github.com/hubsync/hubsync/internal/store/sqlstore"
)

// Handles is an open store together with its single write connection, for
// the job queue, which writes to the same file through that connection:
// SQLite admits one writer at a time, and a second handle waiting on the
// file lock polls and can be starved by a busy writer until busy_timeout
// fails it, while two users of one handle queue for it in Go.
type Handles struct {
	Store *sqlstore.Store
	// Write is the store's only write connection (MaxOpenConns 1, WAL,
	// busy_timeout, transactions BEGIN IMMEDIATE). Closing Store closes it.
	Write *sql.DB
}

// OpenHandles is Open that also returns the write connection.
func OpenHandles(ctx context.Context, path string) (Handles, error) {
	if err := ownerOnly(path); err != nil {
		return Handles{}, err
	}
	write, read, err := openDBs(path)
	if err != nil {
		return Handles{}, err
	}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		read.Close()
		return Handles{}, err
	}
	return Handles{Store: sqlstore.New(write, read, Dialect), Write: write}, nil
}

// openDBs opens the write connection and the read pool of the file at path.
func openDBs(path string) (write, read *sql.DB, err error) {
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)", "cache_size(-8192)"} {
		pragmas.Add("_pragma", p)
	}
	// A View must not write, as on PostgreSQL, where its transaction is READ
	// ONLY; the driver ignores that option, so readers refuse writes instead.
	readPragmas := maps.Clone(pragmas)
	// Each connection keeps its own page cache, which only grows, and the
	// hub's memory grew with the database through them (64 MiB each made a
	// million-record hub hold 300 MiB): 8 MiB for the writer, 4 MiB for
	// each reader, the operating system's file cache behind them.
	readPragmas["_pragma"] = append(slices.Clone(pragmas["_pragma"]), "query_only(1)", "cache_size(-4096)")
	// Write transactions take the lock at BEGIN, so they queue on busy_timeout
	// instead of failing mid-transaction when another process writes.
	pragmas.Set("_txlock", "immediate")
	// A multi-row insert keeps a statement journal so a unique violation
	// can undo just that statement; on disk it opened and wrote a temporary
	// file per batch. Only the writer keeps it in memory: its statements
	// are bounded batches, while readers' large sorts should still spill.
	pragmas.Add("_pragma", "temp_store(MEMORY)")
	write, err = sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode())
	if err != nil {
		return nil, nil, err
	}
	write.SetMaxOpenConns(1)
	read, err = sql.Open("sqlite", "file:"+path+"?"+readPragmas.Encode())
	if err != nil {
		write.Close()
		return nil, nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	// Idle readers stay open: a closed one takes its prepared hot queries
	// with it, and reopening and preparing again cost more than the query.
	read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	return write, read, nil
}

// ownerOnly makes the database file readable by its owner alone: it holds
// every record and hashed credential. A new file is created 0600 before
// SQLite opens it, since SQLite gives the WAL and shared-memory files it
// makes the database file's mode; files an older hub created with the
// umask's mode (0644) are tightened.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("database file: %w", err)
		case info.Mode().Perm()&0o077 != 0:
			if err := os.Chmod(p, info.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("database file: %w", err)
			}
		}
	}
	return nil
}
