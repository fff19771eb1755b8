package connection

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Choosing a connector user. A user-mode connection runs as its connector
// user, so it lasts as long as that person's account and permissions do:
// the advice is a stable admin-level account that may edit every object the
// connection syncs and does not already carry many connections, whose loss
// would break them all at once. Pages, the API and the command line show
// the same advice; only the missing permission is also refused at create
// (preflight).

// ManyConnections is how many connections one connector user carries
// before the advice warns that one departure would break them all.
const ManyConnections = 5

// Advice codes.
const (
	AdviceMember           = "member"
	AdviceMissesPermission = "lacks_permission"
	AdviceManyConnections  = "many_connections"
	AdviceInactive         = "inactive"
)

// Advice is one warning about a connector user, with a sentence for people.
type Advice struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ConnectorChoice is a user who may be chosen as connector, with the advice
// about them.
type ConnectorChoice struct {
	User store.User
	// Connections are the live user-mode connections they carry already.
	Connections int
	Advice      []Advice
	// Recommended: an active admin-level account without warnings, with
	// the fewest connections among those.
	Recommended bool
}

// ConnectorAdvice warns about choosing userID as the connector user of a
// connection syncing objects (all hub objects when empty): a member, a
// user who may not edit some of the objects, one already carrying
// ManyConnections or more, one not active. None means a good choice.
func (s *Service) ConnectorAdvice(ctx context.Context, userID int64, objects []string) ([]Advice, error) {
	var out []Advice
	err := s.st.View(ctx, func(tx store.Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		conns, err := tx.Connections(ctx)
		if err != nil {
			return err
		}
		out = adviceFor(u, carried(conns)[u.ID], objects)
		return nil
	})
	return out, err
}

// ConnectorChoices lists the active users who may be chosen as connector
// of a connection syncing objects, each with its advice, recommended ones
// first.
func (s *Service) ConnectorChoices(ctx context.Context, objects []string) ([]ConnectorChoice, error) {
	var out []ConnectorChoice
	err := s.st.View(ctx, func(tx store.Tx) error {
		users, err := tx.Users(ctx)
		if err != nil {
			return err
		}
		conns, err := tx.Connections(ctx)
		if err != nil {
			return err
		}
		n := carried(conns)
		for _, u := range users {
			if u.Status != identity.StatusActive {
				continue
			}
			out = append(out, ConnectorChoice{User: u, Connections: n[u.ID], Advice: adviceFor(u, n[u.ID], objects)})
		}
		return nil
	})
	best := -1
	for i, c := range out {
		if len(c.Advice) == 0 && (best < 0 || c.Connections < out[best].Connections) {
			best = i
		}
	}
	if best >= 0 {
		out[best].Recommended = true
	}
	slices.SortStableFunc(out, func(a, b ConnectorChoice) int {
		switch {
		case a.Recommended != b.Recommended:
			if a.Recommended {
				return -1
			}
			return 1
		case len(a.Advice) != len(b.Advice):
			return len(a.Advice) - len(b.Advice)
		}
		return strings.Compare(a.User.Email, b.User.Email)
	})
	return out, err
}

// carried counts the live user-mode connections of each connector user.
func carried(conns []store.Connection) map[int64]int {
	n := map[int64]int{}
	for _, c := range conns {
		if c.AuthMode == ModeUser && c.Status != StatusDisconnected && c.OwnerID != 0 {
			n[c.OwnerID]++
		}
	}
	return n
}

func adviceFor(u store.User, connections int, objects []string) []Advice {
	if len(objects) == 0 {
		objects = identity.Objects
	}
	var out []Advice
	if u.Status != identity.StatusActive {
		out = append(out, Advice{AdviceInactive, fmt.Sprintf("%s is %s: a connection cannot run as them", u.Email, u.Status)})
	}
	if u.Role == identity.RoleMember {
		out = append(out, Advice{AdviceMember, fmt.Sprintf("%s is a member, not an admin: a connection running as them breaks "+
			"when their access changes; choose a stable admin-level account", u.Email)})
	}
	if missing := missingObjects(u, objects); len(missing) > 0 {
		out = append(out, Advice{AdviceMissesPermission, fmt.Sprintf("%s may not edit %s, so the connection cannot sync it; "+
			"give them edit permission or choose another user", u.Email, strings.Join(missing, ", "))})
	}
	if connections >= ManyConnections {
		out = append(out, Advice{AdviceManyConnections, fmt.Sprintf("%s already carries %d connections: if they leave, all of them "+
			"break at once; spread connections over a few admin accounts", u.Email, connections)})
	}
	return out
}
