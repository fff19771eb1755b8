// 4xx answers surface through the client as ApiException with the HTTP
// status in code and HubSpot's error body parsed in body.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { email, newClient, rejects, tag } from './hubsync.mjs';

const client = newClient();

test('an unknown property is a 400 VALIDATION_ERROR', async () => {
  const prop = tag('no_such_');
  const err = await rejects(
    client.crm.contacts.basicApi.create({ properties: { email: email('bad'), [prop]: 'x' } }),
    400,
    'VALIDATION_ERROR',
  );
  assert.equal(err.body.status, 'error');
  assert.match(err.body.message, new RegExp(prop));
  assert.deepEqual(err.body.context?.propertyName, [prop]);
  assert.ok(Array.isArray(err.body.errors) && err.body.errors.length > 0, 'errors lists the details');
  assert.match(err.body.errors[0].message, new RegExp(prop));
  assert.match(String(err.headers['x-hubspot-correlation-id'] ?? ''), /^[0-9a-f-]{36}$/, 'correlation id header');
  assert.equal(err.headers['x-hubspot-correlation-id'], err.body.correlationId);
});

test('an unknown property in a batch create is a 400 VALIDATION_ERROR', async () => {
  const prop = tag('no_such_');
  await rejects(
    client.crm.contacts.batchApi.create({ inputs: [{ properties: { email: email('bad'), [prop]: 'x' }, associations: [] }] }),
    400,
    'VALIDATION_ERROR',
  );
});

test('a duplicate email is a 409 CONFLICT naming the existing id', async () => {
  const addr = email('dup');
  const first = await client.crm.contacts.basicApi.create({ properties: { email: addr } });
  const err = await rejects(client.crm.contacts.basicApi.create({ properties: { email: addr } }), 409, 'CONFLICT');
  assert.equal(err.body.status, 'error');
  // Integrations parse "Existing ID: N" out of HubSpot's message.
  assert.match(err.body.message, new RegExp(`Existing ID: ${first.id}\\b`));
});

test('searching on an unknown property is a 400 VALIDATION_ERROR', async () => {
  await rejects(
    client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: tag('no_such_'), operator: 'EQ', value: 'x' }] }],
      limit: 10,
    }),
    400,
    'VALIDATION_ERROR',
  );
});

test('updating a missing record is a 404 OBJECT_NOT_FOUND', async () => {
  await rejects(client.crm.deals.basicApi.update('999999999', { properties: { dealname: 'x' } }), 404, 'OBJECT_NOT_FOUND');
});

test('a bad token is a 401 INVALID_AUTHENTICATION', async () => {
  const bad = newClient('pat-na1-00000000-0000-0000-0000-000000000000');
  await rejects(bad.crm.contacts.basicApi.getPage(1), 401, 'INVALID_AUTHENTICATION');
});
