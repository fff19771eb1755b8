package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/store"
)

func counter(t *testing.T, s store.Store, key string) store.SignInCounter {
	t.Helper()
	return get(t, s, func(ctx context.Context, tx store.Tx) (store.SignInCounter, error) { return tx.SignInCounter(ctx, key) })
}

func testSignInCounters(t *testing.T, s store.Store) {
	if got := counter(t, s, "account:nobody@example.com"); got != (store.SignInCounter{Key: "account:nobody@example.com"}) {
		t.Errorf("counter of an unknown key = %+v, want a zero one", got)
	}
	in := []store.SignInCounter{
		{Key: "account:ann@example.com", Failures: 3, LastFailureAt: when(0)},
		{Key: "address:192.0.2.1", Failures: 21, LastFailureAt: when(time.Minute), LockedUntil: when(time.Hour)},
		{Key: "account:old@example.com", Failures: 9, LastFailureAt: when(-2 * time.Hour), LockedUntil: when(-time.Hour)},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range in {
			if err := tx.PutSignInCounter(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range in {
		want := c
		want.LastFailureAt, want.LockedUntil = stored(c.LastFailureAt), stored(c.LockedUntil)
		if diff := cmp.Diff(want, counter(t, s, c.Key), opts); diff != "" {
			t.Errorf("SignInCounter(%s) (-want +got):\n%s", c.Key, diff)
		}
	}
	// Put replaces; a read inside Update sees the stored counter, not a fresh one.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		c, err := tx.SignInCounter(ctx, in[0].Key)
		if err != nil || c.Failures != 3 {
			t.Errorf("SignInCounter inside Update = %+v, %v; want the stored 3 failures", c, err)
		}
		c.Failures, c.LockedUntil = 4, when(time.Second)
		return tx.PutSignInCounter(ctx, c)
	})
	if got := counter(t, s, in[0].Key); got.Failures != 4 || !got.LockedUntil.Equal(stored(when(time.Second))) {
		t.Errorf("after Put: %+v", got)
	}
	// A read inside an Update that rolls back leaves nothing behind.
	rollback := errors.New("roll back")
	if err := s.Update(t.Context(), func(tx store.Tx) error {
		if _, err := tx.SignInCounter(t.Context(), "account:ghost@example.com"); err != nil {
			return err
		}
		return rollback
	}); !errors.Is(err, rollback) {
		t.Fatalf("rolled-back read: %v", err)
	}
	n := put(t, s, func(ctx context.Context, tx store.Tx) (int, error) {
		return tx.DeleteSignInCountersBefore(ctx, when(-time.Minute))
	})
	if n != 1 || counter(t, s, in[2].Key).Failures != 0 || counter(t, s, in[1].Key).Failures != 21 {
		t.Errorf("DeleteSignInCountersBefore deleted %d, want only the counter last failed before the time", n)
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteSignInCounter(ctx, in[0].Key) })
	if got := counter(t, s, in[0].Key); got.Failures != 0 {
		t.Errorf("after DeleteSignInCounter: %+v", got)
	}
	n = put(t, s, func(ctx context.Context, tx store.Tx) (int, error) {
		return tx.DeleteSignInCountersBefore(ctx, when(24*time.Hour))
	})
	if n != 1 {
		t.Errorf("DeleteSignInCountersBefore found %d counters, want the 1 left (none made by a rolled-back read)", n)
	}
}

// testSignInCounterSweep: deleting old counters while an attempt holds one
// of them and goes on to read another (an attempt reads the account's
// counter, then the address's) fails neither of the two.
func testSignInCounterSweep(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := []store.SignInCounter{
		{Key: "address:198.51.100.4", Failures: 1, LastFailureAt: when(-3 * time.Hour)},
		{Key: "account:swept@example.com", Failures: 1, LastFailureAt: when(-2 * time.Hour)},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range old {
			if err := tx.PutSignInCounter(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	held, attempt := make(chan struct{}), make(chan error, 1)
	go func() {
		attempt <- s.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.SignInCounter(ctx, old[1].Key); err != nil {
				return err
			}
			close(held)
			time.Sleep(200 * time.Millisecond) // the sweep reaches the held counter meanwhile
			_, err := tx.SignInCounter(ctx, old[0].Key)
			return err
		})
	}()
	<-held
	if err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.DeleteSignInCountersBefore(ctx, when(-time.Hour))
		return err
	}); err != nil {
		t.Errorf("deleting old counters while an attempt holds one: %v", err)
	}
	if err := <-attempt; err != nil {
		t.Errorf("an attempt while old counters are deleted: %v", err)
	}
}

