// batchApi: create, read, update, upsert and archive through the official client.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { email, isDate, newClient, numericID } from './hubsync.mjs';

const client = newClient();
const batch = client.crm.contacts.batchApi;

// byEmail indexes batch results, which need not come back in input order.
function byEmail(results) {
  return new Map(results.map((r) => [r.properties.email, r]));
}

test('contacts batch: create, read, update, archive', async () => {
  const addrs = [email('b1'), email('b2'), email('b3')];
  const created = await batch.create({
    inputs: addrs.map((e, i) => ({ properties: { email: e, firstname: `Batch${i}`, lifecyclestage: 'lead' }, associations: [] })),
  });
  assert.equal(created.status, 'COMPLETE');
  isDate(created.startedAt, 'startedAt');
  isDate(created.completedAt, 'completedAt');
  assert.equal(created.results.length, 3);
  const made = byEmail(created.results);
  assert.deepEqual([...made.keys()].sort(), [...addrs].sort());
  addrs.forEach((e, i) => {
    const r = made.get(e);
    numericID(r.id);
    assert.equal(r.properties.firstname, `Batch${i}`);
    assert.equal(r.properties.lifecyclestage, 'lead');
    isDate(r.createdAt, 'createdAt');
  });
  const ids = addrs.map((e) => made.get(e).id);
  assert.equal(new Set(ids).size, 3, 'ids are distinct');

  const read = await batch.read({
    inputs: ids.map((id) => ({ id })),
    properties: ['email', 'firstname', 'lifecyclestage'],
    propertiesWithHistory: [],
  });
  assert.equal(read.status, 'COMPLETE');
  assert.equal(read.results.length, 3);
  assert.equal(read.numErrors ?? 0, 0);
  const got = byEmail(read.results);
  addrs.forEach((e, i) => {
    assert.equal(got.get(e).id, ids[i]);
    assert.equal(got.get(e).properties.firstname, `Batch${i}`);
  });

  // Read by the unique email instead of the id.
  const readByEmail = await batch.read({
    inputs: addrs.map((id) => ({ id })),
    idProperty: 'email',
    properties: ['firstname'],
    propertiesWithHistory: [],
  });
  assert.equal(readByEmail.results.length, 3);
  assert.deepEqual(readByEmail.results.map((r) => r.id).sort(), [...ids].sort());

  const updated = await batch.update({
    inputs: ids.map((id, i) => ({ id, properties: { firstname: `Updated${i}`, lifecyclestage: 'customer' } })),
  });
  assert.equal(updated.status, 'COMPLETE');
  assert.equal(updated.results.length, 3);
  for (const r of updated.results) {
    const i = ids.indexOf(r.id);
    assert.ok(i >= 0, `unexpected id ${r.id}`);
    assert.equal(r.properties.firstname, `Updated${i}`);
    assert.equal(r.properties.lifecyclestage, 'customer');
  }
  const reread = await batch.read({ inputs: ids.map((id) => ({ id })), properties: ['firstname'], propertiesWithHistory: [] });
  assert.deepEqual(reread.results.map((r) => r.properties.firstname).sort(), ['Updated0', 'Updated1', 'Updated2']);

  assert.equal(await batch.archive({ inputs: ids.slice(0, 2).map((id) => ({ id })) }), undefined);

  // Two archived, one live: a 207 the client types as a response with errors.
  const after = await batch.read({ inputs: ids.map((id) => ({ id })), properties: ['email'], propertiesWithHistory: [] });
  assert.equal(after.results.length, 1);
  assert.equal(after.results[0].id, ids[2]);
  assert.equal(after.numErrors, 1);
  assert.equal(after.errors.length, 1);
  assert.equal(after.errors[0].category, 'OBJECT_NOT_FOUND');
  assert.deepEqual([...after.errors[0].context.ids].sort(), ids.slice(0, 2).sort());

  // archived=true still finds them.
  const archived = await batch.read({ inputs: ids.slice(0, 2).map((id) => ({ id })), properties: ['email'], propertiesWithHistory: [] }, true);
  assert.equal(archived.results.length, 2);
  for (const r of archived.results) {
    assert.equal(r.archived, true);
    isDate(r.archivedAt, 'archivedAt');
  }
});

