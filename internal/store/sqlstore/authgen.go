package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/hubsync/hubsync/internal/store"
)

// The auth generation is a counter in meta that moves, in the transaction
// that makes it, with every change that could make a token check answer
// differently: a token retired, a grant revoked or its scopes changed, a
// user's standing or permissions changed, a private app rotated, rescoped
// or deleted, an app changed or deleted. A process that caches checked
// tokens reads it (one primary-key read) to know its cache still holds,
// whichever process or replica made the change. Writes that change nothing
// a check reads (the last-used times noted on each minute of use, a
// refresh's time) leave it alone, so they do not empty every cache.
const authGenerationKey = "auth_generation"

// bumpAuth moves the generation. The row is made on first use, so stores
// of any age need no migration.
const bumpAuth = `INSERT INTO meta (key, value) VALUES ('` + authGenerationKey + `', '1')
	ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)`

// bumpAuthUnless is bumpAuth unless the row the condition finds is there,
// that is, unless the update leaves every column a check reads as it was.
const bumpAuthUnless = `INSERT INTO meta (key, value) SELECT '` + authGenerationKey + `', '1'
	WHERE NOT EXISTS (%s)
	ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)`

var qAuthGeneration = hot(`SELECT value FROM meta WHERE key = '` + authGenerationKey + `'`)

// AuthGeneration reads the auth generation outside any transaction: it is
// the one read a cached token check makes, so it skips BEGIN and COMMIT.
// On PostgreSQL it is answered from memory while the watch is trusted
// (authwatch.go), since there the read is a round trip to the server.
func (s *Store) AuthGeneration(ctx context.Context) (int64, error) {
	if g, ok := s.auth.current(); ok {
		return g, nil
	}
	var v string
	var err error
	if st := s.readStmts.m[qAuthGeneration]; st != nil {
		err = st.QueryRowContext(ctx).Scan(&v)
	} else {
		err = s.read.QueryRowContext(ctx, rebind(s.d, qAuthGeneration)).Scan(&v)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// AuthWatched reports whether token checks are answered from memory now:
// always false but on PostgreSQL, where a watch keeps the generation.
func (s *Store) AuthWatched() bool { return s.auth != nil && s.auth.trusted() }

func (t *tx) bumpAuthGeneration(ctx context.Context) error {
	_, err := t.exec(ctx, bumpAuth)
	t.authMoved = t.authMoved || err == nil
	return err
}

// Bumps for updates that may change nothing a check reads: the condition
// finds the row as the update would leave it.
var (
	bumpAuthPrivateApp = fmt.Sprintf(bumpAuthUnless, `SELECT 1 FROM private_apps WHERE id = ? AND scopes = ?
		AND token_hash = ? AND previous_token_hash IS NOT DISTINCT FROM ? AND previous_expires_at = ?`)
	bumpAuthGrant = fmt.Sprintf(bumpAuthUnless, `SELECT 1 FROM oauth_grants WHERE id = ? AND scopes = ?
		AND credentials_epoch = ? AND revoked_at = ?`)
)

// bumpAuthFor bumps when a retired token is of a kind checks cache: codes,
// PKCE records and refresh tokens are read afresh on every use.
func (t *tx) bumpAuthFor(ctx context.Context, kind string) error {
	if kind != store.TokenAccess {
		return nil
	}
	return t.bumpAuthGeneration(ctx)
}

// bumpAuthGenerationUnless runs one of the conditional bumps above.
func (t *tx) bumpAuthGenerationUnless(ctx context.Context, bump string, args ...any) error {
	r, err := t.exec(ctx, bump, args...)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil || n > 0 {
		t.authMoved = true // unknown counts as moved: waiting is the safe side
	}
	return nil
}
