// Refresh tokens as HubSpot documents them: an app stores the refresh token
// of the install and reuses it for every refresh. An app that opted into
// rotation gets a new one each time, and a rotated token's reuse ends the
// grant. Token answers and token errors carry the fields HubSpot's
// published models require (token_use; category).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@hubspot/api-client';
import { hubURL, rejects, uuid } from './hubsync.mjs';
import { authorize, hubspotAuthURL, oauthApp, rotatingApp, tokenRejected } from './consent.mjs';

// install connects app as its user and returns the token answer.
async function install(client, app) {
  const back = await authorize(hubspotAuthURL(client, 'install-' + Date.now(), undefined, { app }));
  return client.oauth.tokensApi.create('authorization_code', back.code, app.redirectUri, app.clientId, app.clientSecret);
}

function refresh(client, app, refreshToken) {
  return client.oauth.tokensApi.create('refresh_token', undefined, undefined, app.clientId, app.clientSecret, refreshToken);
}

// tokenRequest posts a form to the token endpoint and returns the status
// and JSON body, for the fields the client's models leave out.
async function tokenRequest(form) {
  const res = await fetch(`${hubURL}/oauth/v1/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: await res.json() };
}

test('the refresh token of the install works for a second refresh and after', async () => {
  const client = new Client({ basePath: hubURL });
  const tokens = await install(client, oauthApp);
  const accessTokens = [tokens.accessToken];
  for (const n of [1, 2, 3]) {
    const fresh = await refresh(client, oauthApp, tokens.refreshToken);
    assert.equal(fresh.refreshToken, tokens.refreshToken, `refresh ${n} answers the install's refresh token`);
    assert.ok(!accessTokens.includes(fresh.accessToken), `refresh ${n} issues a new access token`);
    accessTokens.push(fresh.accessToken);
  }
  // Every access token works until it expires, the first one too.
  for (const accessToken of accessTokens) {
    const page = await new Client({ basePath: hubURL, accessToken }).crm.contacts.basicApi.getPage(1);
    assert.ok(Array.isArray(page.results));
  }
  const info = await client.oauth.refreshTokensApi.get(tokens.refreshToken);
  assert.equal(info.clientId, oauthApp.clientId);

  // The wire answer has what HubSpot's AccessTokenResponse requires.
  const raw = await tokenRequest({ grant_type: 'refresh_token', client_id: oauthApp.clientId,
    client_secret: oauthApp.clientSecret, refresh_token: tokens.refreshToken });
  assert.equal(raw.status, 200, JSON.stringify(raw.body));
  for (const k of ['access_token', 'refresh_token', 'expires_in', 'token_type']) assert.ok(k in raw.body, `token answer lacks ${k}`);
  assert.equal(raw.body.token_use, 'access_token');

  // Deleting the refresh token (an uninstall) ends it.
  await client.oauth.refreshTokensApi.archive(tokens.refreshToken);
  const ended = await tokenRejected(refresh(client, oauthApp, tokens.refreshToken), 'refresh after the refresh token was deleted');
  assert.equal(ended.body.status, 'BAD_REFRESH_TOKEN');
  await rejects(new Client({ basePath: hubURL, accessToken: accessTokens.at(-1) }).crm.contacts.basicApi.getPage(1),
    401, 'INVALID_AUTHENTICATION');
});

test('an app that opted into rotation: a rotated refresh token\'s reuse ends the grant', async () => {
  const client = new Client({ basePath: hubURL });
  const tokens = await install(client, rotatingApp);
  const fresh = await refresh(client, rotatingApp, tokens.refreshToken);
  assert.notEqual(fresh.refreshToken, tokens.refreshToken, 'the refresh token rotates');
  const live = new Client({ basePath: hubURL, accessToken: fresh.accessToken });
  await live.crm.contacts.basicApi.getPage(1);

  const reused = await tokenRejected(refresh(client, rotatingApp, tokens.refreshToken), 'refresh with the rotated refresh token');
  await rejects(live.crm.contacts.basicApi.getPage(1), 401, 'INVALID_AUTHENTICATION');
  const newest = await tokenRejected(refresh(client, rotatingApp, fresh.refreshToken), 'refresh with the newest token after reuse');
  assert.deepEqual([reused.body.status, newest.body.status], ['BAD_REFRESH_TOKEN', 'BAD_REFRESH_TOKEN']);
});

test('token-endpoint errors carry HubSpot\'s category, correlationId and message', async () => {
  for (const [form, category] of [
    [{ grant_type: 'refresh_token', client_id: oauthApp.clientId, client_secret: oauthApp.clientSecret, refresh_token: 'ory_rt_unknown.token' },
      'INVALID_AUTHENTICATION'],
    [{ grant_type: 'refresh_token', client_id: oauthApp.clientId, client_secret: 'wrong', refresh_token: 'x' }, 'INVALID_AUTHENTICATION'],
    [{ grant_type: 'password', client_id: oauthApp.clientId }, 'VALIDATION_ERROR'],
  ]) {
    const { status, body } = await tokenRequest(form);
    assert.ok(status === 400 || status === 401, `${JSON.stringify(form)}: HTTP ${status}`);
    assert.equal(body.category, category, JSON.stringify(body));
    assert.match(body.correlationId ?? '', uuid);
    assert.ok(body.message?.length > 0 && body.error?.length > 0, JSON.stringify(body));
  }
});
