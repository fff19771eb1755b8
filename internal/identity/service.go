package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

// Service applies the identity rules to the store.
type Service struct {
	store    store.Store
	now      func() time.Time
	argon    Argon2Params
	gate     *HashGate
	throttle ThrottlePolicy
	log      *slog.Logger
	hooks    []EventHook
	// decoy stands in for the password hash of an email no active user
	// has: checking it costs what a real check costs, and never matches.
	decoy phc
}

// Option configures a Service.
type Option func(*Service)

// WithArgon2 sets the cost of new password hashes.
func WithArgon2(p Argon2Params) Option { return func(s *Service) { s.argon = p } }

// WithHashGate sets the gate password hashes run through; by default one
// sized from the process's memory limit.
func WithHashGate(g *HashGate) Option { return func(s *Service) { s.gate = g } }

// WithThrottle sets how failed sign-ins slow down the next ones.
func WithThrottle(p ThrottlePolicy) Option { return func(s *Service) { s.throttle = p } }

// WithClock sets the service's clock.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets where sign-in lockouts are logged.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// EventHook runs inside the transaction that changes a user, after the
// change and its events are written, so that whatever depends on the user
// (connections run as them, say) changes with it or not at all.
type EventHook func(ctx context.Context, tx store.Tx, u store.User, events []store.IdentityEvent) error

// WithEventHook adds a hook run on every change that records events.
func WithEventHook(h EventHook) Option { return func(s *Service) { s.hooks = append(s.hooks, h) } }

// NewService returns a Service over st.
func NewService(st store.Store, opts ...Option) *Service {
	s := &Service{store: st, now: time.Now, argon: DefaultArgon2, throttle: DefaultThrottle,
		log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	if s.gate == nil {
		s.gate = DefaultHashGate()
	}
	s.decoy = phc{params: s.argon, salt: make([]byte, saltLen), want: make([]byte, keyLen)}
	rand.Read(s.decoy.salt)
	rand.Read(s.decoy.want)
	return s
}

// InitParams describe a new hub.
type InitParams struct {
	AccountName   string
	AdminEmail    string
	AdminPassword string
}

// Init creates the hub's account and its first super admin. A database holds
// one hub, so a second Init fails with ErrAlreadyInitialized.
func (s *Service) Init(ctx context.Context, p InitParams) (store.Account, store.User, error) {
	email, err := normalizeEmail(p.AdminEmail)
	if err != nil {
		return store.Account{}, store.User{}, err
	}
	if err := checkPasswordRules(p.AdminPassword); err != nil {
		return store.Account{}, store.User{}, err
	}
	hash, err := hashPassword(ctx, s.gate, p.AdminPassword, s.argon)
	if err != nil {
		return store.Account{}, store.User{}, err
	}
	hubID, err := rand.Int(rand.Reader, big.NewInt(90_000_000))
	if err != nil {
		return store.Account{}, store.User{}, err
	}
	now := s.now().UTC()
	acct := store.Account{HubID: 10_000_000 + hubID.Int64(), Name: p.AccountName, CreatedAt: now}
	if acct.Name == "" {
		acct.Name = "hubsync"
	}
	admin := store.User{Email: email, Role: RoleSuperAdmin, Status: StatusActive,
		Permissions: defaultPermissions(RoleSuperAdmin), IntegrationsManage: true,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Account(ctx); err == nil {
			return ErrAlreadyInitialized
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.CreateAccount(ctx, acct); err != nil {
			if errors.Is(err, store.ErrAlreadyExists) {
				return ErrAlreadyInitialized
			}
			return err
		}
		admin, err = s.insertUser(ctx, tx, admin)
		return err
	})
	return acct, admin, err
}

// Account returns the hub's account.
func (s *Service) Account(ctx context.Context) (store.Account, error) {
	var a store.Account
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		a, err = tx.Account(ctx)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return a, ErrNotInitialized
	}
	return a, err
}

// NewUser describes a user to create. Empty Permissions and a nil
// IntegrationsManage take the role's defaults.
type NewUser struct {
	Email              string
	Name               string
	Role               string
	Password           string // optional: a user without one cannot sign in yet
	Permissions        map[string]string
	IntegrationsManage *bool
}

// CreateUser adds an active user.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (store.User, error) {
	email, err := normalizeEmail(n.Email)
	if err != nil {
		return store.User{}, err
	}
	if n.Role == "" {
		n.Role = RoleMember
	}
	if err := checkRole(n.Role); err != nil {
		return store.User{}, err
	}
	perms, err := mergePermissions(defaultPermissions(n.Role), n.Permissions)
	if err != nil {
		return store.User{}, err
	}
	manage := n.Role != RoleMember
	if n.IntegrationsManage != nil {
		manage = *n.IntegrationsManage
	}
	now := s.now().UTC()
	u := store.User{Email: email, Name: n.Name, Role: n.Role, Status: StatusActive,
		Permissions: perms, IntegrationsManage: manage, CreatedAt: now, UpdatedAt: now}
	if n.Password != "" {
		if err := checkPasswordRules(n.Password); err != nil {
			return store.User{}, err
		}
		if u.PasswordHash, err = hashPassword(ctx, s.gate, n.Password, s.argon); err != nil {
			return store.User{}, err
		}
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Account(ctx); errors.Is(err, store.ErrNotFound) {
			return ErrNotInitialized
		}
		u, err = s.insertUser(ctx, tx, u)
		return err
	})
	return u, err
}

