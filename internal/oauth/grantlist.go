package oauth

import (
	"context"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// Grants lets admins see and end the grants users gave apps.
type Grants struct {
	store store.Store
	now   func() time.Time
}

// NewGrants returns the grant manager; now is its clock, nil for time.Now.
func NewGrants(st store.Store, now func() time.Time) *Grants {
	if now == nil {
		now = time.Now
	}
	return &Grants{store: st, now: now}
}

// GrantView is a grant as admins see it.
type GrantView struct {
	store.Grant
	App  store.App
	User store.User
	// Active is false once the grant has ended; Ended says why.
	Active bool
	Ended  string
}

// List returns grants, of one user or app when the id is not zero.
func (g *Grants) List(ctx context.Context, userID, appID int64) ([]GrantView, error) {
	var out []GrantView
	err := g.store.View(ctx, func(tx store.Tx) error {
		grants, err := tx.Grants(ctx, userID, appID)
		if err != nil {
			return err
		}
		revoke, err := RevokeOnCredentialsChange(ctx, tx)
		if err != nil {
			return err
		}
		for _, gr := range grants {
			v, err := view(ctx, tx, gr, revoke, g.now())
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

func view(ctx context.Context, tx store.Tx, gr store.Grant, revokeOnChange bool, now time.Time) (GrantView, error) {
	v := GrantView{Grant: gr}
	var err error
	if v.App, err = tx.App(ctx, gr.AppID); err != nil {
		v.App = store.App{ID: gr.AppID, Name: "(deleted app)"}
	}
	if v.User, err = tx.User(ctx, gr.UserID); err != nil {
		return v, err
	}
	ended, needsPolicy := grantState(gr, v.User)
	if needsPolicy && revokeOnChange {
		ended = credentialsEnded(v.User)
	}
	v.Active = ended == nil
	if ended != nil {
		v.Ended = ended.Reason
	} else if why := refreshLapse(v.App, gr, now); why != "" {
		// Its access tokens may last a little longer, but the app can no
		// longer refresh: the grant is over unless the user authorizes again.
		v.Active, v.Ended = false, why
	}
	return v, nil
}

// Revoke ends a grant and every token issued from it.
func (g *Grants) Revoke(ctx context.Context, id, reason string) error {
	return g.store.Update(ctx, func(tx store.Tx) error {
		gr, err := tx.Grant(ctx, id)
		if err != nil {
			return err
		}
		return revokeGrant(ctx, tx, gr, reason, g.now())
	})
}

// Impact lists the live grants that removing a user would break.
func (g *Grants) Impact(ctx context.Context, userID int64) ([]GrantView, error) {
	all, err := g.List(ctx, userID, 0)
	var live []GrantView
	for _, v := range all {
		if v.Active {
			live = append(live, v)
		}
	}
	return live, err
}
