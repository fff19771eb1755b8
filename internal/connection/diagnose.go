package connection

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

// Verdicts of a diagnose step.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
)

// Step is one line of the troubleshooting checklist.
type Step struct {
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	Detail  string `json:"detail"`
	Next    string `json:"next_step,omitempty"`
}

// Diagnosis is the checklist's outcome for one connection.
type Diagnosis struct {
	Connection store.Connection
	Steps      []Step
	// Verdict is the worst step's; Next the first failing step's next step.
	Verdict string
	Next    string
}

// Diagnose runs the troubleshooting checklist on a connection: its status
// and reason, the connector user, their permissions, the external
// credential and the hub's app registration (live calls), the external
// grant where the provider can say, grants the hub stopped using that are
// not revoked yet, and the last run and success. The live calls' answers
// are recorded like any health check, and the status step reads the
// connection after them.
func (s *Service) Diagnose(ctx context.Context, id int64) (Diagnosis, error) {
	var c store.Connection
	var owner store.User
	var r resolved
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		if c, err = tx.Connection(ctx, id); err != nil {
			return err
		}
		if c.OwnerID != 0 {
			if owner, err = tx.User(ctx, c.OwnerID); err != nil {
				return err
			}
		}
		r, err = s.resolve(ctx, tx, c)
		return err
	})
	if err != nil {
		return Diagnosis{}, err
	}
	d := Diagnosis{Steps: []Step{userStep(c, owner), permissionStep(c, owner)}}
	d.Steps = append(d.Steps, s.credentialStep(ctx, c, r), s.grantStep(ctx, c, r), s.revokeStep(ctx, id))
	d.Steps = append(d.Steps, runStep(c, s.clock()))
	if d.Connection, err = s.Get(ctx, id); err != nil {
		return d, err
	}
	d.Steps = append([]Step{statusStep(d.Connection)}, d.Steps...)
	d.Verdict = Pass
	for _, st := range d.Steps {
		if st.Verdict == Fail || st.Verdict == Warn && d.Verdict == Pass {
			if d.Verdict != Fail && st.Next != "" {
				d.Next = st.Next
			}
			d.Verdict = st.Verdict
		}
	}
	if d.Next == "" && d.Connection.NextStep != "" {
		d.Next = d.Connection.NextStep
	}
	return d, nil
}

// statusStep says what the connection's status means, in the catalog's
// words: held until a person acts (needs_reconnect, disconnected) fails,
// syncing in part or paused by a person warns.
func statusStep(c store.Connection) Step {
	st := Step{Name: "status", Verdict: Warn}
	switch {
	case c.Status == StatusActive:
		st.Verdict, st.Detail = Pass, "The connection is active."
		return st
	case c.Status == StatusNeedsReconnect || c.Status == StatusDisconnected:
		st.Verdict = Fail
	}
	if c.Reason == "" {
		st.Detail = "The connection is " + c.Status + "."
		return st
	}
	_, st.Detail, st.Next = explain(c.Reason, c.ReasonDetail)
	return st
}

func userStep(c store.Connection, u store.User) Step {
	st := Step{Name: "connector_user"}
	switch {
	case c.AuthMode == ModeApp && (u.ID == 0 || u.Status == identity.StatusActive):
		st.Verdict, st.Detail = Pass, "App mode: the connection runs as the hub itself."
	case c.AuthMode == ModeApp:
		st.Verdict, st.Detail = Warn, fmt.Sprintf("App mode runs as the hub, but its owner %s is %s, so nobody is accountable for it.", u.Email, u.Status)
		st.Next = "Transfer the connection to an active owner."
	case u.Status == identity.StatusActive:
		st.Verdict, st.Detail = Pass, fmt.Sprintf("The connector user %s exists and is active.", u.Email)
	default:
		_, st.Detail, st.Next = explain(hubVerdict(u, nil))
		st.Verdict = Fail
	}
	return st
}

func permissionStep(c store.Connection, u store.User) Step {
	st := Step{Name: "permissions"}
	if c.AuthMode == ModeApp {
		st.Verdict, st.Detail = Pass, "App mode may edit every object: "+strings.Join(c.Objects, ", ")+"."
		return st
	}
	if u.Status != identity.StatusActive {
		st.Verdict, st.Detail = Warn, fmt.Sprintf("Not checked: the connector user %s is %s.", u.Email, u.Status)
		return st
	}
	if missing := missingObjects(u, c.Objects); len(missing) > 0 {
		_, st.Detail, st.Next = explain(ReasonPermissionsReduced, strings.Join(missing, ", "))
		st.Verdict = Fail
		if len(missing) < len(c.Objects) {
			st.Verdict = Warn // the other objects still sync: the connection is degraded
		}
		return st
	}
	st.Verdict, st.Detail = Pass, fmt.Sprintf("%s may edit %s.", u.Email, strings.Join(c.Objects, ", "))
	return st
}

