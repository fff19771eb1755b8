package oauth

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/ory/fosite"

	"github.com/hubsync/hubsync/internal/store"
)

// fositeStore keeps fosite's codes, tokens and PKCE records in the hub's
// store, by signature (a keyed hash), with the request each stands for. The
// first code of a consent also creates its grant.
type fositeStore struct {
	store store.Store
	now   func() time.Time
	apps  *appCache
}

// storedRequest is a fosite request as stored: the client by id, and of the
// form only what later steps read, never a secret.
type storedRequest struct {
	ID                string          `json:"id"`
	RequestedAt       time.Time       `json:"requested_at"`
	ClientID          string          `json:"client_id"`
	RequestedScope    []string        `json:"requested_scope"`
	GrantedScope      []string        `json:"granted_scope"`
	RequestedAudience []string        `json:"requested_audience,omitempty"`
	GrantedAudience   []string        `json:"granted_audience,omitempty"`
	Form              url.Values      `json:"form,omitempty"`
	Session           json.RawMessage `json:"session"`
}

// keptForm are the request parameters later steps need: the redirect URI
// the code exchange must repeat and the PKCE challenge.
var keptForm = []string{"redirect_uri", "code_challenge", "code_challenge_method"}

func encodeRequest(r fosite.Requester) ([]byte, error) {
	s, ok := r.GetSession().(*Session)
	if !ok {
		return nil, errors.New("fosite request without a hub session")
	}
	form := url.Values{}
	for _, k := range keptForm {
		if v := r.GetRequestForm().Get(k); v != "" {
			form.Set(k, v)
		}
	}
	session, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedRequest{ID: r.GetID(), RequestedAt: r.GetRequestedAt(), ClientID: r.GetClient().GetID(),
		RequestedScope: r.GetRequestedScopes(), GrantedScope: r.GetGrantedScopes(),
		RequestedAudience: r.GetRequestedAudience(), GrantedAudience: r.GetGrantedAudience(), Form: form, Session: session})
}

func (f *fositeStore) decodeRequest(ctx context.Context, data []byte, session fosite.Session) (fosite.Requester, error) {
	var sr storedRequest
	if err := json.Unmarshal(data, &sr); err != nil {
		return nil, err
	}
	app, err := f.apps.get(ctx, sr.ClientID)
	if err != nil {
		return nil, err
	}
	// The stored session is decoded into the one fosite passes, as a
	// merge: fosite has already set the expiry of the tokens it is about to
	// issue there, and the stored session must not wipe it out.
	if session == nil {
		session = &Session{}
	}
	if err := json.Unmarshal(sr.Session, session); err != nil {
		return nil, err
	}
	return &fosite.Request{ID: sr.ID, RequestedAt: sr.RequestedAt, Client: fositeClient(app),
		RequestedScope: sr.RequestedScope, GrantedScope: sr.GrantedScope,
		RequestedAudience: sr.RequestedAudience, GrantedAudience: sr.GrantedAudience,
		Form: sr.Form, Session: session}, nil
}

// client is an app as fosite sees it, with whether its refresh tokens
// rotate and the app itself, whose policies a refresh applies.
type client struct {
	*fosite.DefaultClient
	rotates bool
	app     store.App
}

func fositeClient(a store.App) *client {
	return &client{DefaultClient: &fosite.DefaultClient{ID: a.ClientID, Secret: a.SecretHash, RedirectURIs: a.RedirectURIs,
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scopes: append(append([]string{}, a.Scopes...), a.OptionalScopes...), Public: a.Public}, rotates: rotates(a), app: a}
}

// fositeErr turns store errors into the ones fosite understands.
func fositeErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fosite.ErrNotFound
	}
	return err
}

func (f *fositeStore) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	app, err := f.apps.get(ctx, id)
	if err != nil {
		return nil, fositeErr(err)
	}
	return fositeClient(app), nil
}

// The hub takes no JWT client assertions, so there are no JTIs to track.
func (f *fositeStore) ClientAssertionJWTValid(context.Context, string) error { return nil }

func (f *fositeStore) SetClientAssertionJWT(context.Context, string, time.Time) error { return nil }

func (f *fositeStore) create(ctx context.Context, kind, signature, accessSignature string, r fosite.Requester, exp time.Time) error {
	data, err := encodeRequest(r)
	if err != nil {
		return err
	}
	return f.store.Update(ctx, func(tx store.Tx) error {
		return tx.CreateToken(ctx, store.Token{Kind: kind, Signature: signature, GrantID: r.GetID(),
			AccessSignature: accessSignature, Active: true, ExpiresAt: exp, Request: data, CreatedAt: f.now().UTC()})
	})
}

