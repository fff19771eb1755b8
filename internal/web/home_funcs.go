package web

import "github.com/hubsync/hubsync/internal/store"

// attentionButton is what the next-action block needs: the page (for the
// person's abilities and form token), the connection and the action.
type attentionButton struct {
	Page   Page
	ID     int64
	Action string
}

func init() {
	funcs["attentionAction"] = func(p Page, c store.Connection, action string) attentionButton {
		return attentionButton{Page: p, ID: c.ID, Action: action}
	}
}
