// OAuth: a confidential app connects to the hub as a user, first the way
// @hubspot/api-client does it (authorization URL, token exchange, refresh,
// token information, then CRM calls with the issued tokens), then as a
// generic OAuth 2 client, openid-client, configured from the hub's RFC 8414
// metadata (code flow with PKCE, refresh, introspection, revocation).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@hubspot/api-client';
import * as oidc from 'openid-client';
import { email, hubURL, numericID, rejects } from './hubsync.mjs';
import { authorize, hubspotAuthURL, oauthApp, tokenRejected } from './consent.mjs';

const { clientId, clientSecret, redirectUri } = oauthApp;
const sorted = (a) => [...a].sort();

test('@hubspot/api-client: the URL getAuthorizationUrl builds starts a consent', async () => {
  // lib/src/discovery/oauth/OauthDiscovery.js sends client_id, redirect_uri,
  // scope, optional_scope and state, and no response_type, as HubSpot's
  // authorize URL has none.
  const client = new Client({ basePath: hubURL });
  const state = 'hs-plain-' + Date.now();
  const url = hubspotAuthURL(client, state, undefined, { withResponseType: false });
  assert.equal(new URL(url).searchParams.get('response_type'), null);
  const back = await authorize(url);
  assert.equal(back.state, state);
  const tokens = await client.oauth.tokensApi.create('authorization_code', back.code, redirectUri, clientId, clientSecret);
  assert.equal(typeof tokens.accessToken, 'string');
});

test('@hubspot/api-client: code exchange, token info, CRM calls, refresh', async () => {
  const client = new Client({ basePath: hubURL });
  const state = 'hs-state-' + Date.now();
  const optional = oauthApp.optionalScopes;
  const back = await authorize(hubspotAuthURL(client, state, optional), { grantOptional: optional });
  assert.equal(back.state, state, 'state comes back unchanged');
  const granted = sorted([...oauthApp.scopes, ...optional]);

  // Token exchange (no PKCE: the app is confidential).
  const tokens = await client.oauth.tokensApi.create('authorization_code', back.code, redirectUri, clientId, clientSecret);
  assert.equal(tokens.constructor.name, 'TokenResponseIF');
  assert.equal(typeof tokens.accessToken, 'string');
  assert.ok(tokens.accessToken.length >= 32, 'access token is long enough');
  assert.equal(typeof tokens.refreshToken, 'string');
  assert.notEqual(tokens.refreshToken, tokens.accessToken);
  assert.equal(tokens.tokenType.toLowerCase(), 'bearer');
  assert.equal(typeof tokens.expiresIn, 'number');
  assert.ok(tokens.expiresIn > 1790 && tokens.expiresIn <= 1800, `expiresIn ${tokens.expiresIn}, want about 1800`);
  assert.equal(tokens.idToken, undefined, 'no id_token from an OAuth 2 server');

  // Token information, in HubSpot's fields as the client maps them.
  const info = await client.oauth.accessTokensApi.get(tokens.accessToken);
  assert.equal(info.constructor.name, 'AccessTokenInfoResponse');
  assert.equal(info.token, tokens.accessToken);
  assert.equal(info.user, oauthApp.user);
  assert.equal(typeof info.hubId, 'number');
  assert.ok(info.hubId > 0);
  assert.equal(typeof info.userId, 'number');
  assert.ok(info.userId > 0);
  assert.equal(typeof info.appId, 'number');
  assert.ok(info.appId > 0);
  assert.deepEqual(sorted(info.scopes), granted, 'scopes are the required ones and the optional one allowed');
  assert.equal(typeof info.hubDomain, 'string');
  assert.equal(info.tokenType, 'access');
  assert.equal(typeof info.expiresIn, 'number'); // its value: see the expiry test below

  const rinfo = await client.oauth.refreshTokensApi.get(tokens.refreshToken);
  assert.equal(rinfo.constructor.name, 'RefreshTokenInfoResponse');
  assert.equal(rinfo.token, tokens.refreshToken);
  assert.equal(rinfo.user, oauthApp.user);
  assert.equal(rinfo.hubId, info.hubId);
  assert.equal(rinfo.userId, info.userId);
  assert.equal(rinfo.clientId, clientId);
  assert.deepEqual(sorted(rinfo.scopes), granted);
  assert.equal(rinfo.tokenType, 'refresh');

  // CRM calls as the user.
  client.setAccessToken(tokens.accessToken);
  const addr = email('oauth');
  const created = await client.crm.contacts.basicApi.create({ properties: { email: addr, firstname: 'Grace' }, associations: [] });
  numericID(created.id);
  assert.equal(created.properties.email, addr);
  const got = await client.crm.contacts.basicApi.getById(created.id, ['email', 'firstname']);
  assert.equal(got.id, created.id);
  assert.equal(got.properties.firstname, 'Grace');
  // The optional scope allowed reading companies, and nothing more.
  const page = await client.crm.companies.basicApi.getPage(1);
  assert.ok(Array.isArray(page.results));
  await rejects(client.crm.companies.basicApi.create({ properties: { name: 'No write scope' }, associations: [] }), 403, 'MISSING_SCOPES');
  await rejects(client.crm.deals.basicApi.getPage(1), 403, 'MISSING_SCOPES');

  // Refresh: a new access token that works, and the refresh token of the
  // install again (refresh.test.mjs covers reuse and rotation).
  const fresh = await client.oauth.tokensApi.create('refresh_token', undefined, undefined, clientId, clientSecret, tokens.refreshToken);
  assert.equal(typeof fresh.accessToken, 'string');
  assert.notEqual(fresh.accessToken, tokens.accessToken, 'refresh issues a new access token');
  assert.equal(fresh.refreshToken, tokens.refreshToken, 'a confidential app keeps its refresh token, as on HubSpot');
  assert.equal(fresh.tokenType.toLowerCase(), 'bearer');
  assert.ok(fresh.expiresIn > 1790 && fresh.expiresIn <= 1800, `expiresIn ${fresh.expiresIn}`);
  client.setAccessToken(fresh.accessToken);
  const updated = await client.crm.contacts.basicApi.update(created.id, { properties: { lastname: 'Hopper' } });
  assert.equal(updated.properties.lastname, 'Hopper');
  const freshInfo = await client.oauth.refreshTokensApi.get(fresh.refreshToken);
  assert.equal(freshInfo.userId, info.userId);
  assert.deepEqual(sorted(freshInfo.scopes), granted, 'refresh keeps the granted scopes');
});

