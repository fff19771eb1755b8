package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/store/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
	"github.com/hubsync/hubsync/internal/store/sqlstore"
	"go.uber.org/goleak"
)

// watchBundle is two stores on one PostgreSQL schema, as two replicas
// have, and a plain connection to it.
type watchBundle struct {
	changer, watcher *sqlstore.Store
	db               *sql.DB
	app              store.PrivateApp
}

func setupWatch(t *testing.T) *watchBundle {
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
	ctx := context.Background()
	url := pgtest.URL(t)
	b := &watchBundle{}
	for _, s := range []**sqlstore.Store{&b.changer, &b.watcher} {
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		*s = st
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b.db = db
	err = b.changer.Update(ctx, func(tx store.Tx) (err error) {
		now := time.Now().UTC().Truncate(time.Second)
		b.app, err = tx.CreatePrivateApp(ctx, store.PrivateApp{Name: "watched", Scopes: []string{"crm.objects.contacts.read"},
			TokenHash: []byte("hash-1"), CreatedAt: now, UpdatedAt: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.rescope(t, "crm.objects.deals.read") // the generation's row is made on first use
	return b
}

// rescope moves the generation through the changer store, as revoking,
// rotating or deleting on another replica does.
func (b *watchBundle) rescope(t *testing.T, scope string) {
	t.Helper()
	ctx := context.Background()
	err := b.changer.Update(ctx, func(tx store.Tx) error {
		b.app.Scopes = []string{scope}
		return tx.UpdatePrivateApp(ctx, b.app)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// stored is the generation in the database.
func (b *watchBundle) stored(t *testing.T) int64 {
	t.Helper()
	var g int64
	if err := b.db.QueryRow(`SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'auth_generation'`).Scan(&g); err != nil {
		t.Fatal(err)
	}
	return g
}

func (b *watchBundle) seen(t *testing.T) int64 {
	t.Helper()
	g, err := b.watcher.AuthGeneration(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// waitWatched waits until the watcher answers from memory, or not.
func waitWatched(t *testing.T, s *sqlstore.Store, want bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.AuthWatched() != want; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("AuthWatched stayed %v", !want)
		}
	}
}

// A change made through one store returns only once the other, which
// answers from memory, has taken it in: the other's very next read sees it.
func TestWatchedGenerationSeesOtherStoresChangeAtOnce(t *testing.T) {
	b := setupWatch(t)
	b.seen(t)
	waitWatched(t, b.watcher, true)
	fromMemory := 0
	for i := range 20 {
		before := b.watcher.AuthWatched()
		b.rescope(t, []string{"crm.objects.deals.read", "crm.objects.contacts.read"}[i%2])
		if got, want := b.seen(t), b.stored(t); got != want {
			t.Fatalf("change %d: the watcher's next read gives generation %d, the database holds %d", i, got, want)
		}
		if before && b.watcher.AuthWatched() {
			fromMemory++
		}
	}
	if fromMemory == 0 {
		t.Fatal("no read was answered from memory")
	}
}

// When the listening connection is lost the watcher stops answering from
// memory and reads the database, so a change it could not hear (here one
// made behind the stores' backs, without waiting for anyone) is still seen.
// Once it can listen again it catches up and answers from memory again.
func TestWatchedGenerationFallsBackWhenTheListenerIsLost(t *testing.T) {
	b := setupWatch(t)
	ctx := context.Background()
	b.seen(t)
	waitWatched(t, b.watcher, true)
	// Its heartbeats fail from now on, and its connection is cut.
	if _, err := b.db.ExecContext(ctx, `ALTER TABLE auth_replicas RENAME TO auth_replicas_away`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
		b.watcher.AuthWatchName()); err != nil {
		t.Fatal(err)
	}
	waitWatched(t, b.watcher, false)
	bump := func() {
		t.Helper()
		if _, err := b.db.ExecContext(ctx, `UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'auth_generation'`); err != nil {
			t.Fatal(err)
		}
	}
	bump()
	if got, want := b.seen(t), b.stored(t); got != want {
		t.Fatalf("without its listener the watcher reads generation %d, the database holds %d", got, want)
	}
	if _, err := b.db.ExecContext(ctx, `ALTER TABLE auth_replicas_away RENAME TO auth_replicas`); err != nil {
		t.Fatal(err)
	}
	waitWatched(t, b.watcher, true)
	if got, want := b.seen(t), b.stored(t); got != want {
		t.Fatalf("listening again, the watcher reads generation %d, the database holds %d", got, want)
	}
	bump() // heard, not waited for
	for deadline := time.Now().Add(10 * time.Second); b.seen(t) != b.stored(t); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the watcher never heard a change while listening")
		}
	}
}