// credentialStep checks live what the connection would use now: its token
// (refreshed if it has expired) and the hub's app registration, where the
// provider can prove it without changing anything. A usable connection
// records the answers like any health check; a held one is checked with
// what it has, without changing its status.
func (s *Service) credentialStep(ctx context.Context, c store.Connection, r resolved) Step {
	st := Step{Name: "external_credential"}
	if len(c.Credential) == 0 {
		return uncheckedStep(st, c)
	}
	var registered bool
	var err error
	if usable(c) == nil {
		if _, err = s.Check(ctx, c.ID); err == nil {
			registered, err = s.checkRegistration(ctx, c.ID, r)
		}
	} else {
		registered, err = s.probe(ctx, c, r)
	}
	passed := "The external app accepted the credential."
	if registered {
		passed = "The external app accepted the credential and the hub's app registration (client id and secret)."
	}
	return liveStep(st, err, passed)
}

// uncheckedStep is a live step of a connection that holds no credential:
// a deleted one, whose credential was wiped, or one still awaiting consent.
// There is nothing to check, and nothing can sync.
func uncheckedStep(st Step, c store.Connection) Step {
	_, _, st.Next = explain(c.Reason, c.ReasonDetail)
	st.Verdict, st.Detail = Fail, "Not checked: the connection holds no credential yet; nobody has approved it on the external app."
	if c.Status == StatusDisconnected {
		st.Detail = "Not checked: the connection was deleted and its credential wiped."
	}
	return st
}

// liveStep fills a step from a live call's outcome: a definite refusal
// fails, a transient one warns.
func liveStep(st Step, err error, passed string) Step {
	if err == nil {
		st.Verdict, st.Detail = Pass, passed
		return st
	}
	e := connector.AsError(err)
	_, st.Detail, st.Next = explain(e.Reason, errorDetail(e))
	st.Verdict = Fail
	if !e.Definite {
		st.Verdict = Warn
	}
	return st
}

// probe checks a held connection's credential and the hub's app
// registration without recording anything.
func (s *Service) probe(ctx context.Context, c store.Connection, r resolved) (registered bool, err error) {
	cred, err := s.unseal(c)
	if err != nil {
		return false, err
	}
	if _, err = r.impl.Check(ctx, r.target, cred); err != nil {
		return false, err
	}
	return registers(ctx, r, cred)
}

// checkRegistration proves the app registration of usable connection id
// with its current credential, and records a failure like a health check.
func (s *Service) checkRegistration(ctx context.Context, id int64, r resolved) (bool, error) {
	_, cred, err := s.load(ctx, id)
	if err != nil {
		return false, err
	}
	registered, err := registers(ctx, r, cred)
	if err != nil {
		return registered, s.outcome(ctx, id, nil, err)
	}
	return registered, nil
}

// registers proves the hub's app registration where the provider can;
// registered says whether it could.
func registers(ctx context.Context, r resolved, cred connector.Credential) (registered bool, err error) {
	rc, ok := r.impl.(connector.RegistrationChecker)
	if !ok || r.in.AuthKind != AuthOAuth2 {
		return false, nil
	}
	return true, rc.CheckRegistration(ctx, r.target, cred)
}

func (s *Service) grantStep(ctx context.Context, c store.Connection, r resolved) Step {
	st := Step{Name: "external_grant"}
	if len(c.Credential) == 0 {
		return uncheckedStep(st, c)
	}
	gc, ok := r.impl.(connector.GrantChecker)
	if !ok || r.in.AuthKind != AuthOAuth2 {
		st.Verdict, st.Detail = Pass, "Not applicable: the credential is a key or password, not a grant."
		return st
	}
	cur, err := s.Get(ctx, c.ID)
	if err == nil {
		var cred connector.Credential
		if cred, err = s.unseal(cur); err == nil {
			err = gc.CheckGrant(ctx, r.target, cred)
		}
	}
	return liveStep(st, err, "The external app still lists the hub's grant.")
}

func runStep(c store.Connection, now time.Time) Step {
	st := Step{Name: "last_run"}
	success := "never"
	if !c.LastSuccessAt.IsZero() {
		success = c.LastSuccessAt.Format(time.RFC3339) + " (" + now.Sub(c.LastSuccessAt).Round(time.Second).String() + " ago)"
	}
	switch {
	case c.LastRunAt.IsZero():
		st.Verdict, st.Detail = Warn, "No sync run yet; last successful call "+success+"."
		st.Next = "Start a sync run once object syncs are configured."
	case !c.LastErrorAt.IsZero() && c.LastErrorAt.After(c.LastSuccessAt):
		st.Verdict, st.Detail = Warn, "The last call failed ("+c.LastError+"); last success "+success+"."
	default:
		st.Verdict, st.Detail = Pass, "Last run "+c.LastRunAt.Format(time.RFC3339)+"; last success "+success+"."
	}
	return st
}