test('a code-exchange access token expires in 30 minutes, by token info and introspection', async () => {
  // The token response says 1800; what the hub then reports for the same
  // access token must agree (and the hub must enforce it).
  const client = new Client({ basePath: hubURL });
  const back = await authorize(hubspotAuthURL(client, 'hs-expiry-' + Date.now()));
  const tokens = await client.oauth.tokensApi.create('authorization_code', back.code, redirectUri, clientId, clientSecret);
  assert.ok(tokens.expiresIn > 1790 && tokens.expiresIn <= 1800, `token response expiresIn ${tokens.expiresIn}`);
  const info = await client.oauth.accessTokensApi.get(tokens.accessToken);
  const introspected = await oidc.tokenIntrospection(await discover(), tokens.accessToken);
  assert.equal(introspected.active, true);
  const now = Date.now() / 1000;
  const infoOK = info.expiresIn > 1700 && info.expiresIn <= 1800;
  const expOK = introspected.exp > now + 1700 && introspected.exp <= now + 1801;
  assert.ok(infoOK && expOK, `want about 1800 s left: GET /oauth/v1/access-tokens gave expiresIn ${info.expiresIn}; ` +
    `introspection at ${Math.round(now)} gave ${JSON.stringify(introspected)}`);
});

test('@hubspot/api-client: deleting the refresh token ends the connection', async () => {
  const client = new Client({ basePath: hubURL });
  const state = 'hs-delete-' + Date.now();
  const back = await authorize(hubspotAuthURL(client, state));
  assert.equal(back.state, state);
  const tokens = await client.oauth.tokensApi.create('authorization_code', back.code, redirectUri, clientId, clientSecret);
  const info = await client.oauth.accessTokensApi.get(tokens.accessToken);
  assert.deepEqual(sorted(info.scopes), sorted(oauthApp.scopes), 'only the required scopes when no optional scope is asked for');

  // The code is single-use.
  const reusedCode = await tokenRejected(client.oauth.tokensApi.create('authorization_code', back.code, redirectUri, clientId, clientSecret),
    'second exchange of the same code');

  const withToken = new Client({ basePath: hubURL, accessToken: tokens.accessToken });
  // The second exchange revoked what the code issued: a reused code is a stolen code.
  await rejects(withToken.crm.contacts.basicApi.getPage(1), 401, 'INVALID_AUTHENTICATION');

  // A fresh connection, then DELETE /oauth/v1/refresh-tokens/{token}.
  const again = await authorize(hubspotAuthURL(client, state + '-2'));
  const t2 = await client.oauth.tokensApi.create('authorization_code', again.code, redirectUri, clientId, clientSecret);
  const live = new Client({ basePath: hubURL, accessToken: t2.accessToken });
  await live.crm.contacts.basicApi.getPage(1);
  assert.equal(await client.oauth.refreshTokensApi.archive(t2.refreshToken), undefined);
  await rejects(client.oauth.refreshTokensApi.get(t2.refreshToken), 404, 'OBJECT_NOT_FOUND');
  await rejects(client.oauth.accessTokensApi.get(t2.accessToken), 404, 'OBJECT_NOT_FOUND');
  await rejects(live.crm.contacts.basicApi.getPage(1), 401, 'INVALID_AUTHENTICATION');
  const deleted = await tokenRejected(client.oauth.tokensApi.create('refresh_token', undefined, undefined, clientId, clientSecret, t2.refreshToken),
    'refresh after the refresh token was deleted');

  // HubSpot's statuses for these refusals (shared/HUBSPOT-API.md).
  assert.deepEqual([reusedCode.body.status, deleted.body.status], ['BAD_AUTH_CODE', 'BAD_REFRESH_TOKEN'],
    `HubSpot status of the reused code's and the deleted refresh token's refusals: ${JSON.stringify([reusedCode.body, deleted.body])}`);
});

