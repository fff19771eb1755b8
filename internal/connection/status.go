package connection

import (
	"context"
	"strconv"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/store"
)

// Broken reports whether a status keeps a connection from syncing because
// something is wrong (as opposed to a person's choice).
func Broken(status string) bool {
	return status == StatusNeedsReconnect || status == StatusDegraded
}

// setStatus moves c to the status its reason code implies, or to active when
// code is empty, and writes c. It records the change in the audit log and
// tells subscribers of a break or a recovery, all in tx. The first-seen time
// stays when the same reason is seen again.
func (s *Service) setStatus(ctx context.Context, tx store.Tx, c *store.Connection, a audit.Actor, code, detail string) error {
	now := s.clock()
	before := statusFields(*c)
	if code == "" {
		if c.Status == StatusActive {
			return tx.UpdateConnection(ctx, *c)
		}
		c.Status, c.Reason, c.ReasonMessage, c.ReasonDetail, c.NextStep = StatusActive, "", "", "", ""
		c.ReasonSince, c.StatusChangedAt, c.RecoveredAt = time.Time{}, now, now
	} else {
		status, sentence, next := explain(code, detail)
		if c.Status == status && c.Reason == code && c.ReasonDetail == detail {
			return tx.UpdateConnection(ctx, *c)
		}
		if c.Reason != code {
			c.ReasonSince = now
		}
		if c.Status != status {
			c.StatusChangedAt = now
		}
		c.Status, c.Reason, c.ReasonMessage, c.ReasonDetail, c.NextStep = status, code, sentence, detail, next
	}
	c.UpdatedAt = now
	if err := tx.UpdateConnection(ctx, *c); err != nil {
		return err
	}
	if err := bump(ctx, tx, c); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, now, a, "connection.status", "connection", strconv.FormatInt(c.ID, 10), before, statusFields(*c)); err != nil {
		return err
	}
	if before["reason"] == ReasonAwaitingConsent {
		return nil // a first approval is no recovery
	}
	return s.announce(ctx, tx, before["status"], *c)
}

// announce tells subscribers when a connection breaks or recovers. Moves
// between two broken statuses, and a person's pause, are not news.
func (s *Service) announce(ctx context.Context, tx store.Tx, was string, c store.Connection) error {
	if s.notify == nil {
		return nil
	}
	kind := ""
	switch {
	case Broken(c.Status) && !Broken(was):
		kind = audit.EventBroken
	case c.Status == StatusActive && Broken(was):
		kind = audit.EventRecovered
	default:
		return nil
	}
	return s.notify.Enqueue(ctx, tx, audit.Event{Kind: kind, ConnectionID: c.ID, ConnectionName: c.Name,
		Status: c.Status, Reason: c.Reason, Message: c.ReasonMessage, NextStep: c.NextStep, At: s.clock()})
}

func statusFields(c store.Connection) map[string]string {
	m := map[string]string{"status": c.Status}
	if c.Reason != "" {
		m["reason"] = c.Reason
	}
	if c.ReasonDetail != "" {
		m["detail"] = c.ReasonDetail
	}
	return m
}
