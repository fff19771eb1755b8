// searchApi.doSearch: filters, sorts, paging and total through the official client.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { email, newClient, tag } from './hubsync.mjs';

const client = newClient();

describe('deals search', () => {
  // Every deal of this run has the run token in its name; each search ANDs a
  // CONTAINS_TOKEN filter on it so other data on the hub cannot match.
  const run = tag('s');
  const scope = { propertyName: 'dealname', operator: 'CONTAINS_TOKEN', value: run };
  const deals = [
    { dealname: `alpha ${run}`, amount: '100', dealstage: 'appointmentscheduled', description: 'first of five' },
    { dealname: `beta ${run}`, amount: '250', dealstage: 'qualifiedtobuy' },
    { dealname: `gamma ${run}`, amount: '500', dealstage: 'closedwon', description: 'third of five' },
    { dealname: `delta ${run}`, amount: '750', dealstage: 'closedwon' },
    { dealname: `epsilon ${run}`, amount: '1000', dealstage: 'closedlost', description: 'fifth of five' },
  ];
  const idOf = new Map();

  before(async () => {
    const res = await client.crm.deals.batchApi.create({ inputs: deals.map((properties) => ({ properties, associations: [] })) });
    assert.equal(res.results.length, deals.length);
    for (const r of res.results) idOf.set(r.properties.dealname.split(' ')[0], r.id);
  });

  const search = (filters, extra = {}) =>
    client.crm.deals.searchApi.doSearch({
      filterGroups: [{ filters: [scope, ...filters] }],
      properties: ['dealname', 'amount', 'dealstage', 'description'],
      limit: 100,
      ...extra,
    });
  const names = (res) => res.results.map((r) => r.properties.dealname.split(' ')[0]);

  test('scope alone finds the five deals', async () => {
    const res = await search([]);
    assert.equal(res.total, 5);
    assert.deepEqual(names(res).sort(), ['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
    assert.equal(res.paging?.next, undefined, 'no next page');
    for (const r of res.results) assert.equal(r.id, idOf.get(r.properties.dealname.split(' ')[0]));
  });

  test('EQ on a number', async () => {
    const res = await search([{ propertyName: 'amount', operator: 'EQ', value: '500' }]);
    assert.equal(res.total, 1);
    assert.deepEqual(names(res), ['gamma']);
    assert.equal(Number(res.results[0].properties.amount), 500);
  });

  test('GTE and LT on amount compare as numbers, sorted DESCENDING', async () => {
    const res = await search(
      [{ propertyName: 'amount', operator: 'GTE', value: '250' }, { propertyName: 'amount', operator: 'LT', value: '1000' }],
      { sorts: ['-amount'] },
    );
    assert.equal(res.total, 3);
    assert.deepEqual(names(res), ['delta', 'gamma', 'beta']);
    assert.deepEqual(res.results.map((r) => Number(r.properties.amount)), [750, 500, 250]);
  });

  test('sorts as {propertyName, direction} objects', async () => {
    const desc = await search([], { sorts: [{ propertyName: 'amount', direction: 'DESCENDING' }] });
    assert.deepEqual(names(desc), ['epsilon', 'delta', 'gamma', 'beta', 'alpha']);
    const asc = await search([], { sorts: [{ propertyName: 'amount', direction: 'ASCENDING' }] });
    assert.deepEqual(names(asc), ['alpha', 'beta', 'gamma', 'delta', 'epsilon']);
  });

  test('IN on an enumeration', async () => {
    const res = await search([{ propertyName: 'dealstage', operator: 'IN', values: ['closedwon', 'closedlost'] }], { sorts: ['-amount'] });
    assert.equal(res.total, 3);
    assert.deepEqual(names(res), ['epsilon', 'delta', 'gamma']);
  });

  test('CONTAINS_TOKEN on a word of the name', async () => {
    const res = await search([{ propertyName: 'dealname', operator: 'CONTAINS_TOKEN', value: 'gamma' }]);
    assert.equal(res.total, 1);
    assert.deepEqual(names(res), ['gamma']);
  });

  test('HAS_PROPERTY', async () => {
    const res = await search([{ propertyName: 'description', operator: 'HAS_PROPERTY' }], { sorts: ['amount'] });
    assert.equal(res.total, 3);
    assert.deepEqual(names(res), ['alpha', 'gamma', 'epsilon']);
    assert.deepEqual(res.results.map((r) => r.properties.description), ['first of five', 'third of five', 'fifth of five']);
  });

  test('filter groups are ORed', async () => {
    const res = await client.crm.deals.searchApi.doSearch({
      filterGroups: [
        { filters: [scope, { propertyName: 'amount', operator: 'EQ', value: '100' }] },
        { filters: [scope, { propertyName: 'dealstage', operator: 'EQ', value: 'closedlost' }] },
      ],
      sorts: ['amount'],
      properties: ['dealname'],
      limit: 10,
    });
    assert.equal(res.total, 2);
    assert.deepEqual(names(res), ['alpha', 'epsilon']);
  });

  test('limit and after page through the results with a steady total', async () => {
    const seen = [];
    let after;
    let pages = 0;
    do {
      const res = await search([], { sorts: ['amount'], limit: 2, ...(after ? { after } : {}) });
      pages++;
      assert.equal(res.total, 5, 'total is the whole match count on every page');
      assert.ok(res.results.length <= 2);
      seen.push(...names(res));
      after = res.paging?.next?.after;
      assert.ok(pages <= 5, 'paging does not end');
    } while (after);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ['alpha', 'beta', 'gamma', 'delta', 'epsilon']);
  });
});

test('contacts search: free-text query and EQ on email', async () => {
  const run = tag('q');
  const addr = email('searcher');
  await client.crm.contacts.basicApi.create({ properties: { email: addr, firstname: 'Grace', lastname: run } });
  await client.crm.contacts.basicApi.create({ properties: { email: email('other'), firstname: 'Other', lastname: run } });

  const byEmail = await client.crm.contacts.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: addr }] }],
    properties: ['email', 'firstname', 'lastname'],
    limit: 10,
  });
  assert.equal(byEmail.total, 1);
  assert.equal(byEmail.results[0].properties.firstname, 'Grace');

  const byQuery = await client.crm.contacts.searchApi.doSearch({ query: run, properties: ['firstname'], sorts: ['firstname'], limit: 10 });
  assert.equal(byQuery.total, 2);
  assert.deepEqual(byQuery.results.map((r) => r.properties.firstname), ['Grace', 'Other']);
});
