// Package audit owns the audit log — who did what to which connection, app or
// webhook, and when — and the signed webhooks that tell receivers a
// connection broke or recovered. It does not decide what is audited or when
// a connection breaks: the domain packages call Record and Enqueue inside
// their own transactions, so an action and its trace commit together.
package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// Errors, checked with errors.Is.
var (
	ErrInvalid = errors.New("invalid")
	// ErrSecretField refuses an audit entry whose before/after data looks
	// like it holds a secret: the log is read by every admin and kept forever.
	ErrSecretField = errors.New("audit data must not hold a secret")
)

// Actor is who did something.
type Actor struct {
	ID    int64  // the user's id; 0 for the CLI and the system
	Label string // the user's email, "cli" or "system"
}

// Actors that are not users.
var (
	System = Actor{Label: "system"}
	CLI    = Actor{Label: "cli"}
)

// secretWords are parts of a field name that suggest a secret. The list errs
// on the side of refusing: renaming a harmless field is cheap, a leaked
// credential in an append-only log is not.
var secretWords = []string{
	"secret", "token", "password", "passwd", "passphrase", "credential",
	"key", "authorization", "cookie", "verifier",
}

// secretPrefixes start values that are secrets whatever the field is called.
var secretPrefixes = []string{secretPrefix, "pat-hs1-", "adm-hs1-"}

// Record appends one audit event inside the caller's transaction. It refuses
// data whose keys look like secrets (see secretWords) or whose values are
// secrets this hub issues.
func Record(ctx context.Context, tx store.Tx, at time.Time, a Actor, action, targetType, targetID string, before, after map[string]string) error {
	switch {
	case a.Label == "":
		return fmt.Errorf("%w: an audit event needs an actor", ErrInvalid)
	case action == "":
		return fmt.Errorf("%w: an audit event needs an action", ErrInvalid)
	case targetType == "":
		return fmt.Errorf("%w: an audit event needs a target type", ErrInvalid)
	}
	if err := checkNoSecrets(before); err != nil {
		return err
	}
	if err := checkNoSecrets(after); err != nil {
		return err
	}
	if at.IsZero() {
		at = time.Now()
	}
	_, err := tx.AppendAudit(ctx, store.AuditEvent{
		At: at.UTC(), ActorID: a.ID, Actor: a.Label, Action: action,
		TargetType: targetType, TargetID: targetID, Before: before, After: after,
	})
	if err != nil {
		return fmt.Errorf("append audit event %s: %w", action, err)
	}
	return nil
}

func checkNoSecrets(m map[string]string) error {
	for k, v := range m {
		lk := strings.ToLower(k)
		for _, w := range secretWords {
			if strings.Contains(lk, w) {
				return fmt.Errorf("%w: field %q", ErrSecretField, k)
			}
		}
		for _, p := range secretPrefixes {
			if strings.HasPrefix(strings.TrimSpace(v), p) {
				return fmt.Errorf("%w: the value of %q", ErrSecretField, k)
			}
		}
	}
	return nil
}

// Log reads the audit log.
type Log struct {
	store store.Store
}

// NewLog returns the audit log reader.
func NewLog(st store.Store) *Log { return &Log{store: st} }

// List limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// List returns audit events newest first, filtered by q (target, actor,
// action or kind of action, time range). A limit of zero or less means
// DefaultListLimit; larger than MaxListLimit is cut to it. Page with
// q.BeforeSeq set to the last event's Seq.
func (l *Log) List(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	switch {
	case q.Limit <= 0:
		q.Limit = DefaultListLimit
	case q.Limit > MaxListLimit:
		q.Limit = MaxListLimit
	}
	switch {
	case q.BeforeSeq < 0:
		return nil, fmt.Errorf("%w: before must not be negative", ErrInvalid)
	case !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until):
		return nil, fmt.Errorf("%w: the time range must end after it starts (since %s, until %s)", ErrInvalid,
			q.Since.UTC().Format(time.RFC3339), q.Until.UTC().Format(time.RFC3339))
	}
	var events []store.AuditEvent
	err := l.store.View(ctx, func(tx store.Tx) (err error) {
		events, err = tx.AuditEvents(ctx, q)
		return err
	})
	return events, err
}