// get returns a token's request; inactive tokens come with inactive, so
// fosite can tell reuse from nonsense.
func (f *fositeStore) get(ctx context.Context, kind, signature string, session fosite.Session, inactive error) (fosite.Requester, error) {
	var tok store.Token
	err := f.store.View(ctx, func(tx store.Tx) (err error) {
		tok, err = tx.Token(ctx, kind, signature)
		return err
	})
	if err != nil {
		return nil, fositeErr(err)
	}
	active := tok.Active
	req, err := f.decodeRequest(ctx, tok.Request, session)
	if err != nil {
		return nil, fositeErr(err)
	}
	if !active {
		return req, inactive
	}
	return req, nil
}

func (f *fositeStore) delete(ctx context.Context, kind, signature string) error {
	return fositeErr(f.store.Update(ctx, func(tx store.Tx) error { return tx.DeleteToken(ctx, kind, signature) }))
}

// CreateAuthorizeCodeSession stores a code and, for a new consent, its grant.
func (f *fositeStore) CreateAuthorizeCodeSession(ctx context.Context, code string, r fosite.Requester) error {
	s, ok := r.GetSession().(*Session)
	if !ok {
		return errors.New("fosite request without a hub session")
	}
	data, err := encodeRequest(r)
	if err != nil {
		return err
	}
	now := f.now().UTC()
	return f.store.Update(ctx, func(tx store.Tx) error {
		app, err := tx.AppByClientID(ctx, r.GetClient().GetID())
		if err != nil {
			return err
		}
		user, err := tx.User(ctx, s.UserID)
		if err != nil {
			return err
		}
		g := store.Grant{ID: r.GetID(), AppID: app.ID, UserID: user.ID, Scopes: r.GetGrantedScopes(),
			CredentialsEpoch: user.CredentialsEpoch, CreatedAt: now}
		if err := tx.CreateGrant(ctx, g); err != nil {
			return err
		}
		return tx.CreateToken(ctx, store.Token{Kind: store.TokenCode, Signature: code, GrantID: r.GetID(),
			Active: true, ExpiresAt: s.GetExpiresAt(fosite.AuthorizeCode), Request: data, CreatedAt: now})
	})
}

func (f *fositeStore) GetAuthorizeCodeSession(ctx context.Context, code string, session fosite.Session) (fosite.Requester, error) {
	return f.get(ctx, store.TokenCode, code, session, fosite.ErrInvalidatedAuthorizeCode)
}

func (f *fositeStore) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	return fositeErr(f.store.Update(ctx, func(tx store.Tx) error { return tx.DeactivateToken(ctx, store.TokenCode, code) }))
}

func (f *fositeStore) CreateAccessTokenSession(ctx context.Context, signature string, r fosite.Requester) error {
	exp := r.GetSession().GetExpiresAt(fosite.AccessToken)
	if exp.IsZero() {
		// An access token without an end would never expire: refuse it.
		return errors.New("access token without an expiry")
	}
	return f.create(ctx, store.TokenAccess, signature, "", r, exp)
}

func (f *fositeStore) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return f.get(ctx, store.TokenAccess, signature, session, fosite.ErrInactiveToken)
}

func (f *fositeStore) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return f.delete(ctx, store.TokenAccess, signature)
}

// CreateRefreshTokenSession stores a new refresh token of a grant, at a
// code exchange or a rotation: the grant counts as refreshed now, and the
// token ends where its app's lifetime policies end it.
func (f *fositeStore) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, r fosite.Requester) error {
	data, err := encodeRequest(r)
	if err != nil {
		return err
	}
	return f.store.Update(ctx, func(tx store.Tx) error {
		end, err := f.markRefreshed(ctx, tx, r.GetID(), clientApp(r))
		if err != nil {
			return err
		}
		return tx.CreateToken(ctx, store.Token{Kind: store.TokenRefresh, Signature: signature, GrantID: r.GetID(),
			AccessSignature: accessSignature, Active: true, ExpiresAt: end, Request: data, CreatedAt: f.now().UTC()})
	})
}

