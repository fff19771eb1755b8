package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// The benchmarks run the hub with the garbage-collector settings serve uses.
func init() { hub.TuneGC() }

// BenchmarkBatchCreateHTTP measures contacts created per second through
// POST /crm/v3/objects/contacts/batch/create with full batches of 100, from
// one client and from four at once.
func BenchmarkBatchCreateHTTP(b *testing.B) {
	for _, backend := range hubtest.Backends {
		for _, clients := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/clients=%d", backend, clients), func(b *testing.B) {
				env := hubtest.New(b, backend)
				token := env.Token(b, hubtest.AllScopes...)
				var seq atomic.Int64
				b.SetParallelism(clients)
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
					for pb.Next() {
						batchCreate(b, client, env.URL, token, &seq)
					}
				})
				b.ReportMetric(float64(seq.Load())/time.Since(start).Seconds(), "records/s")
			})
		}
	}
}

func batchCreate(b *testing.B, client *http.Client, url, token string, seq *atomic.Int64) {
	// The body is written by hand: the benchmark shares the machine with
	// the hub, and reflection-based encoding here would be counted against it.
	body := make([]byte, 0, 20_000)
	body = append(body, `{"inputs":[`...)
	for i := range 100 {
		n := seq.Add(1)
		if i > 0 {
			body = append(body, ',')
		}
		body = fmt.Appendf(body, `{"properties":{"email":"bench%d@example.com","firstname":"Bench","lastname":"L%d",`+
			`"phone":"+1 555 0100","company":"Example Inc","lifecyclestage":"lead"}}`, n, n)
	}
	body = append(body, "]}"...)
	req, _ := http.NewRequest(http.MethodPost, url+"/crm/v3/objects/contacts/batch/create", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Errorf("status %d", resp.StatusCode)
	}
}

// BenchmarkGetHTTP measures GET /crm/v3/objects/contacts/{id} latency.
func BenchmarkGetHTTP(b *testing.B) {
	for _, backend := range hubtest.Backends {
		b.Run(string(backend), func(b *testing.B) {
			env := hubtest.New(b, backend)
			token := env.Token(b, hubtest.AllScopes...)
			var ids []string
			for i := range 10 {
				inputs := make([]map[string]any, 100)
				for j := range inputs {
					inputs[j] = map[string]any{"properties": map[string]string{"email": fmt.Sprintf("g%d-%d@example.com", i, j), "firstname": "Get"}}
				}
				resp := env.Do(b, http.MethodPost, "/crm/v3/objects/contacts/batch/create", token, map[string]any{"inputs": inputs})
				var out struct {
					Results []struct{ ID string } `json:"results"`
				}
				json.Unmarshal(resp.Body, &out)
				for _, r := range out.Results {
					ids = append(ids, r.ID)
				}
			}
			client := env.Server.Client()
			var lat []time.Duration
			i := 0
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, env.URL+"/crm/v3/objects/contacts/"+ids[i%len(ids)]+"?properties=email,firstname", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				i++
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkBatchReadWithHistory measures a batch read of 100 contacts with
// the history of three properties, each changed five times, against the
// same read without history.
func BenchmarkBatchReadWithHistory(b *testing.B) {
	for _, backend := range hubtest.Backends {
		for _, history := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/history=%v", backend, history), func(b *testing.B) {
				env := hubtest.New(b, backend)
				token := env.Token(b, hubtest.AllScopes...)
				var seq atomic.Int64
				batchCreate(b, http.DefaultClient, env.URL, token, &seq)
				recs, _, err := env.Hub.CRM.List(b.Context(), "contacts", false, "", 100)
				if err != nil {
					b.Fatal(err)
				}
				inputs := make([]map[string]any, len(recs))
				for i, r := range recs {
					inputs[i] = map[string]any{"id": fmt.Sprint(r.ID)}
					for round := range 5 {
						props := map[string]string{"firstname": fmt.Sprint("F", round), "lastname": fmt.Sprint("L", round), "phone": fmt.Sprint(round)}
						if _, err := env.Hub.CRM.Update(b.Context(), "cli", "contacts", fmt.Sprint(r.ID), "", props); err != nil {
							b.Fatal(err)
						}
					}
				}
				req := map[string]any{"inputs": inputs, "properties": []string{"email"}}
				if history {
					req["propertiesWithHistory"] = []string{"firstname", "lastname", "phone"}
				}
				for b.Loop() {
					if r := env.Do(b, http.MethodPost, "/crm/v3/objects/contacts/batch/read", token, req); r.Status != http.StatusOK {
						b.Fatalf("batch read: %d %s", r.Status, r.Body)
					}
				}
			})
		}
	}
}
