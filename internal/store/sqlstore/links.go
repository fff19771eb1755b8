package sqlstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// The engine looks links up and writes them a batch of up to 500 records at
// a time, so each call is one statement, not one per link; only the rare link
// whose external id changes takes one of its own.

const linkColumns = `sync_id, hub_id, external_id, snapshot, hub_archived, app_archived, updated_at`

func scanLink(row interface{ Scan(...any) error }) (store.Link, error) {
	var l store.Link
	var snapshot string
	var hubArchived, appArchived int
	var updated int64
	if err := row.Scan(&l.SyncID, &l.HubID, &l.ExternalID, &snapshot, &hubArchived, &appArchived, &updated); err != nil {
		return l, err
	}
	l.HubArchived, l.AppArchived, l.UpdatedAt = hubArchived != 0, appArchived != 0, fromMS(updated)
	var err error
	if l.Snapshot, err = decodeProps([]byte(snapshot)); err != nil {
		err = fmt.Errorf("link %d/%d snapshot: %w", l.SyncID, l.HubID, err)
	}
	return l, err
}

// snapshotJSON is json.Marshal(snapshot): a snapshot is a flat object of
// strings like a record's properties, written a step's worth at a time.
func snapshotJSON(snapshot map[string]string) string {
	if snapshot == nil {
		return "null"
	}
	return string(propsJSON(snapshot))
}

// maxListArgs bounds an IN list, well under every backend's limit on bound
// parameters; a longer list takes several statements.
const maxListArgs = 1000

// oneOf is the condition that column is one of values, with its arguments.
func oneOf[T int64 | string](d Dialect, column string, values []T) (string, []any) {
	if d.Arrays {
		return column + " = ANY(?)", []any{values}
	}
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return column + " IN (" + placeholders(len(values)) + ")", args
}

// The lookups take no row locks inside Update: one connection never runs
// twice at once, so a sync's links have one writer, and PutLinks replaces
// rather than reads.
func lookupLinks[T int64 | string](ctx context.Context, t *tx, syncID int64, column string, ids []T) ([]store.Link, error) {
	var out []store.Link
	for len(ids) > 0 {
		chunk := ids
		if !t.d.Arrays {
			chunk = ids[:min(len(ids), maxListArgs)]
		}
		ids = ids[len(chunk):]
		cond, args := oneOf(t.d, column, chunk)
		rows, err := t.query(ctx, `SELECT `+linkColumns+` FROM sync_links WHERE sync_id = ? AND `+cond,
			append([]any{syncID}, args...)...)
		if err != nil {
			return nil, err
		}
		links, err := scanAll(rows, scanLink)
		if err != nil {
			return nil, err
		}
		out = append(out, links...)
	}
	return out, nil
}

func (t *tx) LinksByHubID(ctx context.Context, syncID int64, hubIDs []int64) ([]store.Link, error) {
	return lookupLinks(ctx, t, syncID, "hub_id", hubIDs)
}

func (t *tx) LinksByExternalID(ctx context.Context, syncID int64, externalIDs []string) ([]store.Link, error) {
	return lookupLinks(ctx, t, syncID, "external_id", externalIDs)
}

// PutLinks upserts the links without setting the external id of a link that
// keeps its own: SQLite rewrites the entries of every index whose column an
// update sets, changed or not, and a batch's entries in the external id
// index lie scattered, so setting it made replacing links five times slower
// than inserting them. The few links whose external id changes move after,
// after, in one statement per chunk when no move takes an external id a
// link of the call holds, else one statement each, in the order given: an
// external id another link of the same call gives up is then taken in a
// later call, not this one.
func (t *tx) PutLinks(ctx context.Context, links []store.Link) error {
	links = lastPerHubID(links)
	held := make(map[[2]int64]string, len(links)) // external ids after the upsert
	for chunk := range slices.Chunk(links, rowsPerInsert) {
		args := make([]any, 0, 7*len(chunk))
		for _, l := range chunk {
			args = append(args, l.SyncID, l.HubID, l.ExternalID, snapshotJSON(l.Snapshot), b2i(l.HubArchived),
				b2i(l.AppArchived), ms(l.UpdatedAt))
		}
		if err := t.upsertLinks(ctx, len(chunk), args, held); err != nil {
			return t.uniqueErr(err, "link external id")
		}
	}
	var moves []store.Link
	for _, l := range links {
		if held[[2]int64{l.SyncID, l.HubID}] != l.ExternalID {
			moves = append(moves, l)
		}
	}
	if !swapsFree(moves, held) {
		return t.moveOneByOne(ctx, moves)
	}
	_, err := t.moveLinks(ctx, moves)
	return err
}

// swapsFree reports whether the moves may go in any order, so in one
// statement: none takes an external id a link of the call holds or another
// move takes. A database checks uniqueness row by row, so only then can
// one statement not fail where the same moves one by one would succeed.
func swapsFree(moves []store.Link, held map[[2]int64]string) bool {
	taken := make(map[[2]string]bool, len(held)+len(moves))
	for key, id := range held {
		taken[[2]string{strconv.FormatInt(key[0], 10), id}] = true
	}
	for _, l := range moves {
		key := [2]string{strconv.FormatInt(l.SyncID, 10), l.ExternalID}
		if taken[key] {
			return false
		}
		taken[key] = true
	}
	return true
}

