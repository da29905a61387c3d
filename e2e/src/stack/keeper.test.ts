import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Stack, StackUpOptions } from '@shopfloor/stack-contract';
import { serves, StackKeeper } from './keeper';

/** A stand-in `up` that records what was brought up and taken down (the keeper's own logic only). */
function recorder(): { up: (opts: StackUpOptions) => Promise<Stack>; events: string[] } {
  const events: string[] = [];
  let n = 0;
  const up = async (opts: StackUpOptions): Promise<Stack> => {
    const id = ++n;
    events.push(`up ${id} ${JSON.stringify(opts)}`);
    return { down: async () => void events.push(`down ${id}`) } as unknown as Stack;
  };
  return { up, events };
}

it('serves: fast alerting serves a scenario that does not ask for it, not the reverse', () => {
  assert.equal(serves({ fastAlerting: true }, {}), true);
  assert.equal(serves({}, { fastAlerting: true }), false);
});

it('serves: a webhook serves a scenario that asks for none, not the reverse nor another webhook', () => {
  assert.equal(serves({ alertWebhookBase: 'http://a' }, {}), true);
  assert.equal(serves({}, { alertWebhookBase: 'http://a' }), false);
  assert.equal(serves({ alertWebhookBase: 'http://a' }, { alertWebhookBase: 'http://b' }), false);
});

it('serves: another journey or watchdog setting is another stack', () => {
  assert.equal(serves({ watchdogEnv: { A: '1' } }, { watchdogEnv: { A: '2' } }), false);
  assert.equal(serves({ watchdogEnv: { A: '1', B: '2' } }, { watchdogEnv: { B: '2', A: '1' } }), true);
  assert.equal(serves({ watchdogJourney: 'x' }, {}), false);
});

it('StackKeeper keeps one stack for the scenarios it serves and replaces it for the others', async () => {
  const { up, events } = recorder();
  const keeper = new StackKeeper(up);
  const a = await keeper.acquire({ fastAlerting: true });
  assert.equal(await keeper.acquire(), a);
  assert.equal(await keeper.acquire({ fastAlerting: true }), a);
  const b = await keeper.acquire({ watchdogEnv: { X: '1' } });
  assert.notEqual(b, a);
  await keeper.clear();
  await keeper.clear();
  assert.deepEqual(events, ['up 1 {"fastAlerting":true}', 'down 1', 'up 2 {"watchdogEnv":{"X":"1"}}', 'down 2']);
});

it('StackKeeper gives a pristine stack even when the kept one would serve', async () => {
  const { up, events } = recorder();
  const keeper = new StackKeeper(up);
  await keeper.acquire();
  await keeper.acquire({ pristine: true });
  assert.deepEqual(events, ['up 1 {}', 'down 1', 'up 2 {}']);
});

it('StackKeeper brings a stack up again after a failed start', async () => {
  let fail = true;
  const keeper = new StackKeeper(async () => {
    if (fail) throw new Error('port taken');
    return { down: async () => {} } as unknown as Stack;
  });
  await assert.rejects(keeper.acquire(), /port taken/);
  fail = false;
  assert.ok(await keeper.acquire());
});
