package connection

import (
	"context"
	"fmt"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Degradation is a connection a change of its connector user would put in
// another status, and why, in the catalog's words.
type Degradation struct {
	Connection store.Connection
	// Role is how the connection depends on the user (see Dependent).
	Role     string
	Status   string
	Reason   string
	Sentence string
	NextStep string
}

// UserChangePreview is what changing a user's role or permissions would do,
// worked out without saving anything.
type UserChangePreview struct {
	User, Updated store.User
	// Reduced lists what the user could do before and no longer could:
	// objects whose access goes down, and integrations.manage.
	Reduced []string
	// Degraded are the connections the change would break.
	Degraded []Degradation
}

// PreviewUserChange evaluates ch against the connections user ref (id or
// email) runs, with the same verdict the identity hook applies when the
// change is saved, and saves nothing.
func (s *Service) PreviewUserChange(ctx context.Context, ref string, ch identity.UserChanges) (UserChangePreview, error) {
	var p UserChangePreview
	err := s.st.View(ctx, func(tx store.Tx) error {
		id, err := userRef(ctx, tx, ref, 0)
		if err != nil {
			return err
		}
		if p.User, err = tx.User(ctx, id); err != nil {
			return err
		}
		if p.Updated, err = ch.Apply(p.User); err != nil {
			return err
		}
		p.Reduced = identity.Reduced(p.User, p.Updated)
		deps, err := dependents(ctx, tx, id)
		if err != nil {
			return err
		}
		p.Degraded = degradations(p.User, p.Updated, deps)
		return nil
	})
	return p, err
}

// degradations are the dependents whose verdict old → updated worsens. A
// connection held for a reconnect stays held whatever the change (as
// applyIdentity leaves it), so it is not listed.
func degradations(old, updated store.User, deps []Dependent) []Degradation {
	var out []Degradation
	for _, d := range deps {
		c := d.Connection
		if c.AuthMode != ModeUser || c.OwnerID != old.ID || reconnectOnly(c) {
			continue
		}
		before, _ := hubVerdict(old, c.Objects)
		code, detail := hubVerdict(updated, c.Objects)
		if code == "" || code == before {
			continue
		}
		status, sentence, next := explain(code, detail)
		out = append(out, Degradation{Connection: c, Role: d.Role, Status: status, Reason: code, Sentence: sentence, NextStep: next})
	}
	return out
}

// UserChangeRefusal says why actor may not change target into updated (a
// new user: target is zero), or nil when they may: identity's rule, in the
// words the API and the console both show.
func UserChangeRefusal(actor, target, updated store.User) error {
	if identity.MayUpdate(actor, target, updated) {
		return nil
	}
	if !identity.CanManageUsers(actor) {
		return fmt.Errorf("%w: %s is not an admin, and only admins change users", ErrForbidden, actor.Email)
	}
	return fmt.Errorf("%w: only a super admin may change a super admin or make one", ErrForbidden)
}
