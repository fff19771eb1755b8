package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SnapshotEvery is how long a snapshot's values are reused: however often
// anyone scrapes, the store is read at most once in that time per gauge.
const SnapshotEvery = 5 * time.Second

// readTimeout bounds one read of a snapshot, so a slow store cannot hold
// scrapes.
const readTimeout = 2 * time.Second

// Snapshot is a gauge family counted at scrape time, such as connections
// by status, from a read of the store that is cached for SnapshotEvery.
type Snapshot struct {
	desc  *prometheus.Desc
	read  func(ctx context.Context) (map[string]float64, error)
	every time.Duration

	mu     sync.Mutex
	at     time.Time
	values map[string]float64
}

// NewSnapshot is a gauge family named name with one label, whose values
// read returns by label value.
func NewSnapshot(name, help, label string, read func(ctx context.Context) (map[string]float64, error)) *Snapshot {
	return &Snapshot{desc: prometheus.NewDesc(name, help, []string{label}, nil), read: read, every: SnapshotEvery}
}

func (s *Snapshot) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

// Collect sends the cached values, reading afresh when they are older than
// every. Scrapes that arrive together wait for one read; a failed read
// keeps the last values.
func (s *Snapshot) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	if time.Since(s.at) >= s.every {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		if v, err := s.read(ctx); err == nil {
			s.values = v
		}
		cancel()
		s.at = time.Now()
	}
	values := s.values
	s.mu.Unlock()
	for label, v := range values {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, v, label)
	}
}
