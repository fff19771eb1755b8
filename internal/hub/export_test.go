package hub

import "context"

// MarkInterrupted lets tests look for interrupted runs as the hub's
// background work does.
func (h *Hub) MarkInterrupted(ctx context.Context) (int, error) { return h.markInterrupted(ctx) }