func (s *Service) insertUser(ctx context.Context, tx store.Tx, u store.User) (store.User, error) {
	u, err := tx.CreateUser(ctx, u)
	if errors.Is(err, store.ErrAlreadyExists) {
		return u, invalid("a user with email %s already exists", u.Email)
	}
	if err != nil {
		return u, err
	}
	_, err = tx.AppendIdentityEvent(ctx, store.IdentityEvent{UserID: u.ID, Kind: EventCreated,
		Detail: map[string]string{"role": u.Role}, At: u.CreatedAt})
	return u, err
}

// UserChanges are the fields to change; nil and empty mean leave as is.
type UserChanges struct {
	Name               *string
	Role               *string
	Permissions        map[string]string // object → none | view | edit
	IntegrationsManage *bool
	Password           *string
}

// UpdateUser changes a user found by id or email.
func (s *Service) UpdateUser(ctx context.Context, ref string, c UserChanges) (store.User, error) {
	var hash string
	if c.Password != nil {
		if err := checkPasswordRules(*c.Password); err != nil {
			return store.User{}, err
		}
		var err error
		if hash, err = hashPassword(ctx, s.gate, *c.Password, s.argon); err != nil {
			return store.User{}, err
		}
	}
	if c.Role != nil {
		if err := checkRole(*c.Role); err != nil {
			return store.User{}, err
		}
	}
	return s.update(ctx, ref, func(u store.User) (store.User, error) {
		u, err := c.Apply(u)
		if err != nil {
			return u, err
		}
		if c.Password != nil {
			u.PasswordHash = hash
			u.CredentialsEpoch++
		}
		return u, nil
	})
}

// Apply returns u with the name, role and permission changes made, without
// saving anything (the password is UpdateUser's, which hashes it), so a
// preview shows what an update would do.
func (c UserChanges) Apply(u store.User) (store.User, error) {
	if u.Status == StatusRemoved {
		return u, ErrUserRemoved
	}
	if c.Role != nil {
		if err := checkRole(*c.Role); err != nil {
			return u, err
		}
	}
	if c.Name != nil {
		u.Name = *c.Name
	}
	if c.Role != nil {
		u.Role = *c.Role
	}
	if c.IntegrationsManage != nil {
		u.IntegrationsManage = *c.IntegrationsManage
	}
	perms, err := mergePermissions(u.Permissions, c.Permissions)
	if err != nil {
		return u, err
	}
	u.Permissions = perms
	return u, nil
}

// Deactivate suspends a user; their access stops until reactivated.
func (s *Service) Deactivate(ctx context.Context, ref string) (store.User, error) {
	return s.setStatus(ctx, ref, StatusDeactivated)
}

// Reactivate restores a deactivated user.
func (s *Service) Reactivate(ctx context.Context, ref string) (store.User, error) {
	return s.setStatus(ctx, ref, StatusActive)
}

// Remove removes a user for good. The row stays, so history keeps its actor.
func (s *Service) Remove(ctx context.Context, ref string) (store.User, error) {
	return s.setStatus(ctx, ref, StatusRemoved)
}

func (s *Service) setStatus(ctx context.Context, ref, status string) (store.User, error) {
	return s.update(ctx, ref, StatusChange(status))
}

// update runs change on the user in one transaction, refuses to leave the hub
// without an active super admin, and records the events the change implies.
func (s *Service) update(ctx context.Context, ref string, change func(store.User) (store.User, error)) (store.User, error) {
	var updated store.User
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		updated, err = s.UpdateTx(ctx, tx, ref, change)
		return err
	})
	return updated, err
}

// UpdateTx is update inside the caller's transaction, for changes that must
// commit together with others (a removal and the transfer of what the user
// owned).
func (s *Service) UpdateTx(ctx context.Context, tx store.Tx, ref string, change func(store.User) (store.User, error)) (store.User, error) {
	old, err := lookup(ctx, tx, ref)
	if err != nil {
		return store.User{}, err
	}
	updated, err := change(old)
	if err != nil {
		return store.User{}, err
	}
	if err := keepSuperAdmin(ctx, tx, old, updated); err != nil {
		return store.User{}, err
	}
	events := diff(old, updated)
	if len(events) == 0 && old.Name == updated.Name {
		return updated, nil
	}
	updated.UpdatedAt = s.now().UTC()
	if err := tx.UpdateUser(ctx, updated); err != nil {
		return store.User{}, err
	}
	for i, e := range events {
		e.UserID, e.At = updated.ID, updated.UpdatedAt
		if events[i], err = tx.AppendIdentityEvent(ctx, e); err != nil {
			return store.User{}, err
		}
	}
	for _, h := range s.hooks {
		if err := h(ctx, tx, updated, events); err != nil {
			return store.User{}, err
		}
	}
	return updated, nil
}