// discover configures openid-client from the hub's RFC 8414 metadata.
function discover(clientAuth) {
  return oidc.discovery(new URL(hubURL), clientId, clientSecret, clientAuth,
    { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });
}

async function crmStatus(config, accessToken) {
  const res = await oidc.fetchProtectedResource(config, accessToken, new URL(`${hubURL}/crm/v3/objects/contacts?limit=1`), 'GET');
  await res.arrayBuffer();
  return res.status;
}

// pkceFlow runs the code flow with PKCE and returns the token response.
async function pkceFlow(config) {
  const pkceCodeVerifier = oidc.randomPKCECodeVerifier();
  const expectedState = oidc.randomState();
  const authURL = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: oauthApp.scopes.join(' '),
    code_challenge: await oidc.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
  });
  assert.equal(authURL.origin + authURL.pathname, `${hubURL}/oauth/authorize`);
  const back = await authorize(authURL.href);
  return oidc.authorizationCodeGrant(config, back.url, { pkceCodeVerifier, expectedState });
}

test('openid-client: metadata discovery, code flow with PKCE, refresh, introspection, revocation', async () => {
  const config = await discover();
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, hubURL);
  assert.equal(meta.authorization_endpoint, `${hubURL}/oauth/authorize`);
  assert.equal(meta.token_endpoint, `${hubURL}/oauth/v1/token`);
  assert.ok(meta.response_types_supported.includes('code'));
  assert.ok(meta.grant_types_supported.includes('authorization_code'));
  assert.ok(meta.grant_types_supported.includes('refresh_token'));
  assert.ok(meta.supportsPKCE('S256'), 'metadata advertises PKCE S256');
  for (const sc of oauthApp.scopes) assert.ok(meta.scopes_supported.includes(sc), `scopes_supported lacks ${sc}`);

  const tokens = await pkceFlow(config);
  assert.equal(typeof tokens.access_token, 'string');
  assert.equal(typeof tokens.refresh_token, 'string');
  assert.equal(tokens.token_type, 'bearer');
  assert.ok(tokens.expires_in > 1790 && tokens.expires_in <= 1800, `expires_in ${tokens.expires_in}, want about 1800`);
  const ttl = tokens.expiresIn();
  assert.ok(ttl > 1790 && ttl <= 1800, `expiresIn() ${ttl}`);
  // HubSpot's additions to the token response.
  assert.equal(typeof tokens.hub_id, 'number');
  assert.equal(typeof tokens.user_id, 'number');
  assert.deepEqual(sorted(tokens.scopes), sorted(oauthApp.scopes));
  assert.equal(await crmStatus(config, tokens.access_token), 200);
  assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, true);

  const fresh = await oidc.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(fresh.access_token, tokens.access_token);
  assert.equal(fresh.refresh_token, tokens.refresh_token, 'a confidential app keeps its refresh token');
  assert.equal(fresh.token_type, 'bearer');
  assert.ok(fresh.expires_in > 1790 && fresh.expires_in <= 1800, `expires_in ${fresh.expires_in}`);
  assert.equal(await crmStatus(config, fresh.access_token), 200);

  assert.ok(meta.introspection_endpoint, 'metadata advertises introspection');
  const active = await oidc.tokenIntrospection(config, fresh.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, clientId);
  assert.equal(active.username, oauthApp.user);
  assert.deepEqual(sorted(active.scope.split(' ')), sorted(oauthApp.scopes));
  assert.ok(active.exp > Date.now() / 1000 + 1700, `exp ${active.exp} is about 30 minutes ahead`);
  assert.equal(active.hub_id, tokens.hub_id);
  assert.equal(active.user_id, tokens.user_id);
  const activeRefresh = await oidc.tokenIntrospection(config, fresh.refresh_token, { token_type_hint: 'refresh_token' });
  assert.equal(activeRefresh.active, true);

  assert.ok(meta.revocation_endpoint, 'metadata advertises revocation');
  await oidc.tokenRevocation(config, fresh.refresh_token, { token_type_hint: 'refresh_token' });
  assert.deepEqual(await oidc.tokenIntrospection(config, fresh.refresh_token), { active: false });
  assert.deepEqual(await oidc.tokenIntrospection(config, fresh.access_token), { active: false },
    'revoking the refresh token ends the access tokens of its grant');
  assert.equal(await crmStatus(config, fresh.access_token), 401);
  await assert.rejects(oidc.refreshTokenGrant(config, fresh.refresh_token), (err) => {
    assert.ok(err instanceof oidc.ResponseBodyError, `not a ResponseBodyError: ${err.stack}`);
    assert.equal(err.status, 400);
    assert.equal(err.error, 'invalid_grant');
    return true;
  });
});

