package connection

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// NewConnection describes a connection to create.
type NewConnection struct {
	Integration string // id or name
	Name        string
	AuthMode    string   // user (default) or app
	Owner       string   // connector user (user mode) or accountable person; default the actor
	Maintainer  string   // who looks after it; default the owner
	Note        string   // how the integration is run
	Objects     []string // hub objects it syncs; default all
	Config      map[string]string
	// Credential is the key or database URL of a non-OAuth integration.
	Credential connector.Credential
}

// Started is the result of a create or reconnect: the connection and, for
// OAuth, where the admin's browser must go to approve the hub.
type Started struct {
	Connection   store.Connection
	AuthorizeURL string
	// Advice warns about the connector user of a new user-mode connection
	// (see ConnectorAdvice), as it stood before the connection was made.
	Advice []Advice
}

// Create makes a connection. Key and password credentials are verified
// with a live call before anything is saved. An OAuth connection is saved
// at once, awaiting consent, so that it has an id to follow; the callback
// completes it when the external app sends the admin back.
func (s *Service) Create(ctx context.Context, a audit.Actor, n NewConnection) (Started, error) {
	if strings.TrimSpace(n.Name) == "" {
		return Started{}, invalid("a connection needs a name")
	}
	objects, err := checkObjects(n.Objects)
	if err != nil {
		return Started{}, err
	}
	mode := n.AuthMode
	if mode == "" {
		mode = ModeUser
	}
	if mode != ModeUser && mode != ModeApp {
		return Started{}, invalid("auth mode must be user or app, not %q", mode)
	}
	for k := range n.Config {
		if secretish(k) {
			return Started{}, invalid("setting %q looks like a secret; give secrets only as the connection's credential", k)
		}
	}
	c := store.Connection{Name: n.Name, AuthMode: mode, Note: n.Note, Objects: objects, Config: n.Config}
	var in store.Integration
	err = s.st.View(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		if in, err = findIntegration(ctx, tx, n.Integration); err != nil {
			return err
		}
		c.IntegrationID = in.ID
		if c.OwnerID, err = ownerFor(ctx, tx, a, mode, n.Owner); err != nil {
			return err
		}
		if c.MaintainerID, err = userRef(ctx, tx, n.Maintainer, c.OwnerID); err != nil {
			return err
		}
		if err := namedActive(ctx, tx, c, n); err != nil {
			return err
		}
		return preflight(ctx, tx, c)
	})
	if err != nil {
		return Started{}, err
	}
	var advice []Advice
	if mode == ModeUser {
		if advice, err = s.ConnectorAdvice(ctx, c.OwnerID, objects); err != nil {
			return Started{}, err
		}
	}
	var started Started
	if in.AuthKind == AuthOAuth2 {
		started, err = s.awaitConsent(ctx, a, in, c)
	} else {
		c, err = s.finishWithCredential(ctx, a, in, c, 0, n.Credential)
		started = Started{Connection: c}
	}
	if err != nil {
		return Started{}, err
	}
	started.Advice = advice
	return started, nil
}

// awaitConsent saves a new OAuth connection as needing reconnect, for
// awaiting_consent, together with the attempt that its callback completes.
func (s *Service) awaitConsent(ctx context.Context, a audit.Actor, in store.Integration, c store.Connection) (Started, error) {
	url, at, err := s.attempt(a, in, c, 0)
	if err != nil {
		return Started{}, err
	}
	now := s.clock()
	c.Reason = ReasonAwaitingConsent
	c.Status, c.ReasonMessage, c.NextStep = explain(c.Reason, "")
	c.ReasonSince, c.StatusChangedAt, c.CreatedBy, c.CreatedAt, c.UpdatedAt = now, now, a.ID, now, now
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		if err := preflight(ctx, tx, c); err != nil {
			return err
		}
		var err error
		if c, err = tx.CreateConnection(ctx, c); err != nil {
			return err
		}
		at.ConnectionID = c.ID
		if err := saveAttempt(ctx, tx, at); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, "connection.create", "connection", strconv.FormatInt(c.ID, 10), nil, fields(c))
	})
	return Started{Connection: c, AuthorizeURL: url}, err
}

