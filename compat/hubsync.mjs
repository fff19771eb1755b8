// Shared setup for the compatibility tests: a client of HubSpot's official
// Node library pointed at the hub under test, unique names per run, and an
// assertion for errors the client raises.
//
// The hub's address and a private app token come from HUBSYNC_URL and
// HUBSYNC_TOKEN (compat_test.go sets both after starting a hub).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from '@hubspot/api-client';

function required(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run these tests through "go test ./compat/", or set HUBSYNC_URL and HUBSYNC_TOKEN to a running hub`);
  }
  return v;
}

export const hubURL = required('HUBSYNC_URL').replace(/\/+$/, '');
export const token = required('HUBSYNC_TOKEN');

// newClient is how a user points the official client at a hub: basePath.
export function newClient(accessToken = token) {
  return new Client({ accessToken, basePath: hubURL });
}

// tag returns a lowercase token unique to this run, usable in emails,
// property names and CONTAINS_TOKEN searches (no separators inside).
export function tag(prefix = 't') {
  return prefix + randomBytes(5).toString('hex');
}

// email returns an address no other test or run uses.
export function email(label) {
  return `${label}.${tag('r')}@compat.example.com`;
}

// uuid is the shape of the correlationId in every HubSpot error body.
export const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// rejects awaits a call that must fail with HTTP status and a HubSpot
// error body of category, and returns the client's exception.
export async function rejects(promise, status, category) {
  let err;
  try {
    const value = await promise;
    assert.fail(`expected HTTP ${status} ${category}, got success: ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  assert.equal(err.constructor.name, 'ApiException', `not an ApiException: ${err.stack}`);
  assert.equal(err.code, status, `HTTP status; body: ${JSON.stringify(err.body)}`);
  assert.equal(typeof err.body, 'object', `body was not parsed: ${err.body}`);
  assert.equal(err.body.category, category, `category; body: ${JSON.stringify(err.body)}`);
  assert.equal(typeof err.body.message, 'string');
  assert.ok(err.body.message.length > 0, 'message is empty');
  assert.match(err.body.correlationId ?? '', uuid, 'correlationId is a UUID');
  return err;
}

// isDate asserts that the client turned a wire timestamp into a real Date.
export function isDate(v, what) {
  assert.ok(v instanceof Date, `${what} is not a Date: ${v}`);
  assert.ok(!Number.isNaN(v.getTime()), `${what} is an invalid Date`);
}

// numericID asserts HubSpot's id shape: a string of digits.
export function numericID(id) {
  assert.equal(typeof id, 'string');
  assert.match(id, /^\d+$/);
}
