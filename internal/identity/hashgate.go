package identity

import (
	"context"
	"errors"
	"math"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// ErrBusy refuses a sign-in because too many passwords are being checked
// at once; it comes wrapped in a *RetryError.
var ErrBusy = errors.New("the hub is busy checking other passwords")

// HashGate bounds the memory argon2id holds at once. Each hash keeps its
// memory cost (64 MiB by default) for its whole run, and a wrong password
// costs as much as a right one, so a burst of sign-ins would otherwise take
// the process past its memory limit and starve everything else.
type HashGate struct {
	sem    *semaphore.Weighted
	budget int64 // KiB
	wait   time.Duration
	// running, peak and total count hashes, so tests can see the bound
	// hold and every attempt pay the same.
	running, peak, total atomic.Int64
}

// NewHashGate returns a gate that lets hashes hold budget bytes at once;
// a hash that finds no room within wait fails with ErrBusy.
func NewHashGate(budget int64, wait time.Duration) *HashGate {
	kib := max(budget>>10, 1)
	return &HashGate{sem: semaphore.NewWeighted(kib), budget: kib, wait: wait}
}

// Hash gate defaults: half the process's memory limit for hashing, and
// never less than four default hashes. The hub keeps its memory limit low
// (48 MiB) to hold the resident memory of long syncs down; a sign-in
// burst is short-lived memory on top of that, and sizing the gate from so
// low a limit would let only one hash run at a time, so a few anonymous
// attempts could keep real sign-ins waiting. The hub's former 512 MiB
// limit stands in when none is set (a server without one still should not
// grow without bound). A second is long enough for a person to wait and
// short enough that a flood of attempts does not pile up behind the gate.
const (
	hashShare          = 2
	minHashBudget      = 4 * 64 << 20
	unlimitedStandIn   = 512 << 20
	DefaultHashWait    = time.Second
	defaultHashRetryIn = time.Second
)

// DefaultHashGate sizes a gate from the Go memory limit (GOMEMLIMIT or
// debug.SetMemoryLimit) in force now.
func DefaultHashGate() *HashGate {
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		limit = unlimitedStandIn
	}
	return NewHashGate(max(limit/hashShare, minHashBudget), DefaultHashWait)
}

// Slots is how many hashes of cost p the gate runs at once.
func (g *HashGate) Slots(p Argon2Params) int {
	return int(max(g.budget/int64(max(p.MemoryKiB, 1)), 1))
}

// Peak is the most hashes that ever ran at once through the gate.
func (g *HashGate) Peak() int { return int(g.peak.Load()) }

// Hashes is how many hashes ran through the gate.
func (g *HashGate) Hashes() int { return int(g.total.Load()) }

// Run runs fn, which uses memKiB of memory, once the gate has room for it.
// A hash larger than the whole budget runs alone.
func (g *HashGate) Run(ctx context.Context, memKiB uint32, fn func()) error {
	weight := min(int64(max(memKiB, 1)), g.budget)
	wctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	if err := g.sem.Acquire(wctx, weight); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &RetryError{Err: ErrBusy, At: time.Now().Add(defaultHashRetryIn), After: defaultHashRetryIn}
	}
	defer g.sem.Release(weight)
	g.total.Add(1)
	n := g.running.Add(1)
	defer g.running.Add(-1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	fn()
	return nil
}