// checkObjects defaults to every hub object and refuses unknown ones.
func checkObjects(objects []string) ([]string, error) {
	if len(objects) == 0 {
		return slices.Clone(identity.Objects), nil
	}
	out := make([]string, 0, len(objects))
	for _, o := range objects {
		if !slices.Contains(identity.Objects, o) {
			return nil, invalid("unknown object %q; the hub syncs %s", o, strings.Join(identity.Objects, ", "))
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// namedActive refuses a maintainer, or an accountable owner in app mode,
// whom the create names but who has left the hub; the preflight checks a
// connector user.
func namedActive(ctx context.Context, tx store.Tx, c store.Connection, n NewConnection) error {
	if n.Maintainer != "" {
		if err := mustBeActive(ctx, tx, c.MaintainerID, "maintain a connection"); err != nil {
			return err
		}
	}
	if c.AuthMode == ModeApp && n.Owner != "" {
		return mustBeActive(ctx, tx, c.OwnerID, "own a connection")
	}
	return nil
}

// ownerFor picks the connection's owner: the given user, else the actor.
// A user-mode connection needs one, since it runs as them.
func ownerFor(ctx context.Context, tx store.Tx, a audit.Actor, mode, ref string) (int64, error) {
	id, err := userRef(ctx, tx, ref, a.ID)
	if err != nil {
		return 0, err
	}
	if id == 0 && mode == ModeUser {
		return 0, invalid("a user-mode connection runs as a hub user; name one as its owner")
	}
	return id, nil
}

// userRef resolves a user given by id or email to its id; fallback when ref
// is empty.
func userRef(ctx context.Context, tx store.Tx, ref string, fallback int64) (int64, error) {
	if ref == "" {
		return fallback, nil
	}
	var u store.User
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		u, err = tx.User(ctx, id)
	} else {
		u, err = tx.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(ref)))
	}
	if errors.Is(err, store.ErrNotFound) {
		return 0, invalid("no user %q", ref)
	}
	return u.ID, err
}

// preflight refuses a connection whose hub-side identity may not edit the
// objects it syncs. App mode acts as the account, which may edit anything.
func preflight(ctx context.Context, tx store.Tx, c store.Connection) error {
	if c.AuthMode == ModeApp {
		return nil
	}
	u, err := tx.User(ctx, c.OwnerID)
	if err != nil {
		return fmt.Errorf("connector user: %w", err)
	}
	if u.Status != identity.StatusActive {
		return fmt.Errorf("%w: the connector user %s is %s", ErrPreflight, u.Email, u.Status)
	}
	if missing := missingObjects(u, c.Objects); len(missing) > 0 {
		return fmt.Errorf("%w: the connector user %s may not edit %s", ErrPreflight, u.Email, strings.Join(missing, ", "))
	}
	return nil
}

// missingObjects are the objects u may not edit.
func missingObjects(u store.User, objects []string) []string {
	var missing []string
	for _, o := range objects {
		if !identity.Allows(u, o, identity.AccessEdit) {
			missing = append(missing, o)
		}
	}
	return missing
}

// begin stores an OAuth attempt and returns the external authorize URL.
// connID is the connection a reconnect repairs.
func (s *Service) begin(ctx context.Context, a audit.Actor, in store.Integration, c store.Connection, connID int64) (string, error) {
	url, at, err := s.attempt(a, in, c, connID)
	if err != nil {
		return "", err
	}
	return url, s.st.Update(ctx, func(tx store.Tx) error { return saveAttempt(ctx, tx, at) })
}