// testSignInCounterRace: attempts on one key that count at the same time,
// including the very first ones, lose no count.
func testSignInCounterRace(t *testing.T, s store.Store) {
	const workers, rounds = 4, 10
	updateConcurrently(t, s, workers, rounds, func(ctx context.Context, tx store.Tx) error {
		c, err := tx.SignInCounter(ctx, "account:raced@example.com")
		if err != nil {
			return err
		}
		time.Sleep(time.Millisecond) // widen the window for a lost update
		c.Failures++
		c.LastFailureAt = when(0)
		return tx.PutSignInCounter(ctx, c)
	})
	if got := counter(t, s, "account:raced@example.com"); got.Failures != workers*rounds {
		t.Errorf("failures = %d after %d counted at once", got.Failures, workers*rounds)
	}
}

func testAdminTokens(t *testing.T, s store.Store) {
	in := []store.AdminToken{
		{UserID: 7, Name: "nightly export", TokenHash: hash("admin-one"), CredentialsEpoch: 2, CreatedAt: when(0)},
		{UserID: 8, Name: "audit script", TokenHash: hash("admin-two"), CreatedAt: when(time.Minute), LastUsedAt: when(time.Hour)},
		{UserID: 7, Name: "nightly export", TokenHash: hash("admin-three"), CreatedAt: when(2 * time.Minute)},
	}
	var want []store.AdminToken
	for _, a := range in {
		got := put(t, s, func(ctx context.Context, tx store.Tx) (store.AdminToken, error) { return tx.CreateAdminToken(ctx, a) })
		a.ID, a.CreatedAt, a.LastUsedAt = got.ID, stored(a.CreatedAt), stored(a.LastUsedAt)
		if diff := cmp.Diff(a, got, opts); diff != "" {
			t.Errorf("CreateAdminToken does not return the stored value (-stored +returned):\n%s", diff)
		}
		want = append(want, a)
	}
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.CreateAdminToken(ctx, store.AdminToken{UserID: 9, Name: "copy", TokenHash: hash("admin-one"), CreatedAt: when(0)})
		return err
	})
	all := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.AdminToken, error) { return tx.AdminTokens(ctx, 0) })
	if diff := cmp.Diff(want, all, opts); diff != "" {
		t.Errorf("AdminTokens(0) (-want +got):\n%s", diff)
	}
	mine := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.AdminToken, error) { return tx.AdminTokens(ctx, 7) })
	if diff := cmp.Diff([]store.AdminToken{want[0], want[2]}, mine, opts); diff != "" {
		t.Errorf("AdminTokens(7) (-want +got):\n%s", diff)
	}
	byHash := get(t, s, func(ctx context.Context, tx store.Tx) (store.AdminToken, error) {
		return tx.AdminTokenByHash(ctx, hash("admin-two"))
	})
	if diff := cmp.Diff(want[1], byHash, opts); diff != "" {
		t.Errorf("AdminTokenByHash (-want +got):\n%s", diff)
	}
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.AdminTokenByHash(ctx, hash("admin-none"))
		return err
	})

	used := want[0]
	used.LastUsedAt = when(3 * time.Hour)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateAdminToken(ctx, used) })
	got := get(t, s, func(ctx context.Context, tx store.Tx) (store.AdminToken, error) { return tx.AdminToken(ctx, used.ID) })
	if !got.LastUsedAt.Equal(stored(used.LastUsedAt)) {
		t.Errorf("last used %v after update, want %v", got.LastUsedAt, stored(used.LastUsedAt))
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAdminToken(ctx, want[1].ID) })
	for name, fn := range map[string]func(ctx context.Context, tx store.Tx) error{
		"AdminToken": func(ctx context.Context, tx store.Tx) error { _, err := tx.AdminToken(ctx, want[1].ID); return err },
		"AdminTokenByHash": func(ctx context.Context, tx store.Tx) error {
			_, err := tx.AdminTokenByHash(ctx, hash("admin-two"))
			return err
		},
		"DeleteAdminToken": func(ctx context.Context, tx store.Tx) error { return tx.DeleteAdminToken(ctx, want[1].ID) },
		"UpdateAdminToken": func(ctx context.Context, tx store.Tx) error { return tx.UpdateAdminToken(ctx, want[1]) },
	} {
		t.Run(name, func(t *testing.T) { wantErr(t, s, store.ErrNotFound, fn) })
	}
}
