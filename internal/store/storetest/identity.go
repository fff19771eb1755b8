package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/store"
)

func testMeta(t *testing.T, s store.Store) {
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Meta(ctx, "schema_key")
		return err
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.SetMeta(ctx, "schema_key", "first"); err != nil {
			return err
		}
		return tx.SetMeta(ctx, "empty", "")
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.SetMeta(ctx, "schema_key", "second")
	})
	for key, want := range map[string]string{"schema_key": "second", "empty": ""} {
		got := get(t, s, func(ctx context.Context, tx store.Tx) (string, error) { return tx.Meta(ctx, key) })
		if got != want {
			t.Errorf("Meta(%q) = %q, want %q", key, got, want)
		}
	}
}

func testAccount(t *testing.T, s store.Store) {
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Account(ctx)
		return err
	})
	// A hub id beyond 32 bits catches a narrow column.
	a := store.Account{HubID: 1 << 40, Name: "Acme", CreatedAt: when(0)}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateAccount(ctx, a) })
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAccount(ctx, store.Account{HubID: 2, Name: "Other"})
	})

	got := get(t, s, func(ctx context.Context, tx store.Tx) (store.Account, error) { return tx.Account(ctx) })
	want := a
	want.CreatedAt = stored(a.CreatedAt)
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}
}

func newUser(email string) store.User {
	return store.User{
		Email:            email,
		Name:             "User " + email,
		Role:             "member",
		Status:           "active",
		Permissions:      map[string]string{"contacts": "edit", "companies": "view"},
		PasswordHash:     "$argon2id$v=19$" + email,
		CredentialsEpoch: 3,
		CreatedAt:        when(0),
		UpdatedAt:        when(time.Hour),
	}
}

// storedUser is u as it reads back.
func storedUser(u store.User) store.User {
	u.CreatedAt, u.UpdatedAt = stored(u.CreatedAt), stored(u.UpdatedAt)
	return u
}

func testUsers(t *testing.T, s store.Store) {
	admin := newUser("admin@example.com")
	admin.Role, admin.IntegrationsManage = "admin", true
	plain := newUser("plain@example.com")
	plain.Permissions, plain.PasswordHash, plain.UpdatedAt = nil, "", time.Time{}
	third := newUser("third@example.com")

	var created []store.User
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, u := range []store.User{admin, plain, third} {
			u, err := tx.CreateUser(ctx, u)
			if err != nil {
				return err
			}
			created = append(created, u)
		}
		return nil
	})
	for i, u := range created {
		if u.ID <= 0 || (i > 0 && u.ID <= created[i-1].ID) {
			t.Fatalf("user ids %d, %d: want positive and increasing", created[max(i-1, 0)].ID, u.ID)
		}
	}
	want := make([]store.User, len(created))
	for i, u := range created {
		want[i] = storedUser(u)
	}
	if diff := cmp.Diff(want, created, opts); diff != "" {
		t.Errorf("CreateUser does not return the stored value (-stored +returned):\n%s", diff)
	}

	for _, w := range want {
		got := get(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) { return tx.User(ctx, w.ID) })
		if diff := cmp.Diff(w, got, opts); diff != "" {
			t.Errorf("User(%d) (-want +got):\n%s", w.ID, diff)
		}
		got = get(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) { return tx.UserByEmail(ctx, w.Email) })
		if diff := cmp.Diff(w, got, opts); diff != "" {
			t.Errorf("UserByEmail(%q) (-want +got):\n%s", w.Email, diff)
		}
	}
	all := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.User, error) { return tx.Users(ctx) })
	if diff := cmp.Diff(want, all, opts); diff != "" {
		t.Errorf("Users (-want +got):\n%s", diff)
	}

	changed := want[1]
	changed.Email = "renamed@example.com"
	changed.Name, changed.Role, changed.Status = "Renamed", "admin", "suspended"
	changed.Permissions = map[string]string{"deals": "view"}
	changed.IntegrationsManage = true
	changed.PasswordHash = "$argon2id$new"
	changed.CredentialsEpoch = 1 << 40
	changed.UpdatedAt = when(48 * time.Hour)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, changed) })
	got := get(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) { return tx.User(ctx, changed.ID) })
	if diff := cmp.Diff(storedUser(changed), got, opts); diff != "" {
		t.Errorf("after UpdateUser (-want +got):\n%s", diff)
	}
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.UserByEmail(ctx, plain.Email)
		return err
	})

	missing := want[2].ID + 1000
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.User(ctx, missing)
		return err
	})
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		u := newUser("ghost@example.com")
		u.ID = missing
		return tx.UpdateUser(ctx, u)
	})
}