// attempt prepares an OAuth attempt and its authorize URL. The attempt
// keeps the callback URL the external app was given, which the code
// exchange must repeat, whichever process receives the callback.
func (s *Service) attempt(a audit.Actor, in store.Integration, c store.Connection, connID int64) (string, store.ConnectAttempt, error) {
	var at store.ConnectAttempt
	if s.callbackURL == "" {
		return "", at, invalid("the hub's public URL is unknown, so the external app cannot be told where to send the browser back; " +
			"start hubsync serve (it records its URL, or give it --public-url), or give --public-url here")
	}
	k, err := s.connectors.Get(in.Provider)
	if err != nil {
		return "", at, err
	}
	authz, ok := k.(connector.Authorizer)
	if !ok {
		return "", at, invalid("provider %s cannot authorize through a browser", in.Provider)
	}
	t, err := s.target(in, c)
	if err != nil {
		return "", at, err
	}
	state, verifier := randomHex(32), randomHex(32)
	url, err := authz.AuthCodeURL(t, state, verifier, s.callbackURL)
	if err != nil {
		return "", at, err
	}
	now := s.clock()
	at = store.ConnectAttempt{StateHash: hashState(state), IntegrationID: in.ID, ConnectionID: connID,
		ActorID: a.ID, Spec: spec(c), CreatedAt: now, ExpiresAt: now.Add(s.tuning.AttemptTTL)}
	at.Spec[specCallback] = s.callbackURL
	if at.Verifier, err = s.vault.Seal([]byte(verifier), vault.AttemptAAD(at.StateHash)); err != nil {
		return "", at, err
	}
	return url, at, nil
}

// saveAttempt stores an attempt, dropping those that have expired.
func saveAttempt(ctx context.Context, tx store.Tx, at store.ConnectAttempt) error {
	if err := tx.DeleteConnectAttemptsBefore(ctx, at.CreatedAt); err != nil {
		return err
	}
	return tx.CreateConnectAttempt(ctx, at)
}

// specCallback is the key of an attempt's spec that holds its callback URL.
const specCallback = "callback_url"

func hashState(state string) []byte {
	h := sha256.Sum256([]byte(state))
	return h[:]
}

// spec is what an attempt remembers of the connection it will make.
func spec(c store.Connection) map[string]string {
	m := map[string]string{"name": c.Name, "mode": c.AuthMode, "owner": strconv.FormatInt(c.OwnerID, 10),
		"maintainer": strconv.FormatInt(c.MaintainerID, 10), "note": c.Note, "objects": strings.Join(c.Objects, " ")}
	for k, v := range c.Config {
		m["config."+k] = v
	}
	return m
}

func fromSpec(m map[string]string) store.Connection {
	c := store.Connection{Name: m["name"], AuthMode: m["mode"], Note: m["note"], Objects: strings.Fields(m["objects"])}
	c.OwnerID, _ = strconv.ParseInt(m["owner"], 10, 64)
	c.MaintainerID, _ = strconv.ParseInt(m["maintainer"], 10, 64)
	for k, v := range m {
		if name, ok := strings.CutPrefix(k, "config."); ok {
			if c.Config == nil {
				c.Config = map[string]string{}
			}
			c.Config[name] = v
		}
	}
	return c
}

// Callback finishes an OAuth connect or reconnect: the state must match an
// unexpired attempt, the code is exchanged with its PKCE verifier and the
// new credential is checked with a live call before it is saved. When a
// reconnect's approval is refused, the connection returned carries the id
// of the connection it was for, so the refusal can be shown there.
func (s *Service) Callback(ctx context.Context, state, code, externalError string) (store.Connection, error) {
	var at store.ConnectAttempt
	c, err := s.callback(ctx, state, code, externalError, &at)
	if err != nil {
		return store.Connection{ID: at.ConnectionID}, err
	}
	return c, nil
}

