package identity_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/store"
)

var cheap = identity.WithArgon2(identity.Argon2Params{Time: 1, MemoryKiB: 1024, Threads: 1})

type testBundle struct {
	store store.Store
	admin store.User
}

// setup returns an initialised identity service on each backend.
func setup(t *testing.T, backend string) (*identity.Service, testBundle) {
	t.Helper()
	ctx := context.Background()
	st := hubtest.OpenStore(t, hubtest.Backend(backend))
	svc := identity.NewService(st, cheap)
	_, admin, err := svc.Init(ctx, identity.InitParams{AdminEmail: "Root@Example.com", AdminPassword: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	return svc, testBundle{store: st, admin: admin}
}

func forEachBackend(t *testing.T, fn func(t *testing.T, svc *identity.Service, b testBundle)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			svc, b := setup(t, backend)
			fn(t, svc, b)
		})
	}
}

func eventKinds(t *testing.T, svc *identity.Service, userID int64) []string {
	t.Helper()
	events, err := svc.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		if e.UserID == userID {
			kinds = append(kinds, e.Kind)
		}
	}
	return kinds
}

func TestInit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *identity.Service, b testBundle) {
		ctx := context.Background()
		acct, err := svc.Account(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if acct.HubID < 10_000_000 || acct.HubID > 99_999_999 {
			t.Errorf("hub id %d is not an 8-digit number", acct.HubID)
		}
		if b.admin.Email != "root@example.com" || b.admin.Role != identity.RoleSuperAdmin || b.admin.Status != identity.StatusActive {
			t.Errorf("first admin = %+v", b.admin)
		}
		_, _, err = svc.Init(ctx, identity.InitParams{AdminEmail: "other@example.com", AdminPassword: "long enough"})
		if !errors.Is(err, identity.ErrAlreadyInitialized) {
			t.Fatalf("second init: got %v, want ErrAlreadyInitialized", err)
		}
		users, _ := svc.Users(ctx)
		if len(users) != 1 {
			t.Errorf("second init left %d users, want 1", len(users))
		}
		if !strings.HasPrefix(b.admin.PasswordHash, "$argon2id$v=19$") || strings.Contains(b.admin.PasswordHash, "long enough") {
			t.Errorf("password hash %q is not an argon2id hash", b.admin.PasswordHash)
		}
	})
}

func TestCreateUserDefaultsAndChecks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *identity.Service, b testBundle) {
		ctx := context.Background()
		member, err := svc.CreateUser(ctx, identity.NewUser{Email: "m@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"contacts": "view", "companies": "view", "deals": "view"}
		if diff := cmp.Diff(want, member.Permissions); diff != "" || member.Role != identity.RoleMember || member.IntegrationsManage {
			t.Errorf("member defaults wrong: role %s manage %v perms (-want +got):\n%s", member.Role, member.IntegrationsManage, diff)
		}
		admin, err := svc.CreateUser(ctx, identity.NewUser{Email: "a@example.com", Role: identity.RoleAdmin,
			Permissions: map[string]string{"deals": "none"}})
		if err != nil {
			t.Fatal(err)
		}
		if admin.Permissions["contacts"] != "edit" || admin.Permissions["deals"] != "none" || !admin.IntegrationsManage {
			t.Errorf("admin with deals=none: %+v", admin)
		}
		bad := []identity.NewUser{
			{Email: "not an email"},
			{Email: "x@example.com", Role: "owner"},
			{Email: "x@example.com", Permissions: map[string]string{"tickets": "view"}},
			{Email: "x@example.com", Permissions: map[string]string{"deals": "write"}},
			{Email: "x@example.com", Password: "short"},
			{Email: "M@example.com"}, // taken, compared without case
		}
		for _, n := range bad {
			if _, err := svc.CreateUser(ctx, n); !errors.Is(err, identity.ErrInvalid) {
				t.Errorf("CreateUser(%+v) = %v, want ErrInvalid", n, err)
			}
		}
	})
}

func TestLifecycleEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *identity.Service, b testBundle) {
		ctx := context.Background()
		u, err := svc.CreateUser(ctx, identity.NewUser{Email: "dana@example.com", Role: identity.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		ref := "dana@example.com"
		steps := []func() (store.User, error){
			func() (store.User, error) { return svc.Deactivate(ctx, ref) },
			func() (store.User, error) { return svc.Reactivate(ctx, ref) },
			func() (store.User, error) {
				pw := "new password"
				return svc.UpdateUser(ctx, ref, identity.UserChanges{Password: &pw})
			},
			func() (store.User, error) {
				return svc.UpdateUser(ctx, ref, identity.UserChanges{Permissions: map[string]string{"deals": "view"}})
			},
			func() (store.User, error) { return svc.Remove(ctx, ref) },
		}
		for i, step := range steps {
			if _, err := step(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		want := []string{identity.EventCreated, identity.EventDeactivated, identity.EventReactivated,
			identity.EventPasswordChanged, identity.EventPermissionsChanged, identity.EventRemoved}
		if diff := cmp.Diff(want, eventKinds(t, svc, u.ID)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		got, err := svc.User(ctx, "2")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != identity.StatusRemoved || got.CredentialsEpoch != 1 {
			t.Errorf("after the steps: status %s epoch %d", got.Status, got.CredentialsEpoch)
		}
		if _, err := svc.Reactivate(ctx, "2"); !errors.Is(err, identity.ErrUserRemoved) {
			t.Errorf("reactivating a removed user: %v, want ErrUserRemoved", err)
		}
		if _, err := svc.CreateUser(ctx, identity.NewUser{Email: ref}); err != nil {
			t.Errorf("a removed user's email should be free again: %v", err)
		}
	})
}

func TestPermissionsChangedNamesWhatWasReduced(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *identity.Service, b testBundle) {
		ctx := context.Background()
		u, _ := svc.CreateUser(ctx, identity.NewUser{Email: "e@example.com", Role: identity.RoleAdmin})
		no := false
		if _, err := svc.UpdateUser(ctx, "e@example.com", identity.UserChanges{
			Permissions: map[string]string{"deals": "view", "contacts": "edit"}, IntegrationsManage: &no}); err != nil {
			t.Fatal(err)
		}
		events, _ := svc.Events(ctx, 0, 100)
		last := events[len(events)-1]
		if last.UserID != u.ID || last.Kind != identity.EventPermissionsChanged {
			t.Fatalf("last event %+v", last)
		}
		if last.Detail["reduced"] != "deals,integrations.manage" {
			t.Errorf("reduced = %q, want deals,integrations.manage", last.Detail["reduced"])
		}
		// Widening only: an event, but nothing reduced.
		if _, err := svc.UpdateUser(ctx, "e@example.com", identity.UserChanges{Permissions: map[string]string{"deals": "edit"}}); err != nil {
			t.Fatal(err)
		}
		events, _ = svc.Events(ctx, last.Seq, 100)
		if len(events) != 1 || events[0].Detail["reduced"] != "" {
			t.Errorf("widening gave %+v", events)
		}
		// A change that changes nothing records nothing.
		if _, err := svc.UpdateUser(ctx, "e@example.com", identity.UserChanges{Permissions: map[string]string{"deals": "edit"}}); err != nil {
			t.Fatal(err)
		}
		if more, _ := svc.Events(ctx, events[0].Seq, 100); len(more) != 0 {
			t.Errorf("no-op update recorded %+v", more)
		}
	})
}

func TestLastSuperAdminStays(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *identity.Service, b testBundle) {
		ctx := context.Background()
		member := identity.RoleMember
		attempts := map[string]func() error{
			"deactivate": func() error { _, err := svc.Deactivate(ctx, "root@example.com"); return err },
			"remove":     func() error { _, err := svc.Remove(ctx, "root@example.com"); return err },
			"demote": func() error {
				_, err := svc.UpdateUser(ctx, "root@example.com", identity.UserChanges{Role: &member})
				return err
			},
		}
		for name, try := range attempts {
			if err := try(); !errors.Is(err, identity.ErrLastSuperAdmin) {
				t.Errorf("%s the only super admin: %v, want ErrLastSuperAdmin", name, err)
			}
		}
		if kinds := eventKinds(t, svc, b.admin.ID); len(kinds) != 1 {
			t.Errorf("refused changes recorded events: %v", kinds)
		}
		if _, err := svc.CreateUser(ctx, identity.NewUser{Email: "second@example.com", Role: identity.RoleSuperAdmin}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Remove(ctx, "root@example.com"); err != nil {
			t.Errorf("removing one of two super admins: %v", err)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *identity.Service, b testBundle) {
		ctx := context.Background()
		if u, err := svc.Authenticate(ctx, identity.Attempt{Email: "ROOT@example.com", Password: "long enough"}); err != nil || u.ID != b.admin.ID {
			t.Errorf("right password: %v %v", u.ID, err)
		}
		if _, err := svc.CreateUser(ctx, identity.NewUser{Email: "s@example.com", Role: identity.RoleSuperAdmin, Password: "password 2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Deactivate(ctx, "s@example.com"); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ email, password string }{
			{"root@example.com", "wrong password"},
			{"nobody@example.com", "long enough"},
			{"s@example.com", "password 2"}, // deactivated
		} {
			if _, err := svc.Authenticate(ctx, identity.Attempt{Email: c.email, Password: c.password}); !errors.Is(err, identity.ErrBadCredentials) {
				t.Errorf("Authenticate(%s): %v, want ErrBadCredentials", c.email, err)
			}
		}
	})
}

func TestAccess(t *testing.T) {
	perms := map[string]string{"contacts": "edit", "companies": "view"}
	cases := []struct {
		user          store.User
		object, level string
		want          bool
	}{
		{store.User{Role: "member", Status: "active", Permissions: perms}, "contacts", "edit", true},
		{store.User{Role: "member", Status: "active", Permissions: perms}, "companies", "edit", false},
		{store.User{Role: "member", Status: "active", Permissions: perms}, "companies", "view", true},
		{store.User{Role: "member", Status: "active", Permissions: perms}, "deals", "view", false},
		{store.User{Role: "member", Status: "deactivated", Permissions: perms}, "contacts", "view", false},
		{store.User{Role: "super_admin", Status: "active"}, "deals", "edit", true},
		{store.User{Role: "super_admin", Status: "removed"}, "deals", "view", false},
	}
	for _, c := range cases {
		if got := identity.Allows(c.user, c.object, c.level); got != c.want {
			t.Errorf("Allows(%s %s, %s, %s) = %v", c.user.Role, c.user.Status, c.object, c.level, got)
		}
	}
}