// refreshKept stores the access token of a refresh whose refresh token
// stays, and records the refresh: the grant counts as refreshed now, and
// the token's end moves with its idle lifetime. One transaction does it
// all, so a refresh costs one commit.
func (f *fositeStore) refreshKept(ctx context.Context, accessSignature, refreshSignature string, r fosite.Requester) error {
	exp := r.GetSession().GetExpiresAt(fosite.AccessToken)
	if exp.IsZero() {
		return errors.New("access token without an expiry")
	}
	data, err := encodeRequest(r)
	if err != nil {
		return err
	}
	return f.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateToken(ctx, store.Token{Kind: store.TokenAccess, Signature: accessSignature, GrantID: r.GetID(),
			Active: true, ExpiresAt: exp, Request: data, CreatedAt: f.now().UTC()}); err != nil {
			return err
		}
		end, err := f.markRefreshed(ctx, tx, r.GetID(), clientApp(r))
		if err != nil {
			return err
		}
		return tx.SetTokenExpiry(ctx, store.TokenRefresh, refreshSignature, end)
	})
}

// clientApp is the app of a request's client, as GetClient found it.
func clientApp(r fosite.Requester) store.App {
	if c, ok := r.GetClient().(*client); ok {
		return c.app
	}
	return store.App{}
}

// markRefreshed notes a refresh of a grant and returns when its refresh
// token now ends (zero: never). The grant is read only when the app sets a
// lifetime, which needs its start.
func (f *fositeStore) markRefreshed(ctx context.Context, tx store.Tx, grantID string, app store.App) (time.Time, error) {
	now := f.now().UTC()
	if err := tx.SetGrantRefreshed(ctx, grantID, now); err != nil {
		return time.Time{}, err
	}
	if app.RefreshTokenIdleTTL == 0 && app.RefreshTokenAbsoluteTTL == 0 {
		return time.Time{}, nil
	}
	g, err := tx.Grant(ctx, grantID)
	if err != nil {
		return time.Time{}, err
	}
	end, _ := refreshEnd(app, g)
	return end, nil
}

func (f *fositeStore) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return f.get(ctx, store.TokenRefresh, signature, session, fosite.ErrInactiveToken)
}

func (f *fositeStore) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return f.delete(ctx, store.TokenRefresh, signature)
}

// RotateRefreshToken retires a refresh token and the access token issued
// with it. Of two refreshes racing with one token only the first retires
// it; the other fails instead of forking the grant.
func (f *fositeStore) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	err := f.store.Update(ctx, func(tx store.Tx) error {
		tok, err := tx.Token(ctx, store.TokenRefresh, signature)
		if err != nil {
			return err
		}
		if err := tx.DeactivateToken(ctx, store.TokenRefresh, signature); err != nil {
			return err
		}
		if err := tx.DeactivateToken(ctx, store.TokenAccess, tok.AccessSignature); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return fosite.ErrSerializationFailure
	}
	return err
}

// RevokeRefreshToken ends the whole grant: fosite calls it on refresh-token
// or code reuse and on RFC 7009 revocation of either token (which the RFC
// allows for access tokens too).
func (f *fositeStore) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return f.store.Update(ctx, func(tx store.Tx) error {
		g, err := tx.Grant(ctx, requestID)
		if err != nil {
			return fositeErr(err)
		}
		return revokeGrant(ctx, tx, g, revokeReason(ctx), f.now())
	})
}

// RevokeAccessToken retires the grant's access tokens; its refresh token
// stays, as RFC 7009 allows.
func (f *fositeStore) RevokeAccessToken(ctx context.Context, requestID string) error {
	return f.store.Update(ctx, func(tx store.Tx) error {
		return tx.DeactivateGrantTokens(ctx, requestID, store.TokenAccess)
	})
}

func (f *fositeStore) CreatePKCERequestSession(ctx context.Context, signature string, r fosite.Requester) error {
	return f.create(ctx, store.TokenPKCE, signature, "", r, r.GetSession().GetExpiresAt(fosite.AuthorizeCode))
}

func (f *fositeStore) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return f.get(ctx, store.TokenPKCE, signature, session, fosite.ErrNotFound)
}

func (f *fositeStore) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return f.delete(ctx, store.TokenPKCE, signature)
}

type reasonKey struct{}

// withRevokeReason says why a grant revoked during this request ends.
func withRevokeReason(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, reasonKey{}, reason)
}

func revokeReason(ctx context.Context) string {
	if r, ok := ctx.Value(reasonKey{}).(string); ok {
		return r
	}
	return "revoked"
}

// secretHasher compares client secrets by keyed hash, in constant time.
type secretHasher struct{ h Hasher }

func (s secretHasher) Compare(_ context.Context, hash, data []byte) error {
	if len(hash) == 0 || !hmac.Equal(hash, s.h.Hash(string(data))) {
		return errors.New("client secret does not match")
	}
	return nil
}

func (s secretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	return s.h.Hash(string(data)), nil
}