func testUserEmailUnique(t *testing.T, s store.Store) {
	const email = "ann@example.com"
	ann := put(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) { return tx.CreateUser(ctx, newUser(email)) })
	bob := put(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) {
		return tx.CreateUser(ctx, newUser("bob@example.com"))
	})

	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.CreateUser(ctx, newUser(email))
		return err
	})
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		b := bob
		b.Email = email
		return tx.UpdateUser(ctx, b)
	})

	// Once ann is removed her email may be given to someone new, and lookups by
	// email find the newcomer.
	ann.Status = "removed"
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, ann) })
	again := put(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) { return tx.CreateUser(ctx, newUser(email)) })
	if again.ID == ann.ID {
		t.Fatalf("new user reused id %d", ann.ID)
	}
	got := get(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) { return tx.UserByEmail(ctx, email) })
	if got.ID != again.ID {
		t.Errorf("UserByEmail(%q) = user %d, want the live user %d", email, got.ID, again.ID)
	}
	// A second removed user with the same email is fine too.
	again.Status = "removed"
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, again) })
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.UserByEmail(ctx, email)
		return err
	})

	// Restoring one removed user is fine; restoring the second collides.
	ann.Status = "active"
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, ann) })
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		again.Status = "active"
		return tx.UpdateUser(ctx, again)
	})
}

// testUserReadModifyWrite checks the promise that a row read inside Update
// stays locked until commit: concurrent increments must not be lost.
func testUserReadModifyWrite(t *testing.T, s store.Store) {
	u := put(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) {
		u := newUser("counter@example.com")
		u.CredentialsEpoch = 0
		return tx.CreateUser(ctx, u)
	})
	const workers, rounds = 4, 10
	updateConcurrently(t, s, workers, rounds, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.User(ctx, u.ID)
		if err != nil {
			return err
		}
		time.Sleep(time.Millisecond) // widen the window for a lost update
		cur.CredentialsEpoch++
		return tx.UpdateUser(ctx, cur)
	})
	got := get(t, s, func(ctx context.Context, tx store.Tx) (store.User, error) { return tx.User(ctx, u.ID) })
	if got.CredentialsEpoch != workers*rounds {
		t.Errorf("credentials epoch = %d after %d increments", got.CredentialsEpoch, workers*rounds)
	}
}

func testIdentityEvents(t *testing.T, s store.Store) {
	if got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.IdentityEvent, error) {
		return tx.IdentityEvents(ctx, 0, 10)
	}); len(got) != 0 {
		t.Fatalf("IdentityEvents on an empty store = %v", got)
	}
	in := []store.IdentityEvent{
		{UserID: 7, Kind: "created", Detail: map[string]string{"role": "admin", "by": "cli"}, At: when(0)},
		{UserID: 7, Kind: "password_changed", At: when(time.Second)},
		{UserID: 8, Kind: "removed", Detail: map[string]string{"reason": "left \"the\" company"}, At: when(time.Minute)},
		{UserID: 8, Kind: "restored", Detail: map[string]string{}, At: when(time.Hour)},
		{UserID: 1 << 40, Kind: "suspended", At: time.Time{}},
	}
	var want []store.IdentityEvent
	for _, e := range in {
		// One transaction each, so the order across commits is what is tested.
		got := put(t, s, func(ctx context.Context, tx store.Tx) (store.IdentityEvent, error) {
			return tx.AppendIdentityEvent(ctx, e)
		})
		if len(want) > 0 && got.Seq <= want[len(want)-1].Seq {
			t.Fatalf("seq %d after %d, want increasing", got.Seq, want[len(want)-1].Seq)
		}
		if got.Seq <= 0 {
			t.Fatalf("seq %d, want positive", got.Seq)
		}
		e.Seq, e.At = got.Seq, stored(e.At)
		if diff := cmp.Diff(e, got, opts); diff != "" {
			t.Errorf("AppendIdentityEvent does not return the stored value (-stored +returned):\n%s", diff)
		}
		want = append(want, e)
	}

	all := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.IdentityEvent, error) {
		return tx.IdentityEvents(ctx, 0, 100)
	})
	if diff := cmp.Diff(want, all, opts); diff != "" {
		t.Errorf("IdentityEvents(0, 100) (-want +got):\n%s", diff)
	}

	var paged []store.IdentityEvent
	var after int64
	for range len(want) {
		page := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.IdentityEvent, error) {
			return tx.IdentityEvents(ctx, after, 2)
		})
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("page of %d events, limit 2", len(page))
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Seq
	}
	if diff := cmp.Diff(want, paged, opts); diff != "" {
		t.Errorf("IdentityEvents paged by 2 (-want +got):\n%s", diff)
	}
	from := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.IdentityEvent, error) {
		return tx.IdentityEvents(ctx, want[2].Seq, 100)
	})
	if diff := cmp.Diff(want[3:], from, opts); diff != "" {
		t.Errorf("IdentityEvents after seq %d (-want +got):\n%s", want[2].Seq, diff)
	}
}