// StatusChange returns the change that gives a user a status, for UpdateTx.
func StatusChange(status string) func(store.User) (store.User, error) {
	return func(u store.User) (store.User, error) {
		if u.Status == StatusRemoved {
			return u, ErrUserRemoved
		}
		u.Status = status
		return u, nil
	}
}

func keepSuperAdmin(ctx context.Context, tx store.Tx, old, updated store.User) error {
	isLive := func(u store.User) bool { return u.Role == RoleSuperAdmin && u.Status == StatusActive }
	if !isLive(old) || isLive(updated) {
		return nil
	}
	users, err := tx.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.ID != old.ID && isLive(u) {
			return nil
		}
	}
	return ErrLastSuperAdmin
}

// diff returns the identity events that turn old into updated.
func diff(old, updated store.User) []store.IdentityEvent {
	var events []store.IdentityEvent
	if old.Status != updated.Status {
		kind := map[string]string{StatusDeactivated: EventDeactivated, StatusRemoved: EventRemoved, StatusActive: EventReactivated}[updated.Status]
		events = append(events, store.IdentityEvent{Kind: kind, Detail: map[string]string{"from": old.Status}})
	}
	if old.CredentialsEpoch != updated.CredentialsEpoch {
		events = append(events, store.IdentityEvent{Kind: EventPasswordChanged,
			Detail: map[string]string{"credentials_epoch": strconv.FormatInt(updated.CredentialsEpoch, 10)}})
	}
	if permissionsChanged(old, updated) {
		events = append(events, store.IdentityEvent{Kind: EventPermissionsChanged, Detail: map[string]string{
			"role":    updated.Role,
			"reduced": strings.Join(Reduced(old, updated), ","),
			"access":  accessSummary(updated),
		}})
	}
	return events
}

// accessSummary spells a user's grants as "contacts=edit,companies=view,…".
func accessSummary(u store.User) string {
	parts := make([]string, 0, len(Objects)+1)
	for _, o := range Objects {
		parts = append(parts, o+"="+granted(u, o))
	}
	if grantsIntegrations(u) {
		parts = append(parts, "integrations.manage")
	}
	return strings.Join(parts, ",")
}

// User finds a user by numeric id or by email.
func (s *Service) User(ctx context.Context, ref string) (store.User, error) {
	var u store.User
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		u, err = lookup(ctx, tx, ref)
		return err
	})
	return u, err
}

func lookup(ctx context.Context, tx store.Tx, ref string) (store.User, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return tx.User(ctx, id)
	}
	email, err := normalizeEmail(ref)
	if err != nil {
		return store.User{}, fmt.Errorf("user %q: %w", ref, store.ErrNotFound)
	}
	return tx.UserByEmail(ctx, email)
}

// Users lists every user, removed ones included.
func (s *Service) Users(ctx context.Context) ([]store.User, error) {
	var users []store.User
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		users, err = tx.Users(ctx)
		return err
	})
	return users, err
}

// Authenticate checks a sign-in and returns the active user. Every attempt
// counts against its account and address first (see ThrottlePolicy); a
// locked one fails at once with a *RetryError wrapping ErrSignInLocked, and
// one that finds too many passwords being checked with one wrapping ErrBusy.
func (s *Service) Authenticate(ctx context.Context, a Attempt) (store.User, error) {
	now := s.now()
	keys := s.throttleKeys(a)
	charged, err := s.charge(ctx, keys, now)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.checkCredentials(ctx, a.Email, a.Password)
	switch {
	case err == nil:
		err = s.refund(ctx, keys, true)
	case errors.Is(err, ErrBadCredentials):
		err = errors.Join(err, s.noteLockout(ctx, a, charged, now))
	default: // the password was not checked
		err = errors.Join(err, s.refund(ctx, keys, false))
	}
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// checkCredentials checks an email and password and returns the active user.
// Only an email names the account, never a user id as User takes: failures
// are counted per email, and another name for the same user would have a
// count of its own, free of the account's lock.
func (s *Service) checkCredentials(ctx context.Context, email, password string) (store.User, error) {
	var u store.User
	addr, err := normalizeEmail(email)
	if err == nil {
		err = s.store.View(ctx, func(tx store.Tx) (err error) {
			u, err = tx.UserByEmail(ctx, addr)
			return err
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return store.User{}, err
		}
	}
	var ok bool
	if err != nil || u.PasswordHash == "" || u.Status != StatusActive {
		// Spend what a real check spends, so response times do not reveal
		// which emails belong to users.
		u = store.User{}
		ok, err = verify(ctx, s.gate, s.decoy, password)
	} else {
		ok, err = checkPassword(ctx, s.gate, u.PasswordHash, password)
	}
	if err != nil {
		return store.User{}, err
	}
	if !ok || u.ID == 0 {
		return store.User{}, ErrBadCredentials
	}
	return u, nil
}

// Events returns identity events after a sequence number, in order.
func (s *Service) Events(ctx context.Context, afterSeq int64, limit int) ([]store.IdentityEvent, error) {
	var events []store.IdentityEvent
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		events, err = tx.IdentityEvents(ctx, afterSeq, limit)
		return err
	})
	return events, err
}