test('openid-client: client_secret_basic at the token and revocation endpoints, a wrong PKCE verifier, access token revocation', async () => {
  const config = await discover(oidc.ClientSecretBasic(clientSecret));
  const post = await discover();

  // A code redeemed with the wrong verifier is refused with invalid_grant.
  const expectedState = oidc.randomState();
  const verifier = oidc.randomPKCECodeVerifier();
  const authURL = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: oauthApp.scopes.join(' '), state: expectedState,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const back = await authorize(authURL.href);
  await assert.rejects(oidc.authorizationCodeGrant(config, back.url, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState }),
    (err) => {
      assert.ok(err instanceof oidc.ResponseBodyError, `not a ResponseBodyError: ${err.stack}`);
      assert.equal(err.status, 400);
      assert.equal(err.error, 'invalid_grant');
      assert.ok(err.error_description?.length > 0);
      return true;
    });

  // The whole flow with HTTP Basic client authentication.
  const tokens = await pkceFlow(config);
  assert.equal(await crmStatus(config, tokens.access_token), 200);
  const fresh = await oidc.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal(await crmStatus(config, fresh.access_token), 200);

  // Revoking an access token ends it (RFC 7009 lets the server end its
  // refresh token too, so that is not asserted either way).
  await oidc.tokenRevocation(config, fresh.access_token, { token_type_hint: 'access_token' });
  assert.deepEqual(await oidc.tokenIntrospection(post, fresh.access_token), { active: false });
  assert.equal(await crmStatus(config, fresh.access_token), 401);
});

test('openid-client: introspection with client_secret_basic', async () => {
  // oauth4webapi (build/index.js, ClientSecretBasic and formUrlEncode)
  // form-urlencodes client_id and secret before base64, as RFC 6749 section
  // 2.3.1 says, so "-" and "_" arrive as %2D and %5F.
  const config = await discover(oidc.ClientSecretBasic(clientSecret));
  const tokens = await pkceFlow(await discover());
  const info = await oidc.tokenIntrospection(config, tokens.access_token);
  assert.equal(info.active, true);
  assert.equal(info.client_id, clientId);
});
