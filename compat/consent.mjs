// The browser half of an OAuth code flow against the hub: what a person does
// between an app sending them to /oauth/authorize and the hub sending them
// back to the app's redirect URI with a code. Plain fetch with
// redirect: 'manual' and cookies kept by hand, so every step is checked.
// Beside it, what OAuth tests share: the authorization URL as HubSpot's
// client builds it, and the check of a refused token request.
//
// The OAuth app and user come from HUBSYNC_OAUTH_* (compat_test.go creates
// them on each hub it starts).

import assert from 'node:assert/strict';
import { hubURL, uuid } from './hubsync.mjs';

function required(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run these tests through "go test ./compat/"`);
  }
  return v;
}

// oauthApp is the confidential app and the user who connects it.
export const oauthApp = {
  clientId: required('HUBSYNC_OAUTH_CLIENT_ID'),
  clientSecret: required('HUBSYNC_OAUTH_CLIENT_SECRET'),
  redirectUri: required('HUBSYNC_OAUTH_REDIRECT_URI'),
  user: required('HUBSYNC_OAUTH_USER'),
  password: required('HUBSYNC_OAUTH_PASSWORD'),
  scopes: required('HUBSYNC_OAUTH_SCOPES').split(' '),
  optionalScopes: (process.env.HUBSYNC_OAUTH_OPTIONAL_SCOPES ?? '').split(' ').filter(Boolean),
};

// rotatingApp is a confidential app that opted into refresh-token
// rotation, with oauthApp's redirect URI, required scopes and user.
export const rotatingApp = {
  ...oauthApp,
  clientId: required('HUBSYNC_OAUTH_ROTATING_CLIENT_ID'),
  clientSecret: required('HUBSYNC_OAUTH_ROTATING_CLIENT_SECRET'),
  optionalScopes: [],
};

// hubspotAuthURL builds the authorization URL with the client's own helper.
// It always points at app.hubspot.com, so a user of the client swaps the
// origin for the hub's. The helper sends no response_type (HubSpot does not
// need one); withResponseType adds response_type=code, which the hub
// requires, so the token tests can run past that incompatibility (see the
// first test).
// app is the app to authorize (oauthApp unless given).
export function hubspotAuthURL(client, state, optionalScopes, { withResponseType = true, app = oauthApp } = {}) {
  const built = new URL(client.oauth.getAuthorizationUrl(app.clientId, app.redirectUri, app.scopes.join(' '),
    optionalScopes?.join(' '), state));
  assert.equal(built.origin, 'https://app.hubspot.com');
  assert.equal(built.pathname, '/oauth/authorize');
  if (withResponseType) built.searchParams.set('response_type', 'code');
  return hubURL + built.pathname + built.search;
}

// tokenRejected awaits a tokensApi call that must fail with 400 and an
// RFC 6749 error. The client passes the error body through as parsed JSON
// (its "Error" type is not in the oauth ObjectSerializer's typeMap), so both
// RFC 6749's and HubSpot's fields are there.
export async function tokenRejected(promise, what) {
  let err;
  try {
    const value = await promise;
    assert.fail(`${what}: expected HTTP 400, got success: ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  assert.equal(err.constructor.name, 'ApiException', `${what}: not an ApiException: ${err.stack}`);
  assert.equal(err.code, 400, `${what}: HTTP status; body: ${JSON.stringify(err.body)}`);
  assert.equal(typeof err.body, 'object', `${what}: body was not parsed: ${err.body}`);
  assert.ok(err.body.message?.length > 0, `${what}: message is empty; body: ${JSON.stringify(err.body)}`);
  assert.match(err.body.correlationId ?? '', uuid, `${what}: correlationId is a UUID`);
  // HubSpot's published Error model requires a category.
  assert.ok(err.body.category?.length > 0, `${what}: category is missing; body: ${JSON.stringify(err.body)}`);
  assert.equal(err.body.error, 'invalid_grant', `${what}: ${JSON.stringify(err.body)}`);
  assert.ok(err.body.error_description?.length > 0, `${what}: error_description is empty`);
  return err;
}

// Browser is a cookie-keeping client that never follows redirects.
class Browser {
  cookies = new Map();

  async request(method, url, form) {
    const headers = {};
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
      if (value === '' || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const location = res.headers.get('location');
    return { status: res.status, location: location && new URL(location, url).href, body: await res.text() };
  }
}

// html/template escapes attribute values; undo it.
function unescapeHTML(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

// hidden returns the value of a page's hidden input.
function hidden(page, name) {
  const m = page.body.match(new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`));
  assert.ok(m, `page has no hidden ${name} field:\n${page.body}`);
  return unescapeHTML(m[1]);
}

// authorize takes a browser from an authorization URL on the hub through
// sign-in and consent (allowing, with the optional scopes in grantOptional)
// and returns where the hub sends it back: { url, code, state }.
export async function authorize(authURL, { email = oauthApp.user, password = oauthApp.password, grantOptional = [] } = {}) {
  const b = new Browser();
  const start = await b.request('GET', authURL);
  assert.equal(start.status, 303, `authorize without a session should send the browser to sign in:\n${start.body}`);
  assert.equal(new URL(start.location).searchParams.get('error'), null, `authorize redirected with an error: ${start.location}`);
  const signInURL = new URL(start.location);
  assert.equal(signInURL.pathname, '/signin');

  const signIn = await b.request('GET', signInURL.href);
  assert.equal(signIn.status, 200, `sign-in page:\n${signIn.body}`);
  const signedIn = await b.request('POST', new URL('/signin', authURL).href, {
    email, password, csrf: hidden(signIn, 'csrf'), return_to: hidden(signIn, 'return_to'),
  });
  assert.equal(signedIn.status, 303, `sign in as ${email}:\n${signedIn.body}`);
  const back = new URL(signedIn.location);
  const want = new URL(authURL);
  assert.equal(back.pathname + back.search, want.pathname + want.search, 'sign-in returns to the authorization URL');

  const consent = await b.request('GET', authURL);
  assert.equal(consent.status, 200, `consent page:\n${consent.body}`);
  assert.match(consent.body, /name="decision" value="allow"/, 'consent page offers Allow');
  const form = new URLSearchParams({ csrf: hidden(consent, 'csrf'), decision: 'allow' });
  for (const sc of grantOptional) form.append('grant_optional', sc);
  const done = await b.request('POST', authURL, form);
  assert.ok(done.status === 302 || done.status === 303, `consent answered ${done.status}:\n${done.body}`);

  const url = new URL(done.location);
  assert.equal(url.origin + url.pathname, new URL(oauthApp.redirectUri).href.replace(/\?.*$/, ''),
    'the hub redirects to the registered redirect URI');
  assert.equal(url.searchParams.get('error'), null,
    `authorization failed: ${url.searchParams.get('error')}: ${url.searchParams.get('error_description')}`);
  const code = url.searchParams.get('code');
  assert.ok(code, `no code in ${url}`);
  return { url, code, state: url.searchParams.get('state') };
}
