// properties coreApi: getAll, create and getByName through the official client.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { email, isDate, newClient, rejects, tag } from './hubsync.mjs';

const client = newClient();
const core = client.crm.properties.coreApi;

test('getAll for contacts includes HubSpot\'s email property', async () => {
  const res = await core.getAll('contacts');
  assert.ok(Array.isArray(res.results));
  const byName = new Map(res.results.map((p) => [p.name, p]));
  const e = byName.get('email');
  assert.ok(e, `no email among ${[...byName.keys()].join(', ')}`);
  assert.equal(e.type, 'string');
  assert.equal(e.fieldType, 'text');
  assert.equal(e.hubspotDefined, true);
  assert.equal(typeof e.label, 'string');
  assert.equal(typeof e.groupName, 'string');
  for (const name of ['firstname', 'lastname', 'createdate', 'lastmodifieddate', 'hs_object_id']) {
    assert.ok(byName.has(name), `no ${name}`);
  }
  const stage = byName.get('lifecyclestage');
  assert.equal(stage.type, 'enumeration');
  assert.ok(stage.options.some((o) => o.value === 'customer' && o.label === 'Customer'), 'lifecyclestage has a customer option');
});

test('create a custom property, getByName it, write and search it', async () => {
  const name = tag('compat_');
  const created = await core.create('contacts', {
    name,
    label: 'Compat favourite colour',
    type: 'string',
    fieldType: 'text',
    groupName: 'contactinformation',
    description: 'Made by the compatibility suite',
  });
  assert.equal(created.name, name);
  assert.equal(created.label, 'Compat favourite colour');
  assert.equal(created.type, 'string');
  assert.equal(created.fieldType, 'text');
  assert.equal(created.groupName, 'contactinformation');
  assert.equal(created.hubspotDefined ?? false, false);
  if (created.createdAt !== undefined) isDate(created.createdAt, 'createdAt');

  const got = await core.getByName('contacts', name);
  assert.equal(got.name, name);
  assert.equal(got.label, 'Compat favourite colour');
  assert.equal(got.description, 'Made by the compatibility suite');
  assert.equal(got.type, 'string');

  const all = await core.getAll('contacts');
  assert.ok(all.results.some((p) => p.name === name), 'getAll lists the new property');

  // Creating it again conflicts.
  await rejects(core.create('contacts', { name, label: 'Again', type: 'string', fieldType: 'text', groupName: 'contactinformation' }), 409, 'CONFLICT');

  // The property takes values, reads back and is searchable.
  const contact = await client.crm.contacts.basicApi.create({ properties: { email: email('colour'), [name]: 'teal' } });
  assert.equal(contact.properties[name], 'teal');
  const read = await client.crm.contacts.basicApi.getById(contact.id, [name]);
  assert.equal(read.properties[name], 'teal');
  const found = await client.crm.contacts.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: name, operator: 'EQ', value: 'teal' }] }],
    properties: [name],
    limit: 10,
  });
  assert.equal(found.total, 1);
  assert.equal(found.results[0].id, contact.id);
});

test('a custom number property on deals compares as a number', async () => {
  const name = tag('score_');
  const created = await core.create('deals', { name, label: 'Score', type: 'number', fieldType: 'number', groupName: 'dealinformation' });
  assert.equal(created.type, 'number');
  const res = await client.crm.deals.batchApi.create({
    inputs: ['9', '10', '100'].map((v) => ({ properties: { dealname: `score ${v}`, [name]: v }, associations: [] })),
  });
  assert.equal(res.results.length, 3);
  const found = await client.crm.deals.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: name, operator: 'GT', value: '9' }] }],
    sorts: [`-${name}`],
    properties: [name],
    limit: 10,
  });
  assert.equal(found.total, 2);
  assert.deepEqual(found.results.map((r) => r.properties[name]), ['100', '10']);
});

test('getByName of an unknown property is a 404', async () => {
  await rejects(core.getByName('contacts', tag('missing_')), 404, 'OBJECT_NOT_FOUND');
});

test('update, archive and restore a custom property: its values come back', async () => {
  const name = tag('arch_');
  await core.create('contacts', { name, label: 'Plan', type: 'enumeration', fieldType: 'select', groupName: 'contactinformation',
    options: [{ label: 'Free', value: 'free', displayOrder: 0, hidden: false }] });

  // update: HubSpot's PropertyUpdate, every field optional.
  const updated = await core.update('contacts', name, {
    label: 'Plan (billing)',
    options: [{ label: 'Free', value: 'free', displayOrder: 0, hidden: false }, { label: 'Pro', value: 'pro', displayOrder: 1, hidden: false }],
  });
  assert.equal(updated.label, 'Plan (billing)');
  assert.equal(updated.type, 'enumeration');
  assert.deepEqual(updated.options.map((o) => o.value), ['free', 'pro']);
  const contact = await client.crm.contacts.basicApi.create({ properties: { email: email('plan'), [name]: 'pro' }, associations: [] });

  // archive: gone from reads and lists, listed with archived=true.
  assert.equal(await core.archive('contacts', name), undefined);
  assert.ok(!(await core.getAll('contacts')).results.some((p) => p.name === name), 'getAll still lists the archived property');
  const archived = await core.getAll('contacts', true);
  assert.deepEqual(archived.results.filter((p) => p.name === name).map((p) => p.archived), [true]);
  await rejects(core.getByName('contacts', name), 404, 'OBJECT_NOT_FOUND');
  const hidden = await client.crm.contacts.basicApi.getById(contact.id, [name]);
  assert.notEqual(hidden.properties[name], 'pro', 'a read shows the archived property\'s value');
  await rejects(client.crm.contacts.basicApi.update(contact.id, { properties: { [name]: 'free' } }), 400, 'VALIDATION_ERROR');

  // restore: create it again with its type; the value comes back.
  const back = await core.create('contacts', { name, label: 'Plan', type: 'enumeration', fieldType: 'select',
    groupName: 'contactinformation', options: [{ label: 'Free', value: 'free', displayOrder: 0, hidden: false },
      { label: 'Pro', value: 'pro', displayOrder: 1, hidden: false }] });
  assert.equal(back.name, name);
  assert.equal(back.archived ?? false, false);
  const restored = await client.crm.contacts.basicApi.getById(contact.id, [name]);
  assert.equal(restored.properties[name], 'pro');
});
