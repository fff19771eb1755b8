// basicApi: create, getById, update and archive through the official client.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiException } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { email, isDate, newClient, numericID, rejects, tag } from './hubsync.mjs';

const client = newClient();

test('contacts: create, getById, update, archive', async () => {
  const addr = email('ada');
  const created = await client.crm.contacts.basicApi.create({
    properties: { email: addr, firstname: 'Ada', lastname: 'Lovelace', phone: '+44 20 7946 0000' },
    associations: [],
  });
  numericID(created.id);
  assert.equal(created.archived, false);
  isDate(created.createdAt, 'createdAt');
  isDate(created.updatedAt, 'updatedAt');
  assert.equal(created.properties.email, addr);
  assert.equal(created.properties.firstname, 'Ada');
  assert.equal(created.properties.lastname, 'Lovelace');
  assert.equal(created.properties.hs_object_id, created.id);
  isDate(new Date(created.properties.createdate), 'properties.createdate');

  // Only the properties asked for (and unset ones as null).
  const got = await client.crm.contacts.basicApi.getById(created.id, ['email', 'firstname', 'phone', 'jobtitle']);
  assert.equal(got.id, created.id);
  assert.equal(got.properties.email, addr);
  assert.equal(got.properties.firstname, 'Ada');
  assert.equal(got.properties.phone, '+44 20 7946 0000');
  assert.equal(got.properties.jobtitle ?? null, null);
  assert.equal(got.createdAt.getTime(), created.createdAt.getTime());

  // The same record by its unique email.
  const byEmail = await client.crm.contacts.basicApi.getById(addr, ['firstname'], undefined, undefined, false, 'email');
  assert.equal(byEmail.id, created.id);
  assert.equal(byEmail.properties.firstname, 'Ada');

  const updated = await client.crm.contacts.basicApi.update(created.id, { properties: { firstname: 'Augusta', jobtitle: 'Analyst' } });
  assert.equal(updated.id, created.id);
  assert.equal(updated.properties.firstname, 'Augusta');
  assert.equal(updated.properties.jobtitle, 'Analyst');
  assert.ok(updated.updatedAt.getTime() >= created.updatedAt.getTime(), 'updatedAt moved back');

  // Update addressed by email, as clients that key on email do.
  const byEmailUpdate = await client.crm.contacts.basicApi.update(addr, { properties: { lastname: 'King' } }, 'email');
  assert.equal(byEmailUpdate.id, created.id);
  assert.equal(byEmailUpdate.properties.lastname, 'King');

  const reread = await client.crm.contacts.basicApi.getById(created.id, ['firstname', 'lastname', 'jobtitle', 'phone']);
  assert.equal(reread.properties.firstname, 'Augusta');
  assert.equal(reread.properties.lastname, 'King');
  assert.equal(reread.properties.jobtitle, 'Analyst');
  assert.equal(reread.properties.phone, '+44 20 7946 0000', 'an update keeps properties it did not name');

  assert.equal(await client.crm.contacts.basicApi.archive(created.id), undefined);

  const err = await rejects(client.crm.contacts.basicApi.getById(created.id), 404, 'OBJECT_NOT_FOUND');
  assert.ok(err instanceof ApiException, 'error is the contacts ApiException');

  // Archived records stay readable with archived=true.
  const archived = await client.crm.contacts.basicApi.getById(created.id, ['email'], undefined, undefined, true);
  assert.equal(archived.archived, true);
  isDate(archived.archivedAt, 'archivedAt');
  assert.equal(archived.properties.email, addr);
});

