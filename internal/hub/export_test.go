package hub

import "context"

// MarkInterrupted lets tests look for interrupted runs as the hub's
// background work does.
func (h *Hub) MarkInterrupted(ctx context.Context) (int, error) { return h.markInterrupted(ctx) }

// Wake lets tests look at the change feed as the hub's watcher does.
func (h *Hub) Wake(ctx context.Context, after int64) (int64, error) { return h.wake(ctx, after) }