// moveOneByOne sets the external ids one statement each, in order.
func (t *tx) moveOneByOne(ctx context.Context, moves []store.Link) error {
	if len(moves) == 0 {
		return nil
	}
	stmt, err := t.tx.PrepareContext(ctx, t.q(`UPDATE sync_links SET external_id = ? WHERE sync_id = ? AND hub_id = ?`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, l := range moves {
		if _, err := stmt.ExecContext(ctx, l.ExternalID, l.SyncID, l.HubID); err != nil {
			return t.uniqueErr(err, fmt.Sprintf("link %d/%d external id", l.SyncID, l.HubID))
		}
	}
	return nil
}

// moveLinks sets the external ids of the links that exist, a chunk per
// statement, and says how many it found.
func (t *tx) moveLinks(ctx context.Context, links []store.Link) (int, error) {
	found := 0
	for chunk := range slices.Chunk(links, rowsPerInsert) {
		args := make([]any, 0, 3*len(chunk))
		for _, l := range chunk {
			args = append(args, l.SyncID, l.HubID, l.ExternalID)
		}
		res, err := t.cachedExec(ctx, moveLinksSQL(len(chunk)), args...)
		if err != nil {
			return found, t.uniqueErr(err, "link external id")
		}
		n, err := res.RowsAffected()
		if err != nil {
			return found, err
		}
		found += int(n)
	}
	return found, nil
}

// SetLinkExternalIDs is the second write of the links of creates: their
// snapshot was staged before the create, and only the external id the
// create returned is new.
func (t *tx) SetLinkExternalIDs(ctx context.Context, links []store.Link) (int, error) {
	return t.moveLinks(ctx, lastPerHubID(links))
}

// upsertLinks runs one multi-row upsert of n links and notes the external
// id each holds after it.
func (t *tx) upsertLinks(ctx context.Context, n int, args []any, held map[[2]int64]string) error {
	rows, err := t.cachedQuery(ctx, upsertLinksSQL(n), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key [2]int64
		var externalID string
		if err := rows.Scan(&key[0], &key[1], &externalID); err != nil {
			return err
		}
		held[key] = externalID
	}
	return rows.Err()
}

// moveLinksSQL sets the external ids of n links. The first row's casts
// type the columns for PostgreSQL.
func moveLinksSQL(n int) string {
	return `WITH moved (sync_id, hub_id, external_id) AS (VALUES (CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT))` +
		strings.Repeat(", (?, ?, ?)", n-1) + `)
			UPDATE sync_links SET external_id = moved.external_id FROM moved
			WHERE sync_links.sync_id = moved.sync_id AND sync_links.hub_id = moved.hub_id`
}

// upsertLinksSQL upserts n links, returning the external id each holds.
func upsertLinksSQL(n int) string {
	return `INSERT INTO sync_links (` + linkColumns + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ") + `
		ON CONFLICT (sync_id, hub_id) DO UPDATE SET snapshot = excluded.snapshot,
		hub_archived = excluded.hub_archived, app_archived = excluded.app_archived, updated_at = excluded.updated_at
		RETURNING sync_id, hub_id, external_id`
}

// linkWrites are the link statements of a full step, which SQLite's write
// connection prepares once: a step of creates stages its links and then
// sets their external ids, each one statement of rowsPerInsert rows, and
// parsing those long texts again on every step was about a tenth of the
// engine's CPU in an initial sync to PostgreSQL.
func linkWrites() []string {
	return []string{moveLinksSQL(rowsPerInsert), upsertLinksSQL(rowsPerInsert)}
}

// lastPerHubID drops every link a later one of the same sync and hub id
// replaces: one upsert statement may not touch a row twice.
func lastPerHubID(links []store.Link) []store.Link {
	out := make([]store.Link, 0, len(links))
	at := make(map[[2]int64]int, len(links))
	for _, l := range links {
		key := [2]int64{l.SyncID, l.HubID}
		if i, ok := at[key]; ok {
			out[i] = l
			continue
		}
		at[key] = len(out)
		out = append(out, l)
	}
	return out
}

func (t *tx) CountLinks(ctx context.Context, syncID int64) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT count(*) FROM sync_links WHERE sync_id = ?`, syncID).Scan(&n)
	return n, err
}

// ForgetSnapshotFields reads a sync's links a page at a time, in hub id
// order, and rewrites with PutLinks's upserts only those whose snapshot
// holds one of the keys.
func (t *tx) ForgetSnapshotFields(ctx context.Context, syncID int64, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	after := int64(math.MinInt64)
	for {
		rows, err := t.query(ctx, `SELECT `+linkColumns+` FROM sync_links WHERE sync_id = ? AND hub_id > ?
			ORDER BY hub_id LIMIT `+strconv.Itoa(2*rowsPerInsert), syncID, after)
		if err != nil {
			return err
		}
		links, err := scanAll(rows, scanLink)
		if err != nil || len(links) == 0 {
			return err
		}
		after = links[len(links)-1].HubID
		changed := links[:0]
		for _, l := range links {
			n := len(l.Snapshot)
			for _, k := range keys {
				delete(l.Snapshot, k)
			}
			if len(l.Snapshot) != n {
				changed = append(changed, l)
			}
		}
		if err := t.PutLinks(ctx, changed); err != nil {
			return err
		}
	}
}