test('contacts batch upsert by email: one new, one existing', async () => {
  const existingEmail = email('old');
  const newEmail = email('new');
  const existing = await client.crm.contacts.basicApi.create({ properties: { email: existingEmail, firstname: 'Before', lastname: 'Kept' } });

  const res = await batch.upsert({
    inputs: [
      { id: existingEmail, idProperty: 'email', properties: { firstname: 'After' } },
      { id: newEmail, idProperty: 'email', properties: { firstname: 'Fresh' } },
    ],
  });
  assert.equal(res.status, 'COMPLETE');
  assert.equal(res.results.length, 2);
  const got = byEmail(res.results);

  const old = got.get(existingEmail);
  assert.ok(old, 'the existing contact is in the results, with its email');
  assert.equal(old.id, existing.id, 'upsert updated the existing record');
  assert.equal(old.properties.firstname, 'After');
  assert.equal(old._new, false, 'the client exposes "new" as _new');

  const fresh = got.get(newEmail);
  assert.ok(fresh, 'the new contact is in the results, with its email');
  numericID(fresh.id);
  assert.notEqual(fresh.id, existing.id);
  assert.equal(fresh.properties.firstname, 'Fresh');
  assert.equal(fresh._new, true);

  const check = await client.crm.contacts.basicApi.getById(existing.id, ['firstname', 'lastname']);
  assert.equal(check.properties.firstname, 'After');
  assert.equal(check.properties.lastname, 'Kept', 'upsert keeps properties it did not name');
  const made = await client.crm.contacts.basicApi.getById(newEmail, ['firstname'], undefined, undefined, false, 'email');
  assert.equal(made.id, fresh.id);

  // Upserting again creates nothing.
  const again = await batch.upsert({ inputs: [{ id: newEmail, idProperty: 'email', properties: { firstname: 'Again' } }] });
  assert.equal(again.results.length, 1);
  assert.equal(again.results[0].id, fresh.id);
  assert.equal(again.results[0]._new, false);
});

test('companies and deals batch create and read', async () => {
  const companies = await client.crm.companies.batchApi.create({
    inputs: [{ properties: { name: 'Babbage & Co' }, associations: [] }, { properties: { name: 'Difference Ltd' }, associations: [] }],
  });
  assert.equal(companies.results.length, 2);
  const cRead = await client.crm.companies.batchApi.read({
    inputs: companies.results.map((r) => ({ id: r.id })), properties: ['name'], propertiesWithHistory: [],
  });
  assert.deepEqual(cRead.results.map((r) => r.properties.name).sort(), ['Babbage & Co', 'Difference Ltd']);

  const deals = await client.crm.deals.batchApi.create({
    inputs: [{ properties: { dealname: 'Mill', amount: '10' }, associations: [] }, { properties: { dealname: 'Store', amount: '20' }, associations: [] }],
  });
  assert.equal(deals.results.length, 2);
  const dRead = await client.crm.deals.batchApi.read({
    inputs: deals.results.map((r) => ({ id: r.id })), properties: ['dealname', 'amount'], propertiesWithHistory: [],
  });
  assert.deepEqual(dRead.results.map((r) => `${r.properties.dealname}=${Number(r.properties.amount)}`).sort(), ['Mill=10', 'Store=20']);
});

test('a 207 batch answer\'s errors are the client\'s StandardError models, with links and errors', async () => {
  const made = await batch.create({ inputs: [{ properties: { email: email('std') }, associations: [] }] });
  const res = await batch.read({ inputs: [{ id: made.results[0].id }, { id: '999999999' }], properties: ['email'], propertiesWithHistory: [] });
  assert.equal(res.constructor.name, 'BatchResponseSimplePublicObjectWithErrors');
  assert.equal(res.numErrors, 1);
  const e = res.errors[0];
  assert.equal(e.constructor.name, 'StandardError');
  // HubSpot's published StandardError requires every one of these.
  for (const k of ['status', 'category', 'message', 'context', 'links', 'errors']) assert.notEqual(e[k], undefined, `StandardError lacks ${k}`);
  assert.equal(e.category, 'OBJECT_NOT_FOUND');
  assert.equal(typeof e.links, 'object');
  assert.ok(e.errors.length > 0);
  assert.equal(e.errors[0].constructor.name, 'ErrorDetail');
  assert.equal(typeof e.errors[0].message, 'string');
  assert.deepEqual(e.context.ids, ['999999999']);
});
