package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

// AppendAudit takes no feed lock, unlike the change feed: the log is read
// newest first by people, not followed by a cursor that must not skip.
func (t *tx) AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error) {
	err := t.queryRow(ctx, `INSERT INTO audit_events (at, actor_id, actor, action, target_type, target_id,
		before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		ms(e.At), e.ActorID, e.Actor, e.Action, e.TargetType, e.TargetID, jsonText(e.Before),
		jsonText(e.After)).Scan(&e.Seq)
	e.At = stored(e.At)
	return e, err
}

// defaultLimit is the page size when a caller gives none.
const defaultLimit = 100

func (t *tx) AuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	var where []string
	var args []any
	if q.TargetType != "" {
		where, args = append(where, "target_type = ?"), append(args, q.TargetType)
	}
	if q.TargetID != "" {
		where, args = append(where, "target_id = ?"), append(args, q.TargetID)
	}
	if q.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, q.Actor)
	}
	if prefix, ok := strings.CutSuffix(q.Action, "."); ok {
		// A prefix, not LIKE: action names are plain, but LIKE would read
		// a "_" or "%" in one as a pattern.
		where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(prefix)+1, prefix+".")
	} else if q.Action != "" {
		where, args = append(where, "action = ?"), append(args, q.Action)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, ms(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, ms(q.Until))
	}
	if q.BeforeSeq != 0 {
		where, args = append(where, "seq < ?"), append(args, q.BeforeSeq)
	}
	query := `SELECT seq, at, actor_id, actor, action, target_type, target_id, before_json, after_json
		FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	rows, err := t.query(ctx, query+" ORDER BY seq DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var at int64
		var before, after string
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Actor, &e.Action, &e.TargetType, &e.TargetID,
			&before, &after); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		if e.Before, err = parseMap(before, fmt.Sprintf("audit event %d before", e.Seq)); err != nil {
			return nil, err
		}
		if e.After, err = parseMap(after, fmt.Sprintf("audit event %d after", e.Seq)); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
