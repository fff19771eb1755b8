package connector

import "context"

// Pacer spaces the calls a connection makes to its external app; a token
// bucket (golang.org/x/time/rate.Limiter) is one.
type Pacer interface {
	Wait(ctx context.Context) error
}

type pacerKey struct{}

// WithPacer returns a context whose calls to the external app wait on p
// first. Connectors call Pace before every request they send, so one
// method that makes several requests (a search that pages, a batch split
// after a refusal) stays within the connection's limit.
func WithPacer(ctx context.Context, p Pacer) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, pacerKey{}, p)
}

// Pace waits for ctx's pacer, if it has one.
func Pace(ctx context.Context) error {
	if p, ok := ctx.Value(pacerKey{}).(Pacer); ok {
		return p.Wait(ctx)
	}
	return nil
}
