package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// The baselines the scenarios are ratios of: what the machine does with no
// hub in between, on the same record shape, in the same run.
const (
	baseSQLite = "SQLite insert"
	basePG     = "pgx upsert"
	baseHTTP   = "HTTP hop"
)

// baselineSQLite inserts n records into a fresh SQLite file, 100 rows per
// statement, one transaction per statement, as the hub's store would commit
// a batch.
func baselineSQLite(ctx context.Context, dir string, n int) (Row, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "baseline.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return Row{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	cols := strings.Join(propNames, " TEXT, ") + " TEXT"
	if _, err := db.ExecContext(ctx, "CREATE TABLE people (id INTEGER PRIMARY KEY, "+cols+", updated_at INTEGER NOT NULL)"); err != nil {
		return Row{}, err
	}
	if _, err := db.ExecContext(ctx, "CREATE UNIQUE INDEX people_email ON people (email)"); err != nil {
		return Row{}, err
	}
	began := time.Now()
	for start := 0; start < n; start += batchSize {
		q, args := multiRowInsert(start, min(batchSize, n-start), "?")
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			return Row{}, err
		}
	}
	took := time.Since(began)
	return Row{Name: "baseline: SQLite insert, 100 rows per statement", Records: n, Rate: float64(n) / took.Seconds(), Unit: "rec/s",
		IsBaseline: true, Key: baseSQLite}, nil
}

// multiRowInsert is one INSERT of count records from start; mark is the
// placeholder style ("?" or "$").
func multiRowInsert(start, count int, mark string) (string, []any) {
	var b strings.Builder
	b.WriteString("INSERT INTO people (" + strings.Join(propNames, ", ") + ", updated_at) VALUES ")
	args := make([]any, 0, count*(len(propNames)+1))
	for i := start; i < start+count; i++ {
		if i > start {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		rec := contact("base", i)
		for j, p := range propNames {
			args = append(args, rec[p])
			b.WriteString(placeholder(mark, len(args)))
			if j < len(propNames)-1 {
				b.WriteString(", ")
			}
		}
		args = append(args, time.Now().UnixMilli())
		b.WriteString(", " + placeholder(mark, len(args)) + ")")
	}
	return b.String(), args
}

func placeholder(mark string, n int) string {
	if mark == "$" {
		return "$" + strconv.Itoa(n)
	}
	return mark
}

// baselinePG upserts n records into a fresh table of PostgreSQL, 100 rows
// per statement keyed by email, as the postgres connector writes a batch.
func baselinePG(ctx context.Context, pg *pgAdmin, n int) (Row, error) {
	schema, err := pg.schema(ctx)
	if err != nil {
		return Row{}, err
	}
	conn, err := pgx.Connect(ctx, pg.url(schema))
	if err != nil {
		return Row{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	cols := strings.Join(propNames, " text, ") + " text"
	if _, err := conn.Exec(ctx, "CREATE TABLE people (id bigserial PRIMARY KEY, "+cols+", updated_at bigint NOT NULL, UNIQUE (email))"); err != nil {
		return Row{}, err
	}
	var set []string
	for _, p := range propNames[1:] {
		set = append(set, p+" = excluded."+p)
	}
	upsert := " ON CONFLICT (email) DO UPDATE SET " + strings.Join(set, ", ") + ", updated_at = excluded.updated_at"
	began := time.Now()
	for start := 0; start < n; start += batchSize {
		q, args := multiRowInsert(start, min(batchSize, n-start), "$")
		if _, err := conn.Exec(ctx, q+upsert, args...); err != nil {
			return Row{}, err
		}
	}
	took := time.Since(began)
	return Row{Name: "baseline: pgx upsert, 100 rows per statement", Records: n, Rate: float64(n) / took.Seconds(), Unit: "rec/s",
		IsBaseline: true, Key: basePG}, nil
}

// page is a HubSpot-shaped page of records, as a hub answers a list.
type page struct {
	Results []pageRecord `json:"results"`
	Paging  *struct {
		Next struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging,omitempty"`
}

type pageRecord struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  string            `json:"createdAt"`
	UpdatedAt  string            `json:"updatedAt"`
	Archived   bool              `json:"archived"`
}

// baselineHTTP reads n records over loopback HTTP in pages of 100 with the
// hub's JSON shape: a net/http server encoding, a client decoding. It is
// the hop every hub→hub record makes, with nothing else around it.
func baselineHTTP(ctx context.Context, n int) (Row, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Row{}, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.Atoi(r.URL.Query().Get("after"))
		now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		var p page
		for i := after; i < min(after+batchSize, n); i++ {
			props := contact("base", i)
			props["hs_object_id"] = strconv.Itoa(i + 1)
			props["createdate"], props["lastmodifieddate"] = now, now
			p.Results = append(p.Results, pageRecord{ID: strconv.Itoa(i + 1), Properties: props, CreatedAt: now, UpdatedAt: now})
		}
		if after+batchSize < n {
			p.Paging = &struct {
				Next struct {
					After string `json:"after"`
				} `json:"next"`
			}{}
			p.Paging.Next.After = strconv.Itoa(after + batchSize)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(p)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	c := newClient("http://"+ln.Addr().String(), "")
	began := time.Now()
	got, after := 0, "0"
	for after != "" {
		var p page
		if err := c.json(ctx, "GET", "/crm/v3/objects/contacts?limit=100&after="+after, nil, &p); err != nil {
			return Row{}, err
		}
		got += len(p.Results)
		after = ""
		if p.Paging != nil {
			after = p.Paging.Next.After
		}
	}
	took := time.Since(began)
	if got != n {
		return Row{}, fmt.Errorf("the loopback server gave %d records, want %d", got, n)
	}
	return Row{Name: "baseline: loopback HTTP hop, HubSpot JSON", Records: n, Rate: float64(n) / took.Seconds(), Unit: "rec/s",
		IsBaseline: true, Key: baseHTTP}, nil
}
