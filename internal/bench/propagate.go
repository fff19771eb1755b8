package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// Propagation is measured from outside, as a user sees it: write on one
// side, then read the other side until it shows the write.

// The kinds of single edit measured.
var editKinds = []string{"create", "update", "archive"}

// end is one side of a connection where edits are made and looked for.
type end interface {
	name() string
	// write makes an edit of kind to the record with email, setting
	// firstname to value (create, update).
	write(ctx context.Context, kind, email, value string) error
	// shows reports whether the side shows the edit.
	shows(ctx context.Context, kind, email, value string) (bool, error)
}

// hubEnd is a hub seen through its CRM API.
type hubEnd struct {
	label string
	h     *hubProc
}

func (e hubEnd) name() string { return e.label }

func (e hubEnd) write(ctx context.Context, kind, email, value string) error {
	c := e.h.crm
	switch kind {
	case "create":
		props := contact("new", 0)
		props["email"], props["firstname"] = email, value
		return c.json(ctx, "POST", "/crm/v3/objects/contacts", map[string]any{"properties": props, "associations": []any{}}, nil)
	case "update":
		return c.json(ctx, "PATCH", "/crm/v3/objects/contacts/"+url.PathEscape(email)+"?idProperty=email",
			map[string]any{"properties": map[string]string{"firstname": value}}, nil)
	default:
		rec, found, err := c.getByEmail(ctx, email)
		if err != nil || !found {
			return errors.Join(err, fmt.Errorf("%s holds no contact %s to archive", e.label, email))
		}
		return c.json(ctx, "DELETE", "/crm/v3/objects/contacts/"+rec.ID, nil, nil)
	}
}

func (e hubEnd) shows(ctx context.Context, kind, email, value string) (bool, error) {
	rec, found, err := e.h.crm.getByEmail(ctx, email, "firstname")
	switch {
	case err != nil:
		return false, err
	case kind == "archive":
		return !found, nil
	default:
		return found && rec.Properties["firstname"] == value, nil
	}
}

// tableEnd is the synced table, written and read with plain SQL.
type tableEnd struct {
	db    *pgx.Conn
	table string
}

func (tableEnd) name() string { return "PostgreSQL table (plain SQL)" }

func (e tableEnd) write(ctx context.Context, kind, email, value string) error {
	var err error
	switch kind {
	case "create":
		_, err = e.db.Exec(ctx, "INSERT INTO "+e.table+" (email, firstname, lastname) VALUES ($1, $2, 'Inserted')", email, value)
	case "update":
		_, err = e.db.Exec(ctx, "UPDATE "+e.table+" SET firstname = $2 WHERE email = $1", email, value)
	default:
		_, err = e.db.Exec(ctx, "UPDATE "+e.table+" SET deleted = true WHERE email = $1", email)
	}
	return err
}

func (e tableEnd) shows(ctx context.Context, kind, email, value string) (bool, error) {
	var first *string
	var deleted bool
	err := e.db.QueryRow(ctx, "SELECT firstname, deleted FROM "+e.table+" WHERE email = $1", email).Scan(&first, &deleted)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return kind == "archive", nil
	case err != nil:
		return false, err
	case kind == "archive":
		return deleted, nil
	default:
		return !deleted && first != nil && *first == value, nil
	}
}

// edit is one write being looked for on the other side.
type edit struct {
	kind, email, value string
	issued             time.Time
	took               time.Duration
	seen               bool
}

// pacing says how long to look for each edit.
type pacing struct {
	samples int
	// next is the longest wait for one edit before the next is made: edits
	// slower than that overlap, so a slow kind cannot stretch the run.
	next time.Duration
	// tail is the longest wait, after the last write, for edits not seen.
	tail time.Duration
}

// propagate makes samples edits of each kind on from, one at a time, and
// measures when to shows each. existing are emails of records both sides
// hold, enough for the updates and archives.
func propagate(ctx context.Context, from, to end, existing []string, tag string, pc pacing) ([]Row, error) {
	if len(existing) < 2*pc.samples {
		return nil, fmt.Errorf("%d synced records, %d needed", len(existing), 2*pc.samples)
	}
	var edits, open []*edit
	look := func() error {
		still := open[:0]
		for _, e := range open {
			ok, err := to.shows(ctx, e.kind, e.email, e.value)
			if err != nil {
				return err
			}
			if ok {
				e.seen, e.took = true, time.Since(e.issued)
			} else {
				still = append(still, e)
			}
		}
		open = still
		return nil
	}
	// wait looks until the latest edit is seen (every edit, when latest
	// is nil) or until passes.
	wait := func(latest *edit, until time.Time) error {
		for time.Now().Before(until) && len(open) > 0 && (latest == nil || !latest.seen) {
			if err := sleep(ctx, 10*time.Millisecond); err != nil {
				return err
			}
			if err := look(); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range pc.samples {
		for _, kind := range editKinds {
			e := &edit{kind: kind, value: fmt.Sprintf("%s-%d", tag, i)}
			switch kind {
			case "create":
				e.email = email("new-"+tag, i)
			case "update":
				e.email = existing[2*i]
			default:
				e.email = existing[2*i+1]
			}
			if err := from.write(ctx, kind, e.email, e.value); err != nil {
				return nil, fmt.Errorf("%s on %s: %w", kind, from.name(), err)
			}
			e.issued = time.Now()
			edits, open = append(edits, e), append(open, e)
			if err := wait(e, e.issued.Add(pc.next)); err != nil {
				return nil, err
			}
		}
	}
	if err := wait(nil, time.Now().Add(pc.tail)); err != nil {
		return nil, err
	}
	for _, e := range open {
		e.took = time.Since(e.issued)
	}
	return propagationRows(from.name()+" → "+to.name(), edits, pc), nil
}

// propagationRows summarises the edits per kind. An edit never seen counts
// with the time it was looked for, a lower bound, and the note says so.
func propagationRows(direction string, edits []*edit, pc pacing) []Row {
	var rows []Row
	for _, kind := range editKinds {
		var took []time.Duration
		var sum time.Duration
		missed := 0
		for _, e := range edits {
			if e.kind != kind {
				continue
			}
			took = append(took, e.took)
			sum += e.took
			if !e.seen {
				missed++
			}
		}
		row := Row{Name: "propagation " + kind + ", " + direction, Records: len(took), Unit: "edits/s",
			P50ms: ms(percentile(took, 50)), P99ms: ms(percentile(took, 99))}
		if sum > 0 {
			row.Rate = float64(len(took)) / sum.Seconds()
		}
		if missed > 0 {
			row.Note = fmt.Sprintf("%d of %d %ss not seen within %s of the last write; their times are lower bounds", missed, len(took), kind, pc.tail)
		}
		rows = append(rows, row)
	}
	return rows
}
