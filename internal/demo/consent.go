package demo

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hubsync/hubsync/internal/formclient"
)

// consent approves a connection as a person would: signs in on the
// external app as email, allows the consent page, then follows the
// redirect back to the hub's callback. It returns the hub's final answer.
func consent(ctx context.Context, authURL, email, password string) (formclient.Page, error) {
	b := formclient.New()
	p, err := b.Allow(ctx, authURL, email, password)
	if err != nil {
		return p, err
	}
	back, err := b.Do(ctx, http.MethodGet, p.Location, nil)
	if err != nil {
		return back, err
	}
	if back.Status >= 400 {
		return back, fmt.Errorf("the hub's callback answered %d: %s", back.Status, formclient.Brief(back.Body))
	}
	return back, nil
}