// HubSpot adds hs_object_id, createdate and the last-modified date to every
// read, even when properties names others (shared/HUBSPOT-API.md, "Records").
// Sync code reads properties.lastmodifieddate / hs_lastmodifieddate from such
// answers to move its checkpoint.
test('reads naming properties still carry hs_object_id, createdate and last-modified', async () => {
  const addr = email('defaults');
  const c = await client.crm.contacts.basicApi.create({ properties: { email: addr, firstname: 'Dee' } });
  const d = await client.crm.deals.basicApi.create({ properties: { dealname: `defaults ${tag('d')}`, amount: '5' } });
  const contactDefaults = ['hs_object_id', 'createdate', 'lastmodifieddate'];
  const dealDefaults = ['hs_object_id', 'createdate', 'hs_lastmodifieddate'];
  // Every read is checked before failing, so the failure lists them all.
  const missing = [];
  const check = (what, rec, defaults) => {
    for (const p of defaults) if (rec.properties[p] == null) missing.push(`${what}: ${p}`);
    if (rec.properties.hs_object_id != null) assert.equal(rec.properties.hs_object_id, rec.id, `${what}: hs_object_id`);
  };

  check('contacts getById', await client.crm.contacts.basicApi.getById(c.id, ['email']), contactDefaults);
  check('deals getById', await client.crm.deals.basicApi.getById(d.id, ['dealname']), dealDefaults);
  const page = await client.crm.contacts.basicApi.getPage(100, undefined, ['email']);
  check('contacts getPage', page.results[0], contactDefaults);
  const read = await client.crm.contacts.batchApi.read({ inputs: [{ id: c.id }], properties: ['email'], propertiesWithHistory: [] });
  check('contacts batch read', read.results[0], contactDefaults);
  const found = await client.crm.contacts.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: addr }] }],
    properties: ['firstname'],
    limit: 1,
  });
  check('contacts search', found.results[0], contactDefaults);
  assert.deepEqual(missing, [], 'default properties missing from reads that name properties');
});

test('companies: create, getById, update, archive', async () => {
  const domain = `${tag('c')}.example.com`;
  const created = await client.crm.companies.basicApi.create({
    properties: { name: 'Analytical Engines Ltd', domain, industry: 'COMPUTER_HARDWARE', numberofemployees: '12' },
    associations: [],
  });
  numericID(created.id);
  isDate(created.createdAt, 'createdAt');
  assert.equal(created.properties.name, 'Analytical Engines Ltd');
  assert.equal(created.properties.domain, domain);

  const got = await client.crm.companies.basicApi.getById(created.id, ['name', 'domain', 'industry', 'numberofemployees', 'city']);
  assert.equal(got.properties.name, 'Analytical Engines Ltd');
  assert.equal(got.properties.industry, 'COMPUTER_HARDWARE');
  assert.equal(Number(got.properties.numberofemployees), 12);
  assert.equal(got.properties.city ?? null, null);

  const updated = await client.crm.companies.basicApi.update(created.id, { properties: { city: 'London' } });
  assert.equal(updated.properties.city, 'London');
  assert.ok('hs_lastmodifieddate' in updated.properties, 'companies report hs_lastmodifieddate');

  await client.crm.companies.basicApi.archive(created.id);
  await rejects(client.crm.companies.basicApi.getById(created.id), 404, 'OBJECT_NOT_FOUND');
});

test('deals: create, getById, update, archive', async () => {
  const name = `Engine order ${tag('d')}`;
  const close = '2027-03-31T12:00:00.000Z';
  const created = await client.crm.deals.basicApi.create({
    properties: { dealname: name, amount: '1500.5', dealstage: 'qualifiedtobuy', pipeline: 'default', closedate: close },
    associations: [],
  });
  numericID(created.id);
  assert.equal(created.properties.dealname, name);
  assert.equal(Number(created.properties.amount), 1500.5);

  const got = await client.crm.deals.basicApi.getById(created.id, ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate']);
  assert.equal(got.properties.dealname, name);
  assert.equal(Number(got.properties.amount), 1500.5);
  assert.equal(got.properties.dealstage, 'qualifiedtobuy');
  assert.equal(got.properties.pipeline, 'default');
  assert.equal(new Date(got.properties.closedate).getTime(), new Date(close).getTime());

  const updated = await client.crm.deals.basicApi.update(created.id, { properties: { dealstage: 'closedwon', amount: '1750' } });
  assert.equal(updated.properties.dealstage, 'closedwon');
  assert.equal(Number(updated.properties.amount), 1750);

  await client.crm.deals.basicApi.archive(created.id);
  await rejects(client.crm.deals.basicApi.getById(created.id), 404, 'OBJECT_NOT_FOUND');
});
