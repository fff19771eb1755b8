// propertiesWithHistory through the official client: getById, batch read
// and getPage return each requested property's versions, newest first, as
// the client's ValueWithTimestamp models.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { email, isDate, newClient } from './hubsync.mjs';

const client = newClient();
const contacts = client.crm.contacts;

// checkHistory asserts the history the test wrote: three versions of
// firstname, newest first, written by the private app, and one of email.
function checkHistory(record, addr, what) {
  const history = record.propertiesWithHistory;
  assert.ok(history, `${what}: no propertiesWithHistory`);
  assert.equal(history.nonexistent_property, undefined, `${what}: an unknown property has a history`);
  const versions = history.firstname;
  assert.deepEqual(versions.map((v) => v.value), ['Grace', 'Gracie', 'G'], `${what}: firstname versions`);
  let previous;
  for (const v of versions) {
    assert.equal(v.constructor.name, 'ValueWithTimestamp');
    isDate(v.timestamp, `${what}: timestamp`);
    assert.equal(v.sourceType, 'INTEGRATION');
    assert.match(v.sourceId, /^private-app:\d+$/);
    if (previous) assert.ok(v.timestamp <= previous, `${what}: versions are newest first`);
    previous = v.timestamp;
  }
  assert.deepEqual(history.email.map((v) => v.value), [addr], `${what}: email versions`);
}

test('propertiesWithHistory: getById, batch read and getPage return versions newest first', async () => {
  const addr = email('history');
  const created = await contacts.basicApi.create({ properties: { email: addr, firstname: 'G' }, associations: [] });
  await contacts.basicApi.update(created.id, { properties: { firstname: 'Gracie' } });
  await contacts.basicApi.update(created.id, { properties: { firstname: 'Grace', lastname: 'Hopper' } });
  const wanted = ['firstname', 'email', 'nonexistent_property'];

  const one = await contacts.basicApi.getById(created.id, ['email'], wanted);
  assert.equal(one.properties.firstname, undefined, 'properties holds only what was asked for');
  checkHistory(one, addr, 'getById');

  const batch = await contacts.batchApi.read({ inputs: [{ id: created.id }], properties: ['email'], propertiesWithHistory: wanted });
  assert.equal(batch.results.length, 1);
  checkHistory(batch.results[0], addr, 'batch read');

  let after;
  let found;
  do {
    const page = await contacts.basicApi.getPage(100, after, ['email'], ['firstname', 'email']);
    assert.ok(page.results.length <= 50, `a page with history has ${page.results.length} records, more than 50`);
    found = page.results.find((r) => r.id === created.id) ?? found;
    after = page.paging?.next?.after;
  } while (after && !found);
  assert.ok(found, 'getPage reached the contact');
  checkHistory(found, addr, 'getPage');
});
