package web

import (
	"fmt"
	"net/url"

	"github.com/hubsync/hubsync/internal/oauth"
)

// settingsPolicyUpdate turns a policy on or off.
func (c *Console) settingsPolicyUpdate(v *visit) error {
	var value bool
	switch v.r.PostFormValue("value") {
	case "true":
		value = true
	case "false":
	default:
		return fmt.Errorf("%w: choose on or off", oauth.ErrInvalid)
	}
	p, err := c.Grants.ChangePolicy(v.r.Context(), v.actor(), v.r.PathValue("name"), value)
	if err != nil {
		return err
	}
	state := "off"
	if p.Value {
		state = "on"
	}
	return v.redirect("/settings?notice=" + url.QueryEscape(p.Name+" is now "+state+".") + "#policies")
}
