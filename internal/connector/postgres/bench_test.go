package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/postgres"
	"github.com/hubsync/hubsync/internal/store/postgres/pgtest"
)

// benchTable is a CRM-like table with the trigger and the index Prepare
// installs, as a connection would run.
const benchTable = `CREATE TABLE people (id bigserial PRIMARY KEY, email text, name text, amount numeric,
	born date, seen timestamptz, active boolean, origin text UNIQUE, updated_at timestamptz)`

func setupBench(b *testing.B, rows int) (*postgres.Connector, connector.Target, connector.Credential, *pgx.Conn) {
	b.Helper()
	adminURL := pgtest.URL(b)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { admin.Close(context.Background()) })
	u, _ := url.Parse(adminURL)
	for _, sql := range []string{
		benchTable,
		fmt.Sprintf(`INSERT INTO people (email, name, amount, born, seen, active, origin, updated_at)
			SELECT 'p' || i || '@example.com', 'Person ' || i, i * 1.5, date '1980-01-01' + i %% 10000,
			       timestamptz '2024-01-01' + i * interval '1 second', i %% 2 = 0, 'seed-' || i,
			       timestamptz '2024-01-01' + i * interval '1 millisecond'
			FROM generate_series(1, %d) i`, rows),
		"ANALYZE people",
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	// The local server trusts 127.0.0.1; the URL needs some password.
	u.User = url.UserPassword(u.User.Username(), "bench")
	cred := connector.Credential{URL: u.String()}
	tg := target(u.Query().Get("search_path")+".people", "id", "updated_at")
	tg.Config[postgres.ConfigOriginColumn] = "origin"
	tg.Config[postgres.ConfigInstallTrigger] = "true"
	tg.Config[postgres.ConfigCreateIndex] = "true"
	tg.Config[postgres.ConfigCommitLag] = "0s"
	c := postgres.New()
	b.Cleanup(c.Close)
	if err := c.Prepare(ctx, tg, cred); err != nil {
		b.Fatalf("Prepare: %v", err)
	}
	return c, tg, cred, admin
}

func BenchmarkApply500(b *testing.B) {
	props := func(i int) map[string]string {
		return map[string]string{
			"email": fmt.Sprintf("w%d@example.com", i), "name": "Writer " + strconv.Itoa(i), "amount": strconv.Itoa(i) + ".25",
			"born": "1990-05-17", "seen": "2024-05-01T09:30:00.123Z", "active": "true",
		}
	}
	run := func(b *testing.B, batch func(n int) []connector.Write) {
		c, tg, cred, _ := setupBench(b, 10000)
		ctx := context.Background()
		for n := 0; b.Loop(); n++ {
			res, err := c.Apply(ctx, tg, cred, "people", batch(n))
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("create", func(b *testing.B) {
		run(b, func(n int) []connector.Write {
			ws := make([]connector.Write, 500)
			for i := range ws {
				k := n*500 + i
				ws[i] = connector.Write{Ref: strconv.Itoa(i), IdempotencyKey: "c1-" + strconv.Itoa(k), Props: props(k)}
			}
			return ws
		})
	})
	b.Run("update", func(b *testing.B) {
		run(b, func(n int) []connector.Write {
			ws := make([]connector.Write, 500)
			for i := range ws {
				id := (n*500+i)%10000 + 1
				ws[i] = connector.Write{Ref: strconv.Itoa(i), ID: strconv.Itoa(id), Props: props(n + i)}
			}
			return ws
		})
	})
	// Updates that each carry only the fields that changed.
	b.Run("update-partial", func(b *testing.B) {
		run(b, func(n int) []connector.Write {
			ws := make([]connector.Write, 500)
			for i := range ws {
				id := (n*500+i)%10000 + 1
				p := props(n + i)
				for k := range p {
					if len(k)%3 == i%3 {
						delete(p, k)
					}
				}
				ws[i] = connector.Write{Ref: strconv.Itoa(i), ID: strconv.Itoa(id), Props: p}
			}
			return ws
		})
	})
}

func BenchmarkChanges500(b *testing.B) {
	c, tg, cred, _ := setupBench(b, 20000)
	ctx := context.Background()
	fields := []string{"email", "name", "amount", "born", "seen", "active"}
	cursor, pages := "", 0
	for b.Loop() {
		page, err := c.Changes(ctx, tg, cred, "people", fields, cursor, 500)
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Records) != 500 {
			b.Fatalf("page of %d", len(page.Records))
		}
		// Start over before the end, so every page is full.
		if cursor, pages = page.Cursor, pages+1; pages == 39 {
			cursor, pages = "", 0
		}
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "rows/s")
}
