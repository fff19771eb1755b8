package connection

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Dependent is a connection that depends on a user, and how.
type Dependent struct {
	Connection store.Connection
	// Role is "connector" (it runs as the user), "owner" (app mode, the
	// user is accountable) or "maintainer".
	Role string
}

// Dependents lists the live connections a user runs, owns or maintains.
func (s *Service) Dependents(ctx context.Context, userID int64) ([]Dependent, error) {
	var out []Dependent
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = dependents(ctx, tx, userID)
		return err
	})
	return out, err
}

func dependents(ctx context.Context, tx store.Tx, userID int64) ([]Dependent, error) {
	conns, err := tx.Connections(ctx)
	if err != nil {
		return nil, err
	}
	var out []Dependent
	for _, c := range conns {
		if c.Status == StatusDisconnected {
			continue
		}
		switch {
		case c.OwnerID == userID && c.AuthMode == ModeUser:
			out = append(out, Dependent{c, "connector"})
		case c.OwnerID == userID:
			out = append(out, Dependent{c, "owner"})
		case c.MaintainerID == userID:
			out = append(out, Dependent{c, "maintainer"})
		}
	}
	return out, nil
}

// Offboarding says how to remove or deactivate a user.
type Offboarding struct {
	User       string // id or email
	Status     string // identity.StatusRemoved or identity.StatusDeactivated
	TransferTo string // user who takes over the connections, in the same transaction
	Force      bool   // go ahead and let the connections break
}

// Offboard removes or deactivates a user. A user who runs, owns or
// maintains connections needs TransferTo (their connections move to that
// user, who must pass the preflight, in the same transaction as the
// removal) or Force (the connections break and say why).
func (s *Service) Offboard(ctx context.Context, a audit.Actor, ids *identity.Service, o Offboarding) (store.User, []Dependent, error) {
	if o.Status != identity.StatusRemoved && o.Status != identity.StatusDeactivated {
		return store.User{}, nil, invalid("offboarding removes or deactivates, not %q", o.Status)
	}
	var u store.User
	var deps []Dependent
	err := s.st.Update(ctx, func(tx store.Tx) error {
		old, err := tx.User(ctx, mustUserID(ctx, tx, o.User))
		if err != nil {
			return err
		}
		if err := mayOffboard(ctx, tx, a, old); err != nil {
			return err
		}
		if deps, err = dependents(ctx, tx, old.ID); err != nil {
			return err
		}
		if err := s.handOver(ctx, tx, a, old, deps, o); err != nil {
			return err
		}
		u, err = ids.UpdateTx(ctx, tx, o.User, identity.StatusChange(o.Status))
		return err
	})
	return u, deps, err
}

// mayOffboard refuses a person who may not remove or deactivate u. The
// command line runs with the operator's access to the data directory, so
// it may.
func mayOffboard(ctx context.Context, tx store.Tx, a audit.Actor, u store.User) error {
	if a.ID == 0 && (a.Label == audit.CLI.Label || a.Label == audit.System.Label) {
		return nil
	}
	actor, err := tx.User(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: unknown user", ErrForbidden)
	}
	if err != nil {
		return err
	}
	return OffboardRefusal(actor, u)
}

// OffboardRefusal says why actor may not remove or deactivate u, or nil
// when they may: identity's rule, in the words the API and the console
// both show.
func OffboardRefusal(actor, u store.User) error {
	switch {
	case identity.MayOffboard(actor, u):
		return nil
	case u.Role == identity.RoleSuperAdmin && identity.CanManageUsers(actor):
		return fmt.Errorf("%w: only a super admin may remove or deactivate a super admin", ErrForbidden)
	}
	return fmt.Errorf("%w: %s is not an admin, and only admins remove or deactivate users", ErrForbidden, actor.Email)
}

func mustUserID(ctx context.Context, tx store.Tx, ref string) int64 {
	id, err := userRef(ctx, tx, ref, 0)
	if err != nil {
		return -1 // tx.User then says the user does not exist
	}
	return id
}

func (s *Service) handOver(ctx context.Context, tx store.Tx, a audit.Actor, old store.User, deps []Dependent, o Offboarding) error {
	if len(deps) == 0 || o.Force && o.TransferTo == "" {
		return nil
	}
	if o.TransferTo == "" {
		names := make([]string, len(deps))
		for i, d := range deps {
			names[i] = fmt.Sprintf("%d %q (%s)", d.Connection.ID, d.Connection.Name, d.Role)
		}
		return fmt.Errorf("%w: %s has %d connection(s): %s; give a user to transfer them to, or force",
			ErrHasDependents, old.Email, len(deps), strings.Join(names, ", "))
	}
	if err := authorize(ctx, tx, a); err != nil {
		return err
	}
	target, err := userRef(ctx, tx, o.TransferTo, 0)
	if err != nil {
		return err
	}
	if target == old.ID {
		return invalid("%s cannot take over their own connections; name another user", old.Email)
	}
	if err := mustBeActive(ctx, tx, target, "take over the connections of "+old.Email); err != nil {
		return err
	}
	for _, d := range deps {
		if d.Role != "maintainer" {
			if _, err := s.transferTx(ctx, tx, a, d.Connection.ID, TransferTo{Owner: o.TransferTo, AppMode: d.Connection.AuthMode == ModeApp}); err != nil {
				return fmt.Errorf("transfer connection %d: %w", d.Connection.ID, err)
			}
		}
		if err := s.handMaintenance(ctx, tx, a, d.Connection.ID, old.ID, target); err != nil {
			return err
		}
	}
	return nil
}

// handMaintenance makes target the maintainer of a connection the departing
// user maintained.
func (s *Service) handMaintenance(ctx context.Context, tx store.Tx, a audit.Actor, id, departing, target int64) error {
	c, err := tx.Connection(ctx, id)
	if err != nil || c.MaintainerID != departing {
		return err
	}
	old := c
	c.MaintainerID, c.UpdatedAt = target, s.clock()
	if err := tx.UpdateConnection(ctx, c); err != nil {
		return err
	}
	return audit.Record(ctx, tx, c.UpdatedAt, a, "connection.maintainer", "connection", strconv.FormatInt(id, 10), fields(old), fields(c))
}
