package oauth

import (
	"context"
	"sync"

	"github.com/hubsync/hubsync/internal/store"
)

// appCache keeps the apps the token endpoint looked up, by client id, each
// with the auth generation it was read at: every change to an app (a new
// secret, new redirect URIs or policies, its deletion) moves the
// generation, so an app is used only while one primary-key read shows it
// is as read. Only apps that exist enter; their number is what admins
// registered.
type appCache struct {
	store store.Store
	mu    sync.Mutex
	apps  map[string]cachedApp
}

type cachedApp struct {
	app        store.App
	generation int64
}

func newAppCache(st store.Store) *appCache {
	return &appCache{store: st, apps: map[string]cachedApp{}}
}

// get returns the app with this client id as it is now.
func (c *appCache) get(ctx context.Context, clientID string) (store.App, error) {
	gen, err := generation(ctx, c.store)
	if err != nil {
		return store.App{}, err
	}
	c.mu.Lock()
	e, ok := c.apps[clientID]
	c.mu.Unlock()
	if ok && e.generation == gen {
		return e.app, nil
	}
	var app store.App
	err = c.store.View(ctx, func(tx store.Tx) (err error) {
		app, err = tx.AppByClientID(ctx, clientID)
		return err
	})
	if err != nil {
		return store.App{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.apps) >= maxChecked {
		clear(c.apps)
	}
	c.apps[clientID] = cachedApp{app: app, generation: gen}
	return app, nil
}

type generationKey struct{}

// withGeneration reads the auth generation once for a whole request, so
// the caches it consults cost one read between them. Answers read later in
// the request are newer than it, which is the safe way round.
func withGeneration(ctx context.Context, st store.Store) (context.Context, error) {
	g, err := st.AuthGeneration(ctx)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, generationKey{}, g), nil
}

// generation is the request's auth generation, read now if the request
// has none.
func generation(ctx context.Context, st store.Store) (int64, error) {
	if g, ok := ctx.Value(generationKey{}).(int64); ok {
		return g, nil
	}
	return st.AuthGeneration(ctx)
}