func (s *Service) callback(ctx context.Context, state, code, externalError string, attempt *store.ConnectAttempt) (store.Connection, error) {
	var at store.ConnectAttempt
	err := s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		at, err = tx.TakeConnectAttempt(ctx, hashState(state))
		return err
	})
	if errors.Is(err, store.ErrNotFound) || err == nil && at.ExpiresAt.Before(s.clock()) {
		return store.Connection{}, invalid("this connect link is unknown, used or expired; start the connection again")
	}
	*attempt = at
	if err != nil {
		return store.Connection{}, err
	}
	if externalError != "" {
		return store.Connection{}, invalid("the external app did not approve the connection: %s", externalError)
	}
	verifier, err := s.vault.Unseal(at.Verifier, vault.AttemptAAD(at.StateHash))
	if err != nil {
		return store.Connection{}, err
	}
	var in store.Integration
	var a audit.Actor
	err = s.st.View(ctx, func(tx store.Tx) error {
		if in, err = tx.Integration(ctx, at.IntegrationID); err != nil {
			return err
		}
		a, err = actorOf(ctx, tx, at.ActorID)
		return err
	})
	if err != nil {
		return store.Connection{}, err
	}
	c := fromSpec(at.Spec)
	c.IntegrationID = in.ID
	k, err := s.connectors.Get(in.Provider)
	if err != nil {
		return store.Connection{}, err
	}
	t, err := s.target(in, c)
	if err != nil {
		return store.Connection{}, err
	}
	callback := at.Spec[specCallback]
	if callback == "" {
		callback = s.callbackURL // an attempt made before attempts kept it
	}
	cred, err := k.(connector.Authorizer).Exchange(ctx, t, code, string(verifier), callback)
	if err != nil {
		return store.Connection{}, err
	}
	c, err = s.finishWithCredential(ctx, a, in, c, at.ConnectionID, cred)
	if err != nil {
		s.discard(ctx, a, k, in, at.ConnectionID, cred)
	}
	return c, err
}

// actorOf is the audit actor for a user id; 0 is the command line.
func actorOf(ctx context.Context, tx store.Tx, id int64) (audit.Actor, error) {
	if id == 0 {
		return audit.CLI, nil
	}
	u, err := tx.User(ctx, id)
	return audit.Actor{ID: id, Label: u.Email}, err
}

// finishWithCredential checks cred with a live call, then creates the
// connection (connID 0) or repairs connection connID with it, keeping its
// id, links, cursors and mappings.
func (s *Service) finishWithCredential(ctx context.Context, a audit.Actor, in store.Integration, c store.Connection, connID int64, cred connector.Credential) (store.Connection, error) {
	k, err := s.connectors.Get(in.Provider)
	if err != nil {
		return c, err
	}
	t, err := s.target(in, c)
	if err != nil {
		return c, err
	}
	if v, ok := k.(interface {
		Validate(connector.Target, connector.Credential) error
	}); ok {
		if err := v.Validate(t, cred); err != nil {
			return c, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	who, err := k.Check(ctx, t, cred)
	if err != nil {
		return c, err
	}
	now := s.clock()
	var revoke store.PendingRevoke // of the replaced grant
	var by string                  // what the repair was, for WithRepaired
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := authorize(ctx, tx, a); err != nil {
			return err
		}
		if connID == 0 {
			return s.insert(ctx, tx, a, &c, cred, who, now)
		}
		var err error
		revoke, by, err = s.repair(ctx, tx, a, k, &c, connID, cred, who, now)
		return err
	})
	if err == nil && connID != 0 {
		s.tellRepaired(ctx, connID, by)
		s.revokeNow(ctx, a, revoke)
	}
	return c, err
}

func (s *Service) insert(ctx context.Context, tx store.Tx, a audit.Actor, c *store.Connection, cred connector.Credential, who connector.Identity, now time.Time) error {
	if err := preflight(ctx, tx, *c); err != nil {
		return err
	}
	if err := maintain(ctx, tx, c, 0); err != nil {
		return err
	}
	c.Status, c.StatusChangedAt, c.CreatedBy, c.CreatedAt, c.UpdatedAt = StatusActive, now, a.ID, now, now
	c.Scopes, c.External, c.LastSuccessAt, c.LastCheckAt = who.Scopes, external(who), now, now
	c.NextCheckAt = now.Add(s.tuning.CheckEvery)
	var err error
	if *c, err = tx.CreateConnection(ctx, *c); err != nil {
		return err
	}
	if err := s.storeCredential(c, cred); err != nil {
		return err
	}
	if err := tx.UpdateConnection(ctx, *c); err != nil {
		return err
	}
	return audit.Record(ctx, tx, now, a, "connection.create", "connection", strconv.FormatInt(c.ID, 10), nil, fields(*c))
}

