package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"
)

// batchCreate measures creating n contacts through the CRM API, 100 per
// call, from clients concurrent clients, on a fresh hub whose store is
// SQLite or (with a database URL) PostgreSQL.
func (r *runner) batchCreate(ctx context.Context, n, clients int, onPG bool) (Row, error) {
	spec := hubSpec{name: fmt.Sprintf("create-%d", clients)}
	row := Row{Name: fmt.Sprintf("CRM batch create, SQLite, %d client(s)", clients), Records: n, Unit: "rec/s", Baseline: baseSQLite}
	if onPG {
		schema, err := r.pg.schema(ctx)
		if err != nil {
			return row, err
		}
		spec.name += "-pg"
		spec.databaseURL = r.pg.url(schema)
		row.Name, row.Baseline = fmt.Sprintf("CRM batch create, PostgreSQL, %d client(s)", clients), basePG
	}
	h, err := r.startHub(ctx, spec)
	if err != nil {
		return row, err
	}
	defer r.stopHub(h)
	m := startMeter(h)
	took, err := createContacts(ctx, h.crm, "c", 0, n, clients)
	if err != nil {
		return row, err
	}
	elapsed := time.Since(m.began)
	row.Rate = float64(n) / elapsed.Seconds()
	row.P50ms, row.P99ms = ms(percentile(took, 50)), ms(percentile(took, 99))
	row.CPUPerRecordUs = float64(m.cpu().Microseconds()) / float64(n)
	row.PeakRSSMiB = mib(h.peakRSS())
	return row, nil
}

// someIDs lists up to n ids of the hub's contacts.
func someIDs(ctx context.Context, c *client, n int) ([]string, error) {
	var ids []string
	after := ""
	for len(ids) < n {
		var p page
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		if err := c.json(ctx, "GET", "/crm/v3/objects/contacts?"+q.Encode(), nil, &p); err != nil {
			return nil, err
		}
		for _, rec := range p.Results {
			ids = append(ids, rec.ID)
		}
		if p.Paging == nil {
			break
		}
		after = p.Paging.Next.After
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("the hub lists no contacts")
	}
	return ids, nil
}

// getByID measures reading single contacts by id from one client with the
// given token, a mix of ids so no cache of one record flatters it.
func (r *runner) getByID(ctx context.Context, h *hubProc, kind, token string, ids []string, n int) (Row, error) {
	row := Row{Name: "GET contact by id, " + kind + " token, 1 client", Records: n, Unit: "req/s"}
	c := h.crm.withToken(token)
	m := startMeter(h)
	took, err := loop(ctx, n, 1, func(ctx context.Context, i int) error {
		return c.json(ctx, "GET", "/crm/v3/objects/contacts/"+ids[rand.IntN(len(ids))], nil, nil)
	})
	if err != nil {
		return row, err
	}
	r.fill(&row, m, took, n, h)
	return row, nil
}

// fill sets a latency row's rate, percentiles, CPU per request and peak.
func (r *runner) fill(row *Row, m *meter, took []time.Duration, n int, h *hubProc) {
	row.Rate = float64(n) / time.Since(m.began).Seconds()
	row.P50ms, row.P99ms = ms(percentile(took, 50)), ms(percentile(took, 99))
	row.CPUPerRecordUs = float64(m.cpu().Microseconds()) / float64(n)
	row.PeakRSSMiB = mib(h.peakRSS())
}

// refreshGrant measures the token endpoint's refresh_token grant from 4
// clients. The app is confidential, so its refresh token stays the same,
// as on HubSpot.
func (r *runner) refreshGrant(ctx context.Context, h *hubProc, app *oauthApp, n int) (Row, error) {
	row := Row{Name: "refresh_token grant, 4 clients", Records: n, Unit: "req/s",
		Note: "its hub runs with --token-rate -1: the default 50/s per OAuth client would measure the limit"}
	c := newClient(h.URL, "")
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {app.clientID}, "client_secret": {app.secret},
		"refresh_token": {app.refresh}}
	m := startMeter(h)
	took, err := loop(ctx, n, 4, func(ctx context.Context, _ int) error {
		return c.json(ctx, "POST", "/oauth/v1/token", form, nil)
	})
	if err != nil {
		return row, err
	}
	r.fill(&row, m, took, n, h)
	return row, nil
}

// searchByEmail measures finding one contact by email among all of the
// hub's, one client.
func (r *runner) searchByEmail(ctx context.Context, h *hubProc, prefix string, over, n int) (Row, error) {
	row := Row{Name: "search contact by email, 1 client", Records: over, Unit: "req/s",
		Note: fmt.Sprintf("%d searches among %d contacts", n, over)}
	m := startMeter(h)
	took, err := loop(ctx, n, 1, func(ctx context.Context, _ int) error {
		want := email(prefix, rand.IntN(over))
		var found struct {
			Total int `json:"total"`
		}
		err := h.crm.json(ctx, "POST", "/crm/v3/objects/contacts/search", map[string]any{
			"filterGroups": []any{map[string]any{"filters": []any{map[string]string{"propertyName": "email", "operator": "EQ", "value": want}}}},
			"properties":   []string{"email"}, "limit": 1}, &found)
		if err == nil && found.Total != 1 {
			err = fmt.Errorf("search for %s found %d", want, found.Total)
		}
		return err
	})
	if err != nil {
		return row, err
	}
	r.fill(&row, m, took, n, h)
	return row, nil
}
