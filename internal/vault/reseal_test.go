package vault_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

// kinds is how many kinds of sealed values a store holds.
const kinds = 5

// sealedBundle is a hub whose store holds sealed values of every kind.
type sealedBundle struct {
	env   *hubtest.Env
	st    store.Store
	v     *vault.Vault
	plain map[string]string // by AAD
	conns []int64
}

// setupSealed starts a hub on backend and stores n values of each kind,
// sealed with the keyset's first key, plus an integration without a secret.
func setupSealed(t *testing.T, backend hubtest.Backend, n int) sealedBundle {
	t.Helper()
	env := hubtest.New(t, backend)
	b := sealedBundle{env: env, st: env.Hub.Store, v: env.Hub.Vault, plain: map[string]string{}}
	ctx := context.Background()
	now := time.Now()
	secret := func(aad string) []byte {
		pt := "plaintext " + rand.Text() + " for " + aad
		b.plain[aad] = pt
		ct, err := b.v.Seal([]byte(pt), aad)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	err := b.st.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateIntegration(ctx, store.Integration{Name: "no secret", Provider: "postgres",
			AuthKind: "password", Config: map[string]string{}, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		for i := range n {
			in, err := tx.CreateIntegration(ctx, store.Integration{Name: fmt.Sprintf("hubspot %d", i),
				Provider: "hubspot", AuthKind: "oauth2", Config: map[string]string{"client_id": "c"},
				CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return err
			}
			in.Secret = secret(vault.IntegrationAAD(in.ID))
			if err := tx.UpdateIntegration(ctx, in); err != nil {
				return err
			}
			c, err := tx.CreateConnection(ctx, store.Connection{IntegrationID: in.ID, Name: fmt.Sprintf("conn %d", i),
				AuthMode: "app", Objects: []string{"contacts"}, External: map[string]string{}, Config: map[string]string{},
				Status: "active", CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return err
			}
			c.Credential = secret(vault.ConnectionAAD(c.ID))
			if err := tx.UpdateConnection(ctx, c); err != nil {
				return err
			}
			b.conns = append(b.conns, c.ID)
			hash := []byte(rand.Text())
			if err := tx.CreateConnectAttempt(ctx, store.ConnectAttempt{StateHash: hash, IntegrationID: in.ID,
				Spec: map[string]string{}, Verifier: secret(vault.AttemptAAD(hash)), CreatedAt: now,
				ExpiresAt: now.Add(time.Hour)}); err != nil {
				return err
			}
			w, err := tx.CreateWebhook(ctx, store.Webhook{URL: "https://example.com/hook", Events: []string{"connection.broken"}, CreatedAt: now})
			if err != nil {
				return err
			}
			w.Secret = secret(vault.WebhookAAD(w.ID))
			if err := tx.UpdateWebhook(ctx, w); err != nil {
				return err
			}
			r, err := tx.CreatePendingRevoke(ctx, store.PendingRevoke{IntegrationID: in.ID, ConnectionID: c.ID, Cause: store.RevokeReplaced, CreatedAt: now})
			if err != nil {
				return err
			}
			r.Credential = secret(vault.RevokeAAD(r.ID))
			if err := tx.UpdatePendingRevoke(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return b
}

// stored reads every sealed value back, by AAD.
func (b sealedBundle) stored(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := b.st.View(context.Background(), func(tx store.Tx) error {
		ctx := context.Background()
		is, err := tx.Integrations(ctx)
		if err != nil {
			return err
		}
		for _, i := range is {
			if i.Secret != nil {
				out[vault.IntegrationAAD(i.ID)] = i.Secret
			}
		}
		cs, err := tx.Connections(ctx)
		if err != nil {
			return err
		}
		for _, c := range cs {
			out[vault.ConnectionAAD(c.ID)] = c.Credential
		}
		as, err := tx.ConnectAttempts(ctx)
		if err != nil {
			return err
		}
		for _, a := range as {
			out[vault.AttemptAAD(a.StateHash)] = a.Verifier
		}
		ws, err := tx.Webhooks(ctx)
		if err != nil {
			return err
		}
		for _, w := range ws {
			out[vault.WebhookAAD(w.ID)] = w.Secret
		}
		rs, err := tx.PendingRevokes(ctx, 0)
		if err != nil {
			return err
		}
		for _, r := range rs {
			out[vault.RevokeAAD(r.ID)] = r.Credential
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReseal(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			const n = 5
			b := setupSealed(t, backend, n)
			ctx := context.Background()
			old := b.v.Primary()
			used, err := vault.InUse(ctx, b.st, b.v)
			if err != nil {
				t.Fatal(err)
			}
			if used[old] != kinds*n || len(used) != 1 {
				t.Fatalf("before rotating InUse = %v, want %d under %d", used, kinds*n, old)
			}

			info, err := b.v.Rotate()
			if err != nil {
				t.Fatal(err)
			}
			var calls, last int
			stats, err := vault.Reseal(ctx, b.st, b.v, func(done, total int) {
				if total != kinds*n || done < last || done > total {
					t.Errorf("progress %d/%d after %d", done, total, last)
				}
				calls, last = calls+1, done
			})
			if err != nil {
				t.Fatal(err)
			}
			want := vault.Stats{Integrations: n, Connections: n, Attempts: n, Webhooks: n, Revokes: n}
			if stats != want {
				t.Errorf("stats %+v, want %+v", stats, want)
			}
			if calls != kinds*n+1 || last != kinds*n {
				t.Errorf("progress called %d times, last %d", calls, last)
			}

			got := b.stored(t)
			if len(got) != len(b.plain) {
				t.Fatalf("%d sealed values stored, seeded %d", len(got), len(b.plain))
			}
			for aad, ct := range got {
				if id, _ := vault.KeyID(ct); id != info.ID {
					t.Errorf("%s is under key %d, want the new primary %d", aad, id, info.ID)
				}
				mustOpen(t, b.v, ct, aad, b.plain[aad])
			}
			used, err = vault.InUse(ctx, b.st, b.v)
			if err != nil {
				t.Fatal(err)
			}
			if used[old] != 0 || used[info.ID] != kinds*n {
				t.Errorf("after reseal InUse = %v", used)
			}
			b.checkNoPlaintext(t)

			again, err := vault.Reseal(ctx, b.st, b.v, nil)
			if err != nil || again != (vault.Stats{Skipped: kinds * n}) {
				t.Errorf("second reseal: %+v, %v", again, err)
			}
			if err := b.v.Retire(old); err != nil {
				t.Fatal(err)
			}
			for aad, ct := range b.stored(t) {
				mustOpen(t, b.v, ct, aad, b.plain[aad])
			}
		})
	}
}

// checkNoPlaintext reads every column of every table and fails if any
// holds one of the seeded secrets.
func (b sealedBundle) checkNoPlaintext(t *testing.T) {
	t.Helper()
	db := b.env.DB(t)
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if b.env.Config.DatabaseURL != "" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	tables := queryStrings(t, db, q)
	if len(tables) < 5 {
		t.Fatalf("found only tables %v", tables)
	}
	cells := 0
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			for i, v := range vals {
				var s string
				switch v := v.(type) {
				case []byte:
					s = string(v)
				case string:
					s = v
				default:
					continue
				}
				cells++
				for _, pt := range b.plain {
					if strings.Contains(s, pt) {
						t.Errorf("%s.%s holds a plaintext secret", table, cols[i])
					}
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	if cells < len(b.plain) {
		t.Errorf("scanned only %d text cells", cells)
	}
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestResealOnline re-seals while another writer changes the same
// connections: neither loses the other's write.
func TestResealOnline(t *testing.T) {
	for _, backend := range hubtest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			b := setupSealed(t, backend, 10)
			ctx := context.Background()
			info, err := b.v.Rotate()
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			writes := 0
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					id := b.conns[writes%len(b.conns)]
					err := b.st.Update(ctx, func(tx store.Tx) error {
						c, err := tx.Connection(ctx, id)
						if err != nil {
							return err
						}
						c.Note = fmt.Sprintf("write %d", writes)
						return tx.UpdateConnection(ctx, c)
					})
					if err != nil {
						t.Error(err)
						return
					}
					writes++
				}
			})
			_, err = vault.Reseal(ctx, b.st, b.v, nil)
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if writes == 0 {
				t.Fatal("the writer wrote nothing")
			}
			err = b.st.View(ctx, func(tx store.Tx) error {
				cs, err := tx.Connections(ctx)
				for _, c := range cs {
					if id, _ := vault.KeyID(c.Credential); id != info.ID {
						t.Errorf("connection %d under key %d after reseal", c.ID, id)
					}
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			last := b.conns[(writes-1)%len(b.conns)]
			err = b.st.View(ctx, func(tx store.Tx) error {
				c, err := tx.Connection(ctx, last)
				if err == nil && c.Note != fmt.Sprintf("write %d", writes-1) {
					t.Errorf("connection %d note %q: a write was lost", last, c.Note)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestResealStopsAtAValueItCannotOpen names the row and keeps what it did.
func TestResealStopsAtAValueItCannotOpen(t *testing.T) {
	b := setupSealed(t, hubtest.SQLite, 2)
	ctx := context.Background()
	// A webhook secret copied from another row does not open here.
	err := b.st.Update(ctx, func(tx store.Tx) error {
		ws, err := tx.Webhooks(ctx)
		if err != nil {
			return err
		}
		ws[1].Secret = ws[0].Secret
		return tx.UpdateWebhook(ctx, ws[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.v.Rotate(); err != nil {
		t.Fatal(err)
	}
	stats, err := vault.Reseal(ctx, b.st, b.v, nil)
	if err == nil || !strings.Contains(err.Error(), "webhook 2") {
		t.Fatalf("reseal with a misplaced value: %v", err)
	}
	for _, pt := range b.plain {
		if strings.Contains(err.Error(), pt) {
			t.Error("the error holds a secret")
		}
	}
	if stats.Integrations != 2 || stats.Connections != 2 || stats.Webhooks != 1 {
		t.Errorf("stats before the failure: %+v", stats)
	}
}

func TestResealCancelled(t *testing.T) {
	b := setupSealed(t, hubtest.SQLite, 2)
	if _, err := b.v.Rotate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err := vault.Reseal(ctx, b.st, b.v, func(done, total int) {
		if done == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled reseal: %v", err)
	}
	used, _ := vault.InUse(context.Background(), b.st, b.v)
	if used[b.v.Primary()] != 3 {
		t.Errorf("after cancelling at 3: %v", used)
	}
}