// repair gives connection connID the fresh cred, keeping its id, links,
// cursors and mappings, and queues the grant it replaces for revocation. It
// returns that pending revoke (or a zero one), and by what the connection was
// repaired: the first approval of one awaiting consent, or a reconnect.
func (s *Service) repair(ctx context.Context, tx store.Tx, a audit.Actor, k connector.Connector, c *store.Connection, connID int64, cred connector.Credential, who connector.Identity, now time.Time) (revoke store.PendingRevoke, by string, err error) {
	if c.OwnerID != 0 {
		// Users are locked before connections everywhere.
		if _, err := tx.User(ctx, c.OwnerID); err != nil {
			return revoke, "", err
		}
	}
	old, err := tx.Connection(ctx, connID)
	if err != nil {
		return revoke, "", err
	}
	if old.Status == StatusDisconnected {
		return revoke, "", invalid("connection %d was deleted; create a new one", connID)
	}
	if was, got := old.External["account"], who.Account; was != "" && got != "" && was != got {
		// Its links and cursors belong to the old account's records.
		return revoke, "", invalid("the new authorization is for external account %s, but connection %d syncs with account %s; reconnect to that account, or create a new connection",
			got, connID, was)
	}
	updated := old
	updated.AuthMode, updated.OwnerID = c.AuthMode, c.OwnerID
	if err := preflight(ctx, tx, updated); err != nil {
		return revoke, "", err
	}
	if err := maintain(ctx, tx, &updated, 0); err != nil {
		return revoke, "", err
	}
	revoke, err = s.queueReplaced(ctx, tx, k, old, cred)
	if err != nil {
		return revoke, "", err
	}
	if err := s.storeCredential(&updated, cred); err != nil {
		return revoke, "", err
	}
	updated.Scopes, updated.External, updated.UpdatedAt = who.Scopes, external(who), now
	updated.LastSuccessAt, updated.LastCheckAt, updated.NextCheckAt = now, now, now.Add(s.tuning.CheckEvery)
	updated.TransientFailures, updated.RefreshLeaseUntil, updated.RefreshLeaseOwner = 0, time.Time{}, ""
	action, by := "connection.reconnect", RepairedByReconnect
	if old.Reason == ReasonAwaitingConsent {
		action, by = "connection.consent", RepairedByConsent
	}
	if err := audit.Record(ctx, tx, now, a, action, "connection", strconv.FormatInt(connID, 10), fields(old), fields(updated)); err != nil {
		return revoke, "", err
	}
	if err := bump(ctx, tx, &updated); err != nil {
		return revoke, "", err
	}
	if err := s.setStatus(ctx, tx, &updated, a, "", ""); err != nil {
		return revoke, "", err
	}
	*c = updated
	return revoke, by, nil
}

// queueReplaced queues old's credential for revocation now that cred replaces
// it. One that cannot be opened cannot be revoked either; that must not
// stop the repair.
func (s *Service) queueReplaced(ctx context.Context, tx store.Tx, k connector.Connector, old store.Connection, cred connector.Credential) (store.PendingRevoke, error) {
	replaced, err := s.unseal(old)
	if err != nil {
		s.log.Warn("the replaced credential cannot be opened to revoke it", "connection", old.ID, "error", err)
		return store.PendingRevoke{}, nil
	}
	return s.queueRevoke(ctx, tx, k, store.PendingRevoke{IntegrationID: old.IntegrationID, ConnectionID: old.ID, Cause: store.RevokeReplaced},
		replaced, cred)
}

func external(who connector.Identity) map[string]string {
	m := map[string]string{}
	if who.Account != "" {
		m["account"] = who.Account
	}
	if who.User != "" {
		m["user"] = who.User
	}
	return m
}

// fields is what the audit log keeps of a connection: never its credential.
func fields(c store.Connection) map[string]string {
	m := map[string]string{"name": c.Name, "mode": c.AuthMode, "owner": strconv.FormatInt(c.OwnerID, 10),
		"objects": strings.Join(c.Objects, " "), "status": c.Status}
	if c.MaintainerID != 0 {
		m["maintainer"] = strconv.FormatInt(c.MaintainerID, 10)
	}
	return m
}
