// Paging 250 contacts with basicApi.getPage and the client's getAll helper.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { newClient, tag } from './hubsync.mjs';

const client = newClient();
const total = 250;

describe('paging through 250 contacts', () => {
  // Every contact of this run carries the marker in "company", so counts
  // hold whatever else the hub already has.
  const marker = tag('page');
  let ids;

  before(async () => {
    const inputs = Array.from({ length: total }, (_, i) => ({
      properties: { email: `p${i}.${marker}@compat.example.com`, firstname: `P${i}`, company: marker },
      associations: [],
    }));
    ids = new Set();
    for (let i = 0; i < inputs.length; i += 100) {
      const res = await client.crm.contacts.batchApi.create({ inputs: inputs.slice(i, i + 100) });
      assert.equal(res.results.length, Math.min(100, inputs.length - i));
      for (const r of res.results) ids.add(r.id);
    }
    assert.equal(ids.size, total);
  });

  test('getPage follows paging.next.after to the end', async () => {
    const seen = new Map();
    let after;
    let pages = 0;
    for (;;) {
      const page = await client.crm.contacts.basicApi.getPage(100, after, ['email', 'company']);
      pages++;
      assert.ok(page.results.length <= 100, `page of ${page.results.length}`);
      for (const r of page.results) {
        assert.ok(!seen.has(r.id), `contact ${r.id} came twice`);
        seen.set(r.id, r);
      }
      const next = page.paging?.next?.after;
      if (!next) break;
      assert.equal(typeof next, 'string');
      assert.ok(page.results.length > 0, 'a page with a next link is not empty');
      assert.ok(pages < 1000, 'paging does not end');
      after = next;
    }
    assert.ok(pages >= 3, `250 contacts at 100 a page took ${pages} pages`);
    const mine = [...seen.values()].filter((r) => r.properties.company === marker);
    assert.equal(mine.length, total);
    for (const id of ids) assert.ok(seen.has(id), `contact ${id} never came`);
    for (const r of mine) assert.match(r.properties.email, new RegExp(`^p\\d+\\.${marker}@`));
  });

  test('getPage with a small limit returns that many and a cursor', async () => {
    const first = await client.crm.contacts.basicApi.getPage(7, undefined, ['company']);
    assert.equal(first.results.length, 7);
    assert.ok(first.paging?.next?.after, 'a next cursor');
    const second = await client.crm.contacts.basicApi.getPage(7, first.paging.next.after, ['company']);
    assert.equal(second.results.length, 7);
    const overlap = second.results.filter((r) => first.results.some((f) => f.id === r.id));
    assert.deepEqual(overlap, [], 'pages do not overlap');
  });

  test('contacts.getAll() returns every contact', async () => {
    const all = await client.crm.contacts.getAll();
    const got = new Set(all.map((r) => r.id));
    assert.equal(got.size, all.length, 'no contact twice');
    for (const id of ids) assert.ok(got.has(id), `contact ${id} missing from getAll()`);
  });

  test('contacts.getAll(limit, after, properties) counts the marked 250', async () => {
    const all = await client.crm.contacts.getAll(100, undefined, ['company', 'firstname']);
    const mine = all.filter((r) => r.properties.company === marker);
    assert.equal(mine.length, total);
    assert.equal(new Set(mine.map((r) => r.properties.firstname)).size, total);
  });
});
