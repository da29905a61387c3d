import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './health';

test('waitFor names what was missing when the deadline passes', async () => {
  await assert.rejects(
    waitFor(async () => { throw new Error('still down'); }, { what: 'the thing', timeoutMs: 100, intervalMs: 20 }),
    /waiting for the thing \(last: still down\)/,
  );
});

test('waitFor returns the first defined value', async () => {
  let n = 0;
  assert.equal(await waitFor(async () => (++n >= 3 ? n : undefined), { what: 'x', timeoutMs: 1000, intervalMs: 1 }), 3);
});
